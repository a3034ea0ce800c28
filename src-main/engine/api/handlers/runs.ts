/** `runs.list`, `runs.get` and `runs.metrics`: what the store holds about runs of every kind. */
import type { RunRow } from '../../store/runs.js';
import type { Handlers } from './context.js';

/** The fields of a run that lists show (runs.list, and the head of runs.get). */
export function runSummary(r: RunRow) {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    datasetId: r.datasetId,
    splitId: r.splitId,
    modelId: r.modelId,
    device: r.device,
    error: r.error,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
  };
}

export const runHandlers = {
  'runs.list': (_req, ctx) => ctx.store.runs.list().map(runSummary),
  'runs.metrics': (req, ctx) => {
    ctx.store.runs.get(req.run);
    return ctx.store.runs.metrics(req.run, req.name);
  },
  'runs.get': (req, ctx) => {
    const r = ctx.store.runs.get(req.run);
    const checkpoints = ctx.store.checkpoints.list(r.id).map((c) => ({ step: c.step, epoch: c.epoch, path: c.path, best: c.best, createdAt: c.createdAt }));
    const lastMetrics = ctx.store.runs.latestMetrics(r.id);
    return {
      ...runSummary(r),
      config: r.config,
      result: r.result,
      outputDir: r.outputDir,
      seed: r.seed,
      checkpoints,
      lastMetrics,
    };
  },
} satisfies Partial<Handlers>;
