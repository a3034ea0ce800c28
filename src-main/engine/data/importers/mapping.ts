/**
 * Column mapping for the generic CSV importer (the UI's import wizard writes one; the CLI
 * reads it from --mapping mapping.json). Validated with zod because it comes from disk or
 * over the API.
 */
import type { z } from 'zod';
import { ImportMappingSchema } from './formats.js';
import { readFile } from 'node:fs/promises';
import { StudioError } from '../../errors.js';
import { parseJsonWith } from '../../util/json.js';

/**
 * The schema lives in the API contract (the renderer's wizard builds mappings with it);
 * formats: `iso` (YYYY-MM-DD hh:mm[:ss][Z|±hh:mm]), epoch seconds or milliseconds, or a
 * locale order (`dmy`, `mdy`, `ymd`) of numeric fields with optional AM/PM.
 */
export const GenericMappingSchema = ImportMappingSchema;

export type GenericMapping = z.output<typeof GenericMappingSchema>;
export type GenericMappingInput = z.input<typeof GenericMappingSchema>;

export async function readMappingFile(path: string): Promise<GenericMapping> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new StudioError('IO', `Cannot read the mapping file ${path}: ${(e as Error).message}`, { file: path }, { cause: e });
  }
  return parseJsonWith(GenericMappingSchema, text, `The mapping file ${path}`);
}
