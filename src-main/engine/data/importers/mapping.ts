/**
 * Column mapping for the generic CSV importer (the UI's import wizard writes one; the CLI
 * reads it from --mapping mapping.json). Validated with zod because it comes from disk or
 * over the API.
 */
import { z } from 'zod';
import { readFile } from 'node:fs/promises';
import { StudioError } from '../../errors.js';
import { parseJsonWith } from '../../util/json.js';

export const EVENT_KINDS = ['bolus', 'basal_rate', 'basal_dose', 'carbs', 'exercise', 'hr', 'steps', 'cals', 'ketone', 'note'] as const;

/**
 * How timestamps are written: `iso` (YYYY-MM-DD hh:mm[:ss][Z|±hh:mm]), epoch seconds or
 * milliseconds, or a locale order (`dmy`, `mdy`, `ymd`) of numeric fields with optional AM/PM.
 */
export const TimestampFormat = z.enum(['iso', 'epoch_s', 'epoch_ms', 'dmy', 'mdy', 'ymd']);

export const GenericMappingSchema = z
  .object({
    delimiter: z.enum([',', ';', '\t', '|']).optional(),
    /** 1-based line holding the column names; lines above it are skipped. */
    headerLine: z.number().int().min(1).max(1000).default(1),
    timestamp: z.object({ column: z.string().min(1), format: TimestampFormat.default('iso') }).strict(),
    /** IANA zone of naive timestamps; --tz overrides it. */
    timeZone: z.string().min(1).optional(),
    patient: z.union([z.object({ column: z.string().min(1) }).strict(), z.object({ value: z.string().min(1).max(200) }).strict()]).optional(),
    glucose: z
      .object({
        column: z.string().min(1),
        unit: z.enum(['mg/dL', 'mmol/L']),
        kind: z.enum(['cgm', 'scan', 'smbg']).default('cgm'),
      })
      .strict()
      .optional(),
    events: z
      .array(
        z
          .object({
            column: z.string().min(1),
            kind: z.enum(EVENT_KINDS),
            /** Multiplier to the canonical unit (e.g. 0.001 for mU → U). */
            scale: z.number().positive().finite().default(1),
            durationMinColumn: z.string().min(1).optional(),
          })
          .strict(),
      )
      .default([]),
  })
  .strict()
  .refine((m) => m.glucose !== undefined || m.events.length > 0, { message: 'map at least a glucose column or one event column' });

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
