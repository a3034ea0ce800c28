import type { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { ApiResponse } from '../../engine/api/contract.js';
import { StudioError } from '../../engine/errors.js';
import { formatBytes } from '../../engine/util/bytes.js';
import { contextFrom } from '../context.js';
import { addRunDataOptions, addTrainConfigOptions, configFrom, type TrainConfigOpts } from './train-config.js';

interface ExportOpts extends TrainConfigOpts {
  dataset?: string;
  split?: string;
  model?: string;
  name?: string;
  out?: string;
  force?: boolean;
}

function describeExport(r: ApiResponse<'jobs.export'>): string {
  return [
    `Cluster job written to ${r.dir} (${formatBytes(r.bytes)} of patient data: training and validation parts only).`,
    `  ${r.trainWindows.toLocaleString('en-US')} training and ${r.valWindows.toLocaleString('en-US')} validation windows; ${r.totalSteps.toLocaleString('en-US')} steps at the app's batch size`,
    '',
    'Run it (one process: python3 train_ttm.py; SLURM and several machines: README.md in the folder):',
    ...r.commands.map((c) => `  ${c}`),
  ].join('\n');
}

function describeImport(r: ApiResponse<'jobs.import'>): string {
  return [
    `Imported as run ${r.runId} (external): model "${r.modelName}" registered.`,
    `  ${r.steps} steps; best validation loss ${r.bestValidLoss === null ? '—' : r.bestValidLoss.toPrecision(4)} at step ${r.bestStep ?? '—'}; ${r.metrics} metric points`,
    `  forecasts of ${r.check.windows} windows reproduce the job's PyTorch forecasts to ${r.check.maxAbsDiff.toExponential(1)} (tolerance ${r.check.tolerance})`,
    ...r.notes.map((n) => `  note: ${n}`),
  ].join('\n');
}

export function register(program: Command): void {
  const jobs = program.command('jobs').description('Run a fine-tune on a cluster (PyTorch DDP via torchrun or SLURM) and bring the model back');

  const exp = jobs
    .command('export')
    .description('Write a self-contained job folder (training + validation data, never the test part; base model, config, train_ttm.py, launch scripts)');
  addTrainConfigOptions(addRunDataOptions(exp))
    .option('--name <name>', 'name of the model the job will produce (default: cluster-<dataset>-<split>)')
    .option('--out <dir>', 'folder to write (created; must be empty or hold an earlier job)')
    .option('--force', 'replace an earlier job in --out (its output/ goes too)')
    .addHelpText(
      'after',
      '\nExamples:\n  ttm-studio jobs export --dataset cohort --split s1 --epochs 20 --out /scratch/ttm-job\n  ttm-studio jobs export --dataset cohort --split s1 --config cfg.json --out job --force',
    )
    .action(async (opts: ExportOpts, command: Command) => {
      const ctx = contextFrom(command);
      if (opts.dataset === undefined || opts.split === undefined || opts.out === undefined)
        throw new StudioError('INVALID_INPUT', 'jobs export needs --dataset, --split and --out.');
      const { config, options } = await configFrom(opts);
      const res = await ctx.withService((service) =>
        service.invoke('jobs.export', {
          dataset: opts.dataset!,
          split: opts.split!,
          config,
          options,
          out: resolve(opts.out!),
          force: opts.force === true,
          // An operation id turns on the progress line on stderr (loading, writing windows, the base model).
          operationId: `export-${randomUUID()}`,
          ...(opts.model !== undefined ? { model: opts.model } : {}),
          ...(opts.name !== undefined ? { name: opts.name } : {}),
        }),
      );
      ctx.out.result(res, () => describeExport(res));
    });

  jobs
    .command('import')
    .description("Register a finished job's best checkpoint as a model and record the job as a run (checks that it reproduces the job's forecasts)")
    .argument('<dir>', 'the job folder (with output/ written by train_ttm.py)')
    .option('--name <name>', "name to register the model under (default: the job's name)")
    .action(async (dir: string, opts: { name?: string }, command: Command) => {
      const ctx = contextFrom(command);
      const res = await ctx.withService((service) =>
        service.invoke('jobs.import', { dir: resolve(dir), ...(opts.name !== undefined ? { name: opts.name } : {}) }),
      );
      ctx.out.result(res, () => describeImport(res));
    });
}
