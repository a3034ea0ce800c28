/**
 * Import handlers: detect formats, preview the first rows mapped to canonical columns, and
 * import files or folders (server-side paths) into a dataset as one cancellable operation.
 */
import { detectFiles, importFiles, previewFile } from '../../data/import-service.js';
import type { Handlers } from '../service.js';

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
    const report = await ctx.operations.run('Importing', 'bytes', req.operationId, (p) =>
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
    );
    ctx.emit({ type: 'data.changed', what: 'datasets' });
    ctx.logger.info('import finished', { dataset: report.dataset, readings: report.readings, events: report.events, files: report.files.length });
    return report;
  },
} satisfies Partial<Handlers>;
