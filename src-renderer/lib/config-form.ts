/**
 * The Train page's configuration form, generated from the TTMConfig zod schema
 * (`ttmConfigJsonSchema()`): one field per schema property with its description as help text,
 * its bounds, enum options and default; presets from the engine's factories; validation by
 * the same `TtmConfigSchema` the service parses with, so the messages next to each field are
 * zod's. Plain TypeScript (no Svelte) so it is unit-tested.
 */
import {
  TtmConfigSchema,
  createDefaultTtmConfig,
  createTtmFineTuningConfig,
  createTtmZeroShotConfig,
  ttmConfigJsonSchema,
  type TTMConfig,
} from '../../src-main/engine/ttm/ttm-config.js';

export type FieldKind = 'number' | 'integer' | 'enum' | 'boolean' | 'features';

export interface ConfigField {
  key: string;
  label: string;
  description: string;
  kind: FieldKind;
  /** null is allowed (an empty input means null). */
  nullable: boolean;
  options: string[];
  min: number | null;
  max: number | null;
  /** The bound excludes its value (zod's gt / lt). */
  exclusiveMin: boolean;
  exclusiveMax: boolean;
  group: 'Training' | 'Window' | 'Features' | 'Loss' | 'Data';
}

/** Fields the page sets elsewhere: model picker, split picker, Settings (device, threads), derived. */
export const OMITTED_FIELDS = ['modelPath', 'splitConfig', 'loggingDir', 'device', 'threads', 'numInputChannels'] as const;

const GROUPS: Record<string, ConfigField['group']> = {
  trainingMode: 'Training',
  scratchArchitecture: 'Training',
  freezeBackbone: 'Training',
  numEpochs: 'Training',
  batchSize: 'Training',
  learningRate: 'Training',
  warmupSteps: 'Training',
  weightDecay: 'Training',
  gradientClipVal: 'Training',
  earlyStoppingPatience: 'Training',
  seed: 'Training',
  contextLength: 'Window',
  forecastLength: 'Window',
  predictionFilterLength: 'Window',
  resolutionMin: 'Window',
  targetFeatures: 'Features',
  inputFeatures: 'Features',
  lossFunction: 'Loss',
  quantile: 'Loss',
  huberDelta: 'Loss',
  lossHorizonSteps: 'Loss',
  lossTailWeight: 'Loss',
  windowScaling: 'Data',
  scalerType: 'Data',
  imputationStrategy: 'Data',
};

const LABELS: Record<string, string> = {
  trainingMode: 'Training mode',
  scratchArchitecture: 'Architecture (from scratch)',
  freezeBackbone: 'Freeze backbone',
  numEpochs: 'Epochs',
  batchSize: 'Batch size',
  learningRate: 'Learning rate',
  warmupSteps: 'Warm-up steps',
  weightDecay: 'Weight decay',
  gradientClipVal: 'Gradient clip norm',
  earlyStoppingPatience: 'Early-stopping patience',
  seed: 'Seed',
  contextLength: 'Context length (steps)',
  forecastLength: 'Forecast length (steps)',
  predictionFilterLength: 'Prediction filter length (steps)',
  resolutionMin: 'Resolution (min)',
  targetFeatures: 'Target features',
  inputFeatures: 'Input features (covariates)',
  lossFunction: 'Loss function',
  quantile: 'Pinball quantile',
  huberDelta: 'Huber delta',
  lossHorizonSteps: 'Loss horizon (steps weighed fully)',
  lossTailWeight: 'Loss weight after the horizon',
  windowScaling: 'Per-window scaling (in the network)',
  scalerType: 'Scaler',
  imputationStrategy: 'Imputation',
};

/** "learningRate" → "Learning rate" for a field without a hand-written label. */
function humanise(key: string): string {
  const s = key.replace(/([A-Z])/g, ' $1').toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

interface JsonSchemaNode {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: JsonSchemaNode[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  description?: string;
  items?: JsonSchemaNode;
  properties?: Record<string, JsonSchemaNode>;
}

function fieldFromSchema(key: string, node: JsonSchemaNode): ConfigField | null {
  let nullable = false;
  let n = node;
  if (Array.isArray(node.anyOf)) {
    const nonNull = node.anyOf.filter((a) => a.type !== 'null');
    nullable = nonNull.length < node.anyOf.length;
    if (nonNull.length !== 1) return null;
    n = { ...nonNull[0]!, description: node.description ?? nonNull[0]!.description };
  }
  let kind: FieldKind;
  if (Array.isArray(n.enum)) kind = 'enum';
  else if (n.type === 'boolean') kind = 'boolean';
  else if (n.type === 'integer') kind = 'integer';
  else if (n.type === 'number') kind = 'number';
  else if (n.type === 'array') kind = 'features';
  else return null;
  const min = n.exclusiveMinimum ?? n.minimum ?? null;
  const max = n.exclusiveMaximum ?? n.maximum ?? null;
  return {
    key,
    label: LABELS[key] ?? humanise(key),
    description: n.description ?? '',
    kind,
    nullable,
    options: Array.isArray(n.enum) ? n.enum.map(String) : [],
    // JSON Schema writes integer bounds like ±9007199254740991 for "safe integer": not a real bound.
    min: min !== null && Math.abs(min) < Number.MAX_SAFE_INTEGER ? min : null,
    max: max !== null && Math.abs(max) < Number.MAX_SAFE_INTEGER ? max : null,
    exclusiveMin: n.exclusiveMinimum !== undefined,
    exclusiveMax: n.exclusiveMaximum !== undefined,
    group: GROUPS[key] ?? 'Training',
  };
}

let cachedFields: ConfigField[] | null = null;

/** The form's fields, in the schema's order, without the ones the page sets elsewhere. */
export function configFields(): ConfigField[] {
  if (cachedFields !== null) return cachedFields;
  const schema = ttmConfigJsonSchema() as JsonSchemaNode;
  const out: ConfigField[] = [];
  for (const [key, node] of Object.entries(schema.properties ?? {})) {
    if ((OMITTED_FIELDS as readonly string[]).includes(key)) continue;
    const f = fieldFromSchema(key, node);
    if (f !== null) out.push(f);
  }
  cachedFields = out;
  return out;
}

/** What the inputs hold: numbers as the typed text, booleans, enum choices, feature lists. */
export type FormValues = Record<string, string | boolean | string[]>;

export const PRESETS = ['default', 'fine-tune', 'zero-shot'] as const;
export type PresetName = (typeof PRESETS)[number];
export const PRESET_LABELS: Record<PresetName, string> = {
  default: 'Default (TTMConfig defaults)',
  'fine-tune': 'Fine-tune (lr 1e-5, 5 epochs, warm-up)',
  'zero-shot': 'Zero-shot (no training)',
};

export function presetConfig(name: PresetName): TTMConfig {
  if (name === 'fine-tune') return createTtmFineTuningConfig();
  if (name === 'zero-shot') return createTtmZeroShotConfig();
  return createDefaultTtmConfig();
}

/** A config → the form's values (numbers as text, null as an empty input). */
export function configToValues(config: TTMConfig): FormValues {
  const out: FormValues = {};
  const rec = config as unknown as Record<string, unknown>;
  for (const f of configFields()) {
    const v = rec[f.key];
    if (f.kind === 'boolean') out[f.key] = v === true;
    else if (f.kind === 'features') out[f.key] = Array.isArray(v) ? v.map(String) : [];
    else out[f.key] = v === null || v === undefined ? '' : String(v);
  }
  return out;
}

export function presetValues(name: PresetName): FormValues {
  return configToValues(presetConfig(name));
}

export interface FormResult {
  /** The validated config, or null while any field is invalid. */
  config: TTMConfig | null;
  /** Field key → the message shown next to it ("_form" for issues of no single field). */
  errors: Record<string, string>;
}

/**
 * Form values → a TTMConfig input, then `TtmConfigSchema`: numbers that do not parse and
 * required empty inputs are reported here; every other message is zod's (bounds, the
 * cross-field rules of the schema's superRefine).
 */
export function validateForm(values: FormValues): FormResult {
  const errors: Record<string, string> = {};
  const input: Record<string, unknown> = {};
  for (const f of configFields()) {
    const v = values[f.key];
    if (v === undefined) continue;
    if (f.kind === 'number' || f.kind === 'integer') {
      const s = String(v).trim();
      if (s === '') {
        if (f.nullable) input[f.key] = null;
        else errors[f.key] = 'Required: enter a number.';
        continue;
      }
      const num = Number(s);
      if (!Number.isFinite(num)) {
        errors[f.key] = `"${s}" is not a number.`;
        continue;
      }
      input[f.key] = num;
    } else {
      input[f.key] = v;
    }
  }
  const parsed = TtmConfigSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.length > 0 ? String(issue.path[0]) : '_form';
      if (errors[key] === undefined) errors[key] = issue.message;
    }
  }
  if (Object.keys(errors).length > 0) return { config: null, errors };
  return { config: parsed.success ? parsed.data : null, errors };
}

/** What goes to train.start's `config`: the validated fields the form owns (not device/threads/model). */
export function configForRequest(config: TTMConfig): Record<string, unknown> {
  const rec = config as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of configFields()) out[f.key] = rec[f.key];
  return out;
}

/** The input's `min`/`max`/`step` attributes for a numeric field. */
export function numericAttrs(f: ConfigField): { min?: number; max?: number; step: string } {
  const out: { min?: number; max?: number; step: string } = { step: f.kind === 'integer' ? '1' : 'any' };
  if (f.min !== null && !f.exclusiveMin) out.min = f.min;
  if (f.max !== null && !f.exclusiveMax) out.max = f.max;
  return out;
}

/**
 * The field's help text for the values in the form. The schema's examples for the window
 * lengths name the defaults ("512 = 42.7 h at 5 min"); once the form holds another length
 * (a 64→16 base model), the example follows it, so the help never contradicts the field.
 */
export function helpText(f: ConfigField, values: FormValues): string {
  if (f.key !== 'contextLength' && f.key !== 'forecastLength') return f.description;
  const steps = Number(values[f.key]);
  const res = Number(values.resolutionMin);
  if (!(Number.isInteger(steps) && steps > 0 && res > 0)) return f.description;
  const hours = (steps * res) / 60;
  const span = Number.isInteger(hours) ? `${hours} h` : hours >= 1 ? `${hours.toFixed(1)} h` : `${steps * res} min`;
  return f.description.replace(/\(\d+ = [^)]*\)/, `(${steps} = ${span} at ${res} min)`);
}
