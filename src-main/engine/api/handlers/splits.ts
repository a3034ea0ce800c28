/** `splits.create`, `splits.list` and `splits.get`: thin; splits are computed and validated by engine/data/splits. */
import { StudioError } from '../../errors.js';
import { createSplit, validateSplit } from '../../data/splits.js';
import type { SplitRow } from '../../store/splits.js';
import { SplitSpecSchema } from '../contract.js';
import type { Handlers } from './context.js';

function splitSummary(row: SplitRow) {
  const content = validateSplit(row.content);
  return {
    id: row.id,
    datasetId: row.datasetId,
    name: row.name,
    version: row.version,
    kind: row.kind,
    spec: SplitSpecSchema.parse(row.spec),
    locked: row.locked,
    contentHash: row.contentHash,
    createdAt: row.createdAt,
    trainPatients: content.trainPatients.length,
    holdoutPatients: content.holdoutPatients.length,
  };
}

export const splitHandlers = {
  'splits.create': (req, ctx) => {
    const dataset = ctx.store.datasets.resolve(req.dataset);
    const row = createSplit(ctx.store, dataset.id, req.name, req.spec);
    ctx.emit({ type: 'data.changed', what: 'datasets' });
    return { ...splitSummary(row), content: validateSplit(row.content) };
  },
  'splits.list': (req, ctx) => {
    const datasetId = req.dataset === undefined ? undefined : ctx.store.datasets.resolve(req.dataset).id;
    return ctx.store.splits.list(datasetId).map(splitSummary);
  },
  'splits.get': (req, ctx) => {
    const dataset = ctx.store.datasets.resolve(req.dataset);
    const row = ctx.store.splits.find(dataset.id, req.name, req.version);
    if (row === undefined)
      throw new StudioError(
        'NOT_FOUND',
        `No split "${req.name}"${req.version !== undefined ? ` version ${req.version}` : ''} for dataset "${dataset.name}". List them with \`ttm-studio splits list\`.`,
      );
    return { ...splitSummary(row), content: validateSplit(row.content) };
  },
} satisfies Partial<Handlers>;
