import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { ApiResponse } from '../../engine/api/contract.js';
import type { StudioService } from '../../engine/api/service.js';
import { StudioError } from '../../engine/errors.js';
import { contextFrom, type CliContext } from '../context.js';
import { intArg, listArg, numArg } from './train-args.js';

interface TrainOpts {
  dataset?: string;
  split?: string;
  config?: string;
  model?: string;
  mode?: string;
  epochs?: number;
  lr?: number;
  batchSize?: number;
  context?: number;
  horizon?: number;
  freeze?: boolean;
  targets?: string[];
  inputs?: string[];
  patience?: number;
  seed?: number;
  schedule?: string;
  validateEvery?: number;
  checkpointEvery?: number;
  trainStride?: number;
  maxTrainWindows?: number;
  maxSteps?: number;
  lossHorizon?: number;
  lossTailWeight?: number;
  windowScaling?: string;
  architecture?: string;
  device?: string;
  threads?: number;
  name?: string;
  resume?: number;
}

/** Flags override the config file; both are validated by the engine (TTMConfig, TrainOptions). */
async function configFrom(opts: TrainOpts): Promise<{ config: Record<string, unknown>; options: Record<string, unknown> }> {
  let fileConfig: Record<string, unknown> = {};
  let fileOptions: Record<string, unknown> = {};
  if (opts.config !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(opts.config, 'utf8'));
    } catch (e) {
      throw new StudioError('PARSE', `Cannot read the config ${opts.config}: ${(e as Error).message}`);
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new StudioError('INVALID_INPUT', `${opts.config} must hold a JSON object.`);
    // A config file may carry loop settings under "training_options" / "trainingOptions".
    const { training_options: a, trainingOptions: b, ...rest } = raw as Record<string, unknown>;
    fileConfig = rest;
    const o = a ?? b;
    if (o !== undefined && (o === null || typeof o !== 'object')) throw new StudioError('INVALID_INPUT', 'trainingOptions must be an object.');
    fileOptions = (o ?? {}) as Record<string, unknown>;
  }
  const config: Record<string, unknown> = { ...fileConfig };
  const set = (k: string, v: unknown): void => {
    if (v !== undefined) config[k] = v;
  };
  set('trainingMode', opts.mode);
  set('numEpochs', opts.epochs);
  set('learningRate', opts.lr);
  set('batchSize', opts.batchSize);
  set('contextLength', opts.context);
  set('forecastLength', opts.horizon);
  set('freezeBackbone', opts.freeze);
  set('targetFeatures', opts.targets);
  set('inputFeatures', opts.inputs);
  set('earlyStoppingPatience', opts.patience);
  set('seed', opts.seed);
  set('lossHorizonSteps', opts.lossHorizon);
  set('lossTailWeight', opts.lossTailWeight);
  set('windowScaling', opts.windowScaling);
  set('scratchArchitecture', opts.architecture);
  set('device', opts.device);
  set('threads', opts.threads);
  if (
    config.trainingMode === 'from_scratch' &&
    opts.freeze === undefined &&
    fileConfig.freezeBackbone === undefined &&
    fileConfig.freeze_backbone === undefined
  )
    config.freezeBackbone = false;
  const options: Record<string, unknown> = { ...fileOptions };
  const setO = (k: string, v: unknown): void => {
    if (v !== undefined) options[k] = v;
  };
  setO('schedule', opts.schedule);
  setO('validateEverySteps', opts.validateEvery);
  setO('checkpointEverySteps', opts.checkpointEvery);
  setO('trainStride', opts.trainStride);
  setO('maxTrainWindows', opts.maxTrainWindows);
  setO('maxSteps', opts.maxSteps);
  return { config, options };
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
  program
    .command('train')
    .description('Fine-tune (or train from scratch) a TTM in a worker process, with a progress bar; Ctrl+C stops after the current step')
    .option('--dataset <dataset>', 'dataset name or id')
    .option('--split <split>', 'split name or id (see `ttm-studio splits list`)')
    .option('--config <file.json>', 'TTMConfig as JSON (camelCase or snake_case); flags override it')
    .option('--model <model>', 'base model (registered name or id) for fine_tune (default: the bundled default model, see models list)')
    .option('--mode <mode>', 'fine_tune | from_scratch')
    .option('--epochs <n>', 'epochs', intArg('--epochs'))
    .option('--lr <x>', 'peak learning rate', numArg('--lr'))
    .option('--batch-size <n>', 'windows per step', intArg('--batch-size'))
    .option('--context <n>', 'context length (from_scratch)', intArg('--context'))
    .option('--horizon <n>', 'forecast length (from_scratch)', intArg('--horizon'))
    .option('--freeze', 'freeze the backbone (train decoder and head only)')
    .option('--no-freeze', 'train every parameter')
    .option('--targets <cols>', 'target channels (default bg_mM)', listArg)
    .option('--inputs <cols>', 'covariate channels, e.g. iob,cob (mix_channel decoding)', listArg)
    .option('--patience <n>', 'early-stopping patience in validations (0 = off)', intArg('--patience'))
    .option('--seed <n>', 'seed (data order, dropout, init)', intArg('--seed'))
    .option('--schedule <kind>', 'one-cycle | warmup-linear | warmup-cosine | constant')
    .option('--validate-every <steps>', 'validation interval (default: each epoch)', intArg('--validate-every'))
    .option('--checkpoint-every <steps>', 'checkpoint interval (default: each epoch)', intArg('--checkpoint-every'))
    .option('--train-stride <n>', 'bins between training windows', intArg('--train-stride'))
    .option('--max-train-windows <n>', 'seeded subsample of training windows', intArg('--max-train-windows'))
    .option('--max-steps <n>', 'cap on optimizer steps: total = min(epochs × steps per epoch, max steps)', intArg('--max-steps'))
    .option('--loss-horizon <steps>', 'forecast steps the loss weighs fully (e.g. 24 = 2 h at 5 min)', intArg('--loss-horizon'))
    .option('--loss-tail-weight <w>', 'loss weight (0–1) of the steps after --loss-horizon', numArg('--loss-tail-weight'))
    .option('--window-scaling <kind>', "TTM's per-window scaler: inherit | std | mean | none (default inherit: the base model's)")
    .option('--architecture <kind>', "network for --mode from_scratch: get_random_ttm (default) | r2 (the bundled model's geometry)")
    .option('--device <device>', 'cpu | cuda (falls back to CPU with a message)')
    .option('--threads <n>', 'onnxruntime threads', intArg('--threads'))
    .option('--name <name>', 'name of the trained model to register')
    .option('--resume <run>', 'resume an interrupted or cancelled run from its last checkpoint', intArg('--resume'))
    .addHelpText(
      'after',
      '\nExamples:\n  ttm-studio train --dataset demo --split s1 --model tiny --epochs 3 --freeze\n  ttm-studio train --dataset demo --split s1 --mode from_scratch --context 96 --horizon 24 --epochs 5\n  ttm-studio train --resume 12',
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
