/** `quality.check`, `quality.latest` and `quality.fix`: thin; the checks and fixes are engine/data/quality's. */
import { StudioError } from '../../errors.js';
import { applyQualityFixes, fixesFromReport, latestQualityReport, qualitySettingsFor, runQualityCheck } from '../../data/quality/index.js';
import type { Handlers } from './context.js';

export const qualityHandlers = {
  'quality.check': async (req, ctx) => {
    const dataset = ctx.store.datasets.resolve(req.dataset);
    const settings = qualitySettingsFor(ctx.store, dataset.id, req.settings);
    return ctx.operations.run(`Checking ${dataset.name}`, 'patients', req.operationId, (p) =>
      runQualityCheck(ctx.store, dataset.id, settings, { signal: p.signal, onProgress: (done, total) => p.update(done, total) }),
    );
  },
  'quality.latest': (req, ctx) => latestQualityReport(ctx.store, ctx.store.datasets.resolve(req.dataset).id),
  'quality.fix': (req, ctx) => {
    const dataset = ctx.store.datasets.resolve(req.dataset);
    if ((req.fixes === undefined) === (req.findings === undefined))
      throw new StudioError('INVALID_INPUT', 'Give either `fixes` or `findings` (indices into a quality report), not both or neither.');
    let fixes = req.fixes;
    if (fixes === undefined) {
      const report = req.reportId !== undefined ? ctx.store.quality.report(req.reportId) : null;
      if (report !== null && report.datasetId !== dataset.id)
        throw new StudioError('INVALID_INPUT', `Quality report ${req.reportId} belongs to another dataset.`);
      const latest = latestQualityReport(ctx.store, dataset.id);
      const chosen = req.reportId === undefined ? latest : latest !== null && latest.reportId === req.reportId ? latest : null;
      if (chosen === null)
        throw new StudioError(
          'NOT_FOUND',
          `No current quality report for "${dataset.name}": run \`ttm-studio check ${dataset.name}\` first (fixes refer to its findings).`,
        );
      fixes = fixesFromReport(chosen, req.findings);
    }
    const applied = applyQualityFixes(ctx.store, dataset.id, fixes);
    ctx.emit({ type: 'data.changed', what: 'datasets' });
    return applied;
  },
} satisfies Partial<Handlers>;
