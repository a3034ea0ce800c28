/**
 * The app-level TTM configuration (`TTMConfig`): what a user chooses for a run —
 * model source, window lengths, features, preprocessing and training settings. The HF
 * `config.json` (hf-config.ts) describes the network; this describes the experiment.
 *
 * JSON spelling: camelCase is canonical (what we write). Reading also accepts Python-style
 * snake_case keys (`context_length`, `learning_rate`, …), at any nesting level; giving both
 * spellings of one key is an error. Unknown keys are errors (they are usually typos).
 *
 * The schema is JSON-Schema-serialisable (`ttmConfigJsonSchema()`) so the renderer can build
 * a form from it: every field has a description; cross-field rules live in a superRefine,
 * which JSON Schema ignores but parsing enforces.
 */
import { z } from 'zod';
import { StudioError } from '../errors.js';
import { formatZodIssues } from '../util/json.js';

export const SCALER_TYPES = ['standard', 'minmax', 'robust'] as const;
export const IMPUTATION_STRATEGIES = ['linear', 'mean', 'median', 'forward_fill', 'zero'] as const;
export const TRAINING_MODES = ['zero_shot', 'fine_tune', 'from_scratch'] as const;
export const LOSS_FUNCTIONS = ['mse', 'mae', 'huber', 'pinball'] as const;
export const SPLIT_METHODS = ['temporal', 'patient_holdout', 'hybrid'] as const;
/** TTM's per-window scaler inside the network ('inherit' = the base model's; 'none' = the global scaler alone). */
export const WINDOW_SCALINGS = ['inherit', 'std', 'mean', 'none'] as const;
/** Network built by trainingMode "from_scratch": granite-tsfm's get_random_ttm sizing, or the r2 geometry of the bundled and published r2 models. */
export const SCRATCH_ARCHITECTURES = ['get_random_ttm', 'r2'] as const;

export const DEFAULT_TTM_MODEL_PATH = 'ibm-granite/granite-timeseries-ttm-r2';

export const SplitConfigSchema = z
  .strictObject({
    method: z.enum(SPLIT_METHODS).default('temporal').describe('temporal: last part of each patient; patient_holdout: unseen patients; hybrid: both.'),
    trainFraction: z.number().gt(0).lt(1).default(0.7).describe('Share of the data used for training.'),
    validationFraction: z.number().min(0).lt(1).default(0.15).describe('Share used for validation (early stopping, calibration).'),
    testFraction: z.number().min(0).lt(1).default(0.15).describe('Share held out for the final evaluation.'),
    splitId: z.string().min(1).nullable().default(null).describe('Reuse a stored split by id instead of making a new one.'),
  })
  .describe('How the data is split into training, validation and test parts.');

const featureName = z.string().min(1);

export const TtmConfigSchema = z
  .strictObject({
    modelPath: z
      .string()
      .min(1)
      .default(DEFAULT_TTM_MODEL_PATH)
      .describe('Hugging Face repository (ibm-granite/granite-timeseries-ttm-r2, …-r1) or a local checkpoint directory.'),
    contextLength: z.number().int().min(2).max(100_000).default(512).describe('Input time steps the model sees (512 = 42.7 h at 5 min).'),
    forecastLength: z.number().int().min(1).max(10_000).default(96).describe('Time steps to forecast (96 = 8 h at 5 min).'),
    batchSize: z.number().int().min(1).max(65_536).default(64).describe('Windows per training step.'),
    learningRate: z.number().gt(0).max(10).default(1e-4).describe('Peak learning rate of the schedule.'),
    numEpochs: z.number().int().min(0).max(100_000).default(10).describe('Passes over the training windows (0 = no training).'),
    warmupSteps: z.number().int().min(0).default(0).describe('Optimizer steps of linear learning-rate warm-up.'),
    weightDecay: z.number().min(0).max(1).default(0.01).describe('AdamW weight decay.'),
    gradientClipVal: z.number().min(0).default(1).describe('Clip gradients to this global norm (0 = no clipping).'),
    earlyStoppingPatience: z.number().int().min(0).default(10).describe('Epochs without validation improvement before stopping (0 = never stop early).'),
    inputFeatures: z.array(featureName).default([]).describe('Covariate columns fed to the model besides the targets (e.g. iob, cob).'),
    targetFeatures: z.array(featureName).min(1).default(['bg_mM']).describe('Columns to forecast.'),
    scalerType: z.enum(SCALER_TYPES).default('standard').describe('Per-channel scaling fitted on training data only.'),
    imputationStrategy: z.enum(IMPUTATION_STRATEGIES).default('linear').describe('How short gaps are filled before windowing.'),
    splitConfig: SplitConfigSchema.prefault({}),
    freezeBackbone: z.boolean().default(true).describe('Train only the decoder and head; keep the pre-trained backbone fixed.'),
    trainingMode: z
      .enum(TRAINING_MODES)
      .default('fine_tune')
      .describe('zero_shot: use the pre-trained model as is; fine_tune: start from it; from_scratch: random weights.'),
    lossFunction: z.enum(LOSS_FUNCTIONS).default('mse').describe('Training loss, computed in data units.'),
    quantile: z.number().gt(0).lt(1).default(0.5).describe('Quantile of the pinball loss.'),
    huberDelta: z.number().gt(0).default(1).describe('Delta of the Huber loss, in data units.'),
    lossHorizonSteps: z
      .number()
      .int()
      .min(1)
      .nullable()
      .default(24)
      .describe(
        'Forecast steps the loss weighs fully (24 = 2 h at 5 min, the range a glucose forecast is judged on); later steps get lossTailWeight. null = every step alike.',
      ),
    lossTailWeight: z
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .describe('Loss weight of the forecast steps after lossHorizonSteps (0 = ignore them, 1 = every step alike).'),
    scratchArchitecture: z
      .enum(SCRATCH_ARCHITECTURES)
      .default('get_random_ttm')
      .describe(
        'Network for from_scratch: get_random_ttm (granite-tsfm sizing, small) or r2 (the r2 geometry, 805k parameters at 512-96; context a multiple of 64).',
      ),
    windowScaling: z
      .enum(WINDOW_SCALINGS)
      .default('inherit')
      .describe("TTM's per-window scaler (HF scaling): std, mean or none; inherit = keep the base model's. Changes the network: training only."),
    resolutionMin: z.number().int().min(1).max(1440).default(5).describe('Grid resolution in minutes.'),
    loggingDir: z.string().min(1).nullable().default(null).describe('Where training logs (TensorBoard events) go; null = the run directory.'),
    numInputChannels: z.number().int().min(1).nullable().default(null).describe('Channels into the model; null = targets + inputs.'),
    predictionFilterLength: z
      .number()
      .int()
      .min(1)
      .nullable()
      .default(null)
      .describe('Use only the first N forecast steps (when the model forecasts further than needed).'),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(42)
      .describe('Seed for splits, initialisation, shuffling and dropout.'),
    device: z.enum(['cpu', 'cuda']).default('cpu').describe('Where onnxruntime runs.'),
    threads: z.number().int().min(1).max(256).nullable().default(null).describe('Intra-op threads; null = number of cores.'),
  })
  .superRefine((c, ctx) => {
    const dup = (xs: string[]) => xs.filter((x, i) => xs.indexOf(x) !== i);
    for (const key of ['targetFeatures', 'inputFeatures'] as const) {
      const d = dup(c[key]);
      if (d.length > 0) ctx.addIssue({ code: 'custom', path: [key], message: `lists ${d.map((x) => `"${x}"`).join(', ')} more than once` });
    }
    const both = c.inputFeatures.filter((f) => c.targetFeatures.includes(f));
    if (both.length > 0)
      ctx.addIssue({ code: 'custom', path: ['inputFeatures'], message: `${both.join(', ')} is also a target; list it in targetFeatures only` });
    const channels = c.targetFeatures.length + c.inputFeatures.length;
    if (c.numInputChannels !== null && c.numInputChannels !== channels) {
      ctx.addIssue({ code: 'custom', path: ['numInputChannels'], message: `is ${c.numInputChannels} but targetFeatures + inputFeatures give ${channels}` });
    }
    if (c.predictionFilterLength !== null && c.predictionFilterLength > c.forecastLength) {
      ctx.addIssue({
        code: 'custom',
        path: ['predictionFilterLength'],
        message: `(${c.predictionFilterLength}) cannot exceed forecastLength (${c.forecastLength})`,
      });
    }
    if (c.scratchArchitecture === 'r2' && c.trainingMode !== 'from_scratch') {
      ctx.addIssue({
        code: 'custom',
        path: ['scratchArchitecture'],
        message: 'only applies to trainingMode "from_scratch" (fine-tuning keeps the base model\'s network)',
      });
    }
    if (c.scratchArchitecture === 'r2' && c.contextLength % 64 !== 0) {
      ctx.addIssue({ code: 'custom', path: ['scratchArchitecture'], message: `r2 needs a contextLength that is a multiple of 64 (got ${c.contextLength})` });
    }
    if (c.trainingMode === 'zero_shot' && c.windowScaling !== 'inherit') {
      ctx.addIssue({ code: 'custom', path: ['windowScaling'], message: 'changes the network, so it needs training; leave it "inherit" for zero_shot' });
    }
    if (c.trainingMode === 'zero_shot' && c.numEpochs !== 0) {
      ctx.addIssue({ code: 'custom', path: ['numEpochs'], message: 'must be 0 for trainingMode "zero_shot" (zero-shot does not train)' });
    }
    if (c.trainingMode !== 'zero_shot' && c.numEpochs === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['numEpochs'],
        message: `must be at least 1 for trainingMode "${c.trainingMode}"; use "zero_shot" for no training`,
      });
    }
    if (c.trainingMode === 'from_scratch' && c.freezeBackbone) {
      ctx.addIssue({
        code: 'custom',
        path: ['freezeBackbone'],
        message: 'must be false for trainingMode "from_scratch" (a random backbone cannot stay frozen)',
      });
    }
    const s = c.splitConfig;
    const total = s.trainFraction + s.validationFraction + s.testFraction;
    if (s.splitId === null && Math.abs(total - 1) > 1e-9) {
      ctx.addIssue({
        code: 'custom',
        path: ['splitConfig'],
        message: `trainFraction + validationFraction + testFraction must be 1 (got ${Number(total.toFixed(6))})`,
      });
    }
  })
  .describe('TinyTimeMixer experiment configuration.');

/** What a caller may pass (camelCase; every field optional). */
export type TTMConfigInput = z.input<typeof TtmConfigSchema>;
/** A complete, validated configuration. */
export type TTMConfig = z.output<typeof TtmConfigSchema>;
export type SplitConfig = z.output<typeof SplitConfigSchema>;

/** Training-side view (TTMTrainingConfig). */
export interface TTMTrainingConfig {
  trainingMode: TTMConfig['trainingMode'];
  batchSize: number;
  learningRate: number;
  numEpochs: number;
  warmupSteps: number;
  weightDecay: number;
  gradientClipVal: number;
  earlyStoppingPatience: number;
  freezeBackbone: boolean;
  lossFunction: TTMConfig['lossFunction'];
  quantile: number;
  huberDelta: number;
  lossHorizonSteps: number | null;
  lossTailWeight: number;
  windowScaling: TTMConfig['windowScaling'];
  scalerType: TTMConfig['scalerType'];
  seed: number;
  device: TTMConfig['device'];
  threads: number | null;
  loggingDir: string | null;
}

/** Data-side view (TTMDataConfig). Channel order: targets, then inputs. */
export interface TTMDataConfig {
  inputFeatures: string[];
  targetFeatures: string[];
  /** targets followed by inputs: the model's channel order. */
  channels: string[];
  numChannels: number;
  contextLength: number;
  forecastLength: number;
  predictionFilterLength: number | null;
  scalerType: TTMConfig['scalerType'];
  imputationStrategy: TTMConfig['imputationStrategy'];
  resolutionMin: number;
  splitConfig: SplitConfig;
}

const snakeToCamel = (k: string): string => k.replace(/_([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());

/** Rewrites snake_case keys (at any depth of plain objects) to camelCase; both spellings of one key is an error. */
function normaliseKeys(value: unknown, path: string[] = []): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const camel = snakeToCamel(k);
    if (camel in out) {
      throw new StudioError('INVALID_INPUT', `TTM config is invalid: ${[...path, camel].join('.')} is given twice (as "${origin[camel]}" and "${k}").`);
    }
    origin[camel] = k;
    out[camel] = normaliseKeys(v, [...path, camel]);
  }
  return out;
}

function formatIssues(error: z.ZodError): string {
  return formatZodIssues(error, { max: 8, unknownFields: true });
}

/** Validates a TTM config from any source (JSON file, IPC, CLI flags); accepts snake_case keys. */
export function parseTtmConfig(input: unknown): TTMConfig {
  const parsed = TtmConfigSchema.safeParse(normaliseKeys(input));
  if (!parsed.success) throw new StudioError('INVALID_INPUT', `TTM config is invalid: ${formatIssues(parsed.error)}`);
  return parsed.data;
}

/** JSON text → TTMConfig; bad JSON is a PARSE error. */
export function parseTtmConfigJson(text: string, source = 'TTM config'): TTMConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new StudioError('PARSE', `${source} is not valid JSON: ${(e as Error).message}`, undefined, { cause: e });
  }
  return parseTtmConfig(raw);
}

/** Canonical JSON (camelCase, 2-space indent). */
export function serializeTtmConfig(config: TTMConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** JSON Schema of the input form (defaults and descriptions included) for generated UI forms. */
export function ttmConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(TtmConfigSchema, { io: 'input' }) as Record<string, unknown>;
}

/** Field name → description, for labels and tooltips. */
export function ttmConfigFieldDescriptions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, s] of Object.entries(TtmConfigSchema.shape)) {
    const d = (s as z.ZodType).description;
    if (d !== undefined) out[k] = d;
  }
  return out;
}

export function numInputChannels(config: TTMConfig): number {
  return config.numInputChannels ?? config.targetFeatures.length + config.inputFeatures.length;
}

export function toTrainingConfig(config: TTMConfig): TTMTrainingConfig {
  return {
    trainingMode: config.trainingMode,
    batchSize: config.batchSize,
    learningRate: config.learningRate,
    numEpochs: config.numEpochs,
    warmupSteps: config.warmupSteps,
    weightDecay: config.weightDecay,
    gradientClipVal: config.gradientClipVal,
    earlyStoppingPatience: config.earlyStoppingPatience,
    freezeBackbone: config.freezeBackbone,
    lossFunction: config.lossFunction,
    quantile: config.quantile,
    huberDelta: config.huberDelta,
    lossHorizonSteps: config.lossHorizonSteps,
    lossTailWeight: config.lossTailWeight,
    windowScaling: config.windowScaling,
    scalerType: config.scalerType,
    seed: config.seed,
    device: config.device,
    threads: config.threads,
    loggingDir: config.loggingDir,
  };
}

export function toDataConfig(config: TTMConfig): TTMDataConfig {
  const channels = [...config.targetFeatures, ...config.inputFeatures];
  return {
    inputFeatures: [...config.inputFeatures],
    targetFeatures: [...config.targetFeatures],
    channels,
    numChannels: channels.length,
    contextLength: config.contextLength,
    forecastLength: config.forecastLength,
    predictionFilterLength: config.predictionFilterLength,
    scalerType: config.scalerType,
    imputationStrategy: config.imputationStrategy,
    resolutionMin: config.resolutionMin,
    splitConfig: { ...config.splitConfig },
  };
}

/** Standard training configuration; overrides win and the result is validated. */
export function createDefaultTtmConfig(overrides: TTMConfigInput = {}): TTMConfig {
  return parseTtmConfig({ ...overrides });
}

/** Fine-tuning defaults: lower learning rate, few epochs, warm-up, so a pretrained model is adapted rather than overwritten. */
export function createTtmFineTuningConfig(overrides: TTMConfigInput = {}): TTMConfig {
  return parseTtmConfig({ learningRate: 1e-5, numEpochs: 5, warmupSteps: 500, trainingMode: 'fine_tune', ...overrides });
}

/** Inference only: no training. */
export function createTtmZeroShotConfig(overrides: TTMConfigInput = {}): TTMConfig {
  return parseTtmConfig({ numEpochs: 0, trainingMode: 'zero_shot', ...overrides });
}
