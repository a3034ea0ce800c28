/**
 * The TTMConfig and loop flags shared by `train` and `jobs export`: the same flags, parsed the
 * same way, so a cluster job is configured exactly like a local run.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { StudioError } from '../../engine/errors.js';
import { intArg, listArg, numArg } from './train-args.js';

export interface TrainConfigOpts {
  config?: string;
  mode?: string;
  epochs?: number;
  lr?: number;
  batchSize?: number;
  context?: number;
  forecast?: number;
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
}

/** Adds the config flags (--config, --mode, --epochs, … --threads) to a command. */
export function addTrainConfigOptions(command: Command): Command {
  return command
    .option('--config <file.json>', 'TTMConfig as JSON (camelCase or snake_case); flags override it')
    .option('--mode <mode>', 'fine_tune | from_scratch')
    .option('--epochs <n>', 'epochs', intArg('--epochs'))
    .option('--lr <x>', 'peak learning rate', numArg('--lr'))
    .option('--batch-size <n>', 'windows per step', intArg('--batch-size'))
    .option('--context <n>', 'context length (from_scratch)', intArg('--context'))
    .option('--forecast <n>', 'forecast length in steps (from_scratch)', intArg('--forecast'))
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
    .option('--threads <n>', 'onnxruntime threads', intArg('--threads'));
}

/** Flag → TTMConfig key. */
const CONFIG_FLAGS: readonly (readonly [keyof TrainConfigOpts, string])[] = [
  ['mode', 'trainingMode'],
  ['epochs', 'numEpochs'],
  ['lr', 'learningRate'],
  ['batchSize', 'batchSize'],
  ['context', 'contextLength'],
  ['forecast', 'forecastLength'],
  ['freeze', 'freezeBackbone'],
  ['targets', 'targetFeatures'],
  ['inputs', 'inputFeatures'],
  ['patience', 'earlyStoppingPatience'],
  ['seed', 'seed'],
  ['lossHorizon', 'lossHorizonSteps'],
  ['lossTailWeight', 'lossTailWeight'],
  ['windowScaling', 'windowScaling'],
  ['architecture', 'scratchArchitecture'],
  ['device', 'device'],
  ['threads', 'threads'],
];

/** Flag → TrainOptions key (the loop's settings). */
const OPTION_FLAGS: readonly (readonly [keyof TrainConfigOpts, string])[] = [
  ['schedule', 'schedule'],
  ['validateEvery', 'validateEverySteps'],
  ['checkpointEvery', 'checkpointEverySteps'],
  ['trainStride', 'trainStride'],
  ['maxTrainWindows', 'maxTrainWindows'],
  ['maxSteps', 'maxSteps'],
];

/** The data and base model of a run: --dataset, --split, --model (train and jobs export). */
export function addRunDataOptions(command: Command): Command {
  return command
    .option('--dataset <dataset>', 'dataset name or id')
    .option('--split <split>', 'split name or id (see `ttm-studio splits list`)')
    .option('--model <model>', 'base model (registered name or id) for fine_tune (default: the bundled default model, see models list)');
}

/** Flags override the config file; both are validated by the engine (TTMConfig, TrainOptions). */
export async function configFrom(opts: TrainConfigOpts): Promise<{ config: Record<string, unknown>; options: Record<string, unknown> }> {
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
  for (const [flag, key] of CONFIG_FLAGS) if (opts[flag] !== undefined) config[key] = opts[flag];
  if (
    config.trainingMode === 'from_scratch' &&
    opts.freeze === undefined &&
    fileConfig.freezeBackbone === undefined &&
    fileConfig.freeze_backbone === undefined
  )
    config.freezeBackbone = false;
  const options: Record<string, unknown> = { ...fileOptions };
  for (const [flag, key] of OPTION_FLAGS) if (opts[flag] !== undefined) options[key] = opts[flag];
  return { config, options };
}
