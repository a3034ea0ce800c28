/**
 * Import handlers: detect formats, preview the first rows mapped to canonical columns, and
 * import files or folders (server-side paths) into a dataset as one cancellable operation.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { detectFiles, importFiles, previewFile } from '../../data/import-service.js';
import type { Logger } from '../../logger.js';
import type { Handlers } from './context.js';

/**
 * The upload folders (`<uploads>/<random>/`, one per file POSTed to the web host) that `paths`
 * lie in; paths outside the upload area are ignored.
 */
export function uploadFoldersOf(paths: readonly string[], uploadsDir: string): string[] {
  const root = resolve(uploadsDir);
  const out = new Set<string>();
  for (const p of paths) {
    const rel = relative(root, resolve(p));
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) continue;
    const first = rel.split(sep)[0]!;
    if (first !== '' && first !== '..') out.add(join(root, first));
  }
  return [...out];
}

/** Removes the upload folders of `paths` (after their import, whatever its outcome). */
export async function removeUploads(paths: readonly string[], uploadsDir: string, logger?: Logger): Promise<number> {
  let n = 0;
  for (const dir of uploadFoldersOf(paths, uploadsDir)) {
    try {
      await rm(dir, { recursive: true, force: true });
      n++;
    } catch (e) {
      logger?.warn('could not remove an upload', { dir, message: e instanceof Error ? e.message : String(e) });
    }
  }
  return n;
}

/** Uploads left behind (abandoned imports, crashes) older than this are removed when the web host starts. */
export const STALE_UPLOAD_MS = 60 * 60 * 1000;

/** Removes entries of the upload area last modified more than `maxAgeMs` ago; returns how many. */
export async function sweepStaleUploads(uploadsDir: string, maxAgeMs = STALE_UPLOAD_MS, now = Date.now()): Promise<number> {
  const names = await readdir(uploadsDir).catch(() => [] as string[]);
  let n = 0;
  for (const name of names) {
    const path = join(uploadsDir, name);
    const st = await stat(path).catch(() => null);
    if (st === null || now - st.mtimeMs < maxAgeMs) continue;
    await rm(path, { recursive: true, force: true }).catch(() => undefined);
    n++;
  }
  return n;
}

export const dataImportHandlers = {
  'datasets.detect': async (req) => {
    const found = await detectFiles(req.paths, { format: req.format ?? null, mapping: req.mapping ?? null });
    return found.map((d) => ({
      path: d.path,
      file: d.file,
      bytes: d.bytes,
      format: d.decision.format,
      forced: d.decision.forced,
      confidence: d.decision.confidence,
      reasons: d.decision.reasons,
      candidates: d.decision.candidates,
    }));
  },
  'datasets.preview': async (req) => {
    const p = await previewFile(
      req.path,
      { format: req.format ?? null, timeZone: req.timeZone ?? null, dateOrder: req.dateOrder ?? null, mapping: req.mapping ?? null },
      req.rows,
    );
    return {
      path: p.path,
      file: p.file,
      format: p.decision.format,
      forced: p.decision.forced,
      confidence: p.decision.confidence,
      reasons: p.decision.reasons,
      rows: p.rows,
      warnings: p.warnings,
      notes: p.notes,
    };
  },
  'datasets.import': async (req, ctx) => {
    // Uploaded files are the import's input only: they go when it ends, succeeded or not.
    const report = await ctx.operations
      .run('Importing', 'bytes', req.operationId, (p) =>
        importFiles(
          ctx.layout.database,
          {
            paths: req.paths,
            dataset: req.dataset,
            create: req.create,
            format: req.format ?? null,
            timeZone: req.timeZone ?? null,
            dateOrder: req.dateOrder ?? null,
            mapping: req.mapping ?? null,
          },
          { signal: p.signal, update: (done, total, message) => p.update(done, total, message) },
        ),
      )
      .finally(() => removeUploads(req.paths, ctx.layout.uploads, ctx.logger));
    ctx.emit({ type: 'data.changed', what: 'datasets' });
    ctx.logger.info('import finished', { dataset: report.dataset, readings: report.readings, events: report.events, files: report.files.length });
    return report;
  },
} satisfies Partial<Handlers>;
