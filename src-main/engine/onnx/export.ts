/** Writing a built graph to an .onnx file (inference-only exports, debugging with Netron). */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StudioError } from '../errors.js';
import type { GraphBuilder, ModelOptions } from './builder.js';

/** Serialises `b` and writes it to `path` (parent folders created). Returns the byte count. */
export async function saveModel(b: GraphBuilder, path: string, options?: ModelOptions): Promise<number> {
  const bytes = b.toModel(options);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
  } catch (e) {
    throw new StudioError('IO', `Could not write the ONNX model to ${path}: ${e instanceof Error ? e.message : String(e)}`, { path }, { cause: e });
  }
  return bytes.length;
}
