/**
 * `jobs.export` and `jobs.import`: a fine-tune handed to PyTorch DDP on a cluster and its model
 * brought back. Export writes files only (no onnxruntime); import's forecast check runs 64
 * windows, which the predictor slices over its worker threads.
 */
import { join } from 'node:path';
import { exportClusterJob } from '../../cluster/export-job.js';
import { importClusterJob } from '../../cluster/import-job.js';
import type { CallContext, Handlers } from './context.js';
import { readSettings } from './core.js';
import { resolveTrainingRequest } from './train.js';

/** The commands a user runs next, shown by the CLI and the Train page (README.md in the folder has the others). */
function nextCommands(dir: string): string[] {
  return [
    `cd ${JSON.stringify(dir)}`,
    'python3 -m pip install -r requirements.txt',
    'torchrun --standalone --nproc_per_node <GPUs> train_ttm.py',
    `ttm-studio jobs import ${JSON.stringify(dir)}`,
  ];
}

export const clusterHandlers = {
  'jobs.export': async (req, ctx: CallContext) => {
    const { datasetId, splitId, model, config, options } = resolveTrainingRequest(ctx, req);
    const ds = ctx.store.datasets.resolve(datasetId);
    const split = ctx.store.splits.get(splitId);
    const name = req.name ?? `cluster-${ds.name}-${split.name}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 100);
    const out = req.out ?? join(ctx.layout.clusterJobs, name);
    const summary = await ctx.operations.run('Exporting a cluster job', 'stages', req.operationId, async (p) => {
      let stage = 0;
      return exportClusterJob({
        store: ctx.store,
        dataset: datasetId,
        split: splitId,
        model: model === null ? null : { id: model.id, name: model.name, path: model.path },
        config,
        options,
        name,
        outDir: out,
        overwrite: req.force,
        onProgress: (message) => p.update(++stage, 4, message),
      });
    });
    ctx.emit({ type: 'data.changed', what: 'datasets' }); // the split is locked now
    return { ...summary, name, commands: nextCommands(summary.dir) };
  },
  'jobs.import': async (req, ctx) => {
    const summary = await importClusterJob({
      store: ctx.store,
      dir: req.dir,
      ...(req.name !== undefined ? { name: req.name } : {}),
      runsDir: ctx.layout.runs,
      threads: readSettings(ctx).threads,
    });
    ctx.emit({ type: 'data.changed', what: 'models' });
    ctx.emit({ type: 'data.changed', what: 'runs' });
    return summary;
  },
} satisfies Pick<Handlers, 'jobs.export' | 'jobs.import'>;
