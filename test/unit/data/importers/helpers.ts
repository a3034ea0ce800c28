import { resolve } from 'node:path';
import { previewFile, type ImportRequestOptions, type PreviewResult } from '../../../../src-main/engine/data/import-service.js';
import type { PreviewRow } from '../../../../src-main/engine/data/import-writer.js';

export const SHARED = resolve(__dirname, '../../../../../shared/fixtures/formats');
export const LOCAL = resolve(__dirname, '../../../fixtures/formats');

/** Every record of a file, mapped to canonical columns, without a database. */
export async function readAll(path: string, options: ImportRequestOptions = {}): Promise<PreviewResult> {
  return previewFile(path, options, 10_000_000);
}

export function ofChannel(rows: readonly PreviewRow[], channel: string): PreviewRow[] {
  return rows.filter((r) => r.channel === channel);
}

export function warningCodes(r: PreviewResult): Record<string, number> {
  return Object.fromEntries(r.warnings.map((w) => [w.code, w.count]));
}

export const MGDL = 18.018;
