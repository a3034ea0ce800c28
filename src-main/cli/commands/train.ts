import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { ApiResponse } from '../../engine/api/contract.js';
import type { StudioService } from '../../engine/api/service.js';
import { StudioError } from '../../engine/errors.js';
import { contextFrom, type CliContext } from '../context.js';
import { intArg } from './train-args.js';
import { addRunDataOptions, addTrainConfigOptions, configFrom, type TrainConfigOpts } from './train-config.js';

interface TrainOpts extends TrainConfigOpts {
  dataset?: string;
  split?: string;
  model?: string;
  name?: string;
  resume?: number;
}

/** Runs a training call with Ctrl+C → cancel (checkpoint kept) and the CUDA fallback message shown. */
async function follow(ctx: CliContext, service: StudioService, call: () => Promise<ApiResponse<'train.start'>>): Promise<ApiResponse<'train.start'>> {
  let runId: number | null = null;
  const unsubscribe = service.subscribe((e) => {
    if (e.type !== 'run') return;
    runId ??= e.runId;
    if (e.device !== undefined) ctx.out.info(`run ${e.runId}: training on ${e.device}${e.message !== undefined ? ` — ${e.message}` : ''}`);
  });
  const onSigint = (): void => {
    if (runId === null) return;
    ctx.out.info(`\nCancelling run ${runId} after the current step (its checkpoint is kept; resume with --resume ${runId})…`);
    service.training.cancel(runId);
  };
  process.on('SIGINT', onSigint);
  try {
    return await call();
  } finally {
    process.removeListener('SIGINT', onSigint);
    unsubscribe();
  }
}

function describeEnd(r: ApiResponse<'train.start'>): string {
  const res = r.result ?? {};
  const lines = [`Run ${r.runId}: ${r.status}.`];
  if (r.status === 'completed') {
    lines.push(
      `  steps ${String(res.steps)} (${Number(res.epochs).toFixed(2)} epochs) on ${String(res.device)}, ${Number(res.samplesPerSecond).toFixed(0)} samples/s`,
    );
    if (typeof res.bestValidLoss === 'number') lines.push(`  best validation loss ${res.bestValidLoss.toPrecision(4)} at step ${String(res.bestStep)}`);
    lines.push(`  model "${String(res.modelName)}" registered → ${String(res.modelDir)}`);
    const re = Array.isArray(res.reinitializedTensors) ? (res.reinitializedTensors as { name: string }[]) : [];
    if (re.length > 0)
      lines.push(
        `  ${re.length} tensor(s) of the base model (${String(res.baseModelChannels)} channel(s)) were re-initialised to fit the data: ${re.map((t) => t.name).join(', ')}`,
      );
  } else if (r.error !== null) lines.push(`  ${r.error}`);
  return lines.join('\n');
}

export function register(program: Command): void {
  const command = program
    .command('train')
    .description('Fine-tune (or train from scratch) a TTM in a worker process, with a progress bar; Ctrl+C stops after the current step');
  addTrainConfigOptions(addRunDataOptions(command))
    .option('--name <name>', 'name of the trained model to register')
    .option('--resume <run>', 'resume an interrupted or cancelled run from its last checkpoint', intArg('--resume'))
    .addHelpText(
      'after',
      '\nExamples:\n  ttm-studio train --dataset demo --split s1 --model tiny --epochs 3 --freeze\n  ttm-studio train --dataset demo --split s1 --mode from_scratch --context 96 --forecast 24 --epochs 5\n  ttm-studio train --resume 12',
    )
    .action(async (opts: TrainOpts, command: Command) => {
      const ctx = contextFrom(command);
      if (opts.device !== undefined && opts.device !== 'cpu' && opts.device !== 'cuda') throw new InvalidArgumentError('--device must be cpu or cuda.');
      const res = await ctx.withService(async (service) => {
        if (opts.resume !== undefined) return follow(ctx, service, () => service.invoke('train.resume', { run: opts.resume!, wait: true }));
        if (opts.dataset === undefined || opts.split === undefined)
          throw new StudioError('INVALID_INPUT', 'train needs --dataset and --split (or --resume RUN).');
        const { config, options } = await configFrom(opts);
        return follow(ctx, service, () =>
          service.invoke('train.start', {
            dataset: opts.dataset!,
            split: opts.split!,
            config,
            options,
            wait: true,
            ...(opts.model !== undefined ? { model: opts.model } : {}),
            ...(opts.name !== undefined ? { name: opts.name } : {}),
          }),
        );
      });
      ctx.out.result(res, () => describeEnd(res));
      if (res.status === 'cancelled')
        throw new StudioError('CANCELLED', `Run ${res.runId} was cancelled; resume it with \`ttm-studio train --resume ${res.runId}\`.`);
      if (res.status === 'interrupted') throw new StudioError('RUNTIME', `Run ${res.runId} was interrupted: ${res.error ?? ''}`);
    });
}
