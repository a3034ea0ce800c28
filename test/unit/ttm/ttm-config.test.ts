import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { StudioError } from '../../../src-main/engine/errors.js';
import {
  createDefaultTtmConfig,
  createTtmFineTuningConfig,
  createTtmZeroShotConfig,
  parseTtmConfig,
  parseTtmConfigJson,
  serializeTtmConfig,
  toDataConfig,
  toTrainingConfig,
  ttmConfigFieldDescriptions,
  ttmConfigJsonSchema,
  TtmConfigSchema,
} from '../../../src-main/engine/ttm/ttm-config.js';
import { horizonLossWeights, weightFutureMask } from '../../../src-main/engine/ttm/study-model.js';
import { hfOverridesForTtmConfig } from '../../../src-main/engine/ttm/adapt.js';

function invalid(input: unknown): string {
  try {
    parseTtmConfig(input);
  } catch (e) {
    expect(e).toBeInstanceOf(StudioError);
    expect((e as StudioError).code).toBe('INVALID_INPUT');
    return (e as StudioError).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('TTMConfig', () => {
  it('has the documented defaults', () => {
    const c = createDefaultTtmConfig();
    expect(c).toMatchObject({
      modelPath: 'ibm-granite/granite-timeseries-ttm-r2',
      contextLength: 512,
      forecastLength: 96,
      targetFeatures: ['bg_mM'],
      inputFeatures: [],
      scalerType: 'standard',
      imputationStrategy: 'linear',
      resolutionMin: 5,
      trainingMode: 'fine_tune',
      lossFunction: 'mse',
      device: 'cpu',
      splitConfig: { method: 'temporal', trainFraction: 0.7, validationFraction: 0.15, testFraction: 0.15, splitId: null },
    });
  });

  it('factories: fine-tuning (lr 1e-5, 5 epochs, warm-up 500) and zero-shot (no training)', () => {
    expect(createTtmFineTuningConfig({ batchSize: 1024 })).toMatchObject({
      learningRate: 1e-5,
      numEpochs: 5,
      warmupSteps: 500,
      batchSize: 1024,
      trainingMode: 'fine_tune',
    });
    expect(createTtmZeroShotConfig()).toMatchObject({ numEpochs: 0, trainingMode: 'zero_shot' });
    expect(() => createTtmZeroShotConfig({ numEpochs: 3 })).toThrow(/numEpochs: must be 0 for trainingMode "zero_shot"/);
  });

  it('accepts snake_case keys, nested too, and writes camelCase', () => {
    const c = parseTtmConfig({
      model_path: '/models/x',
      context_length: 1024,
      learning_rate: 0.001,
      target_features: ['bg_mM'],
      input_features: ['iob', 'cob'],
      split_config: { train_fraction: 0.8, validation_fraction: 0.1, test_fraction: 0.1 },
      logging_dir: '/tmp/logs',
    });
    expect(c).toMatchObject({ modelPath: '/models/x', contextLength: 1024, learningRate: 0.001, inputFeatures: ['iob', 'cob'], loggingDir: '/tmp/logs' });
    expect(c.splitConfig.trainFraction).toBe(0.8);
    const text = serializeTtmConfig(c);
    expect(text).toContain('"contextLength": 1024');
    expect(parseTtmConfigJson(text)).toEqual(c);
    expect(invalid({ context_length: 1, contextLength: 2 })).toMatch(/contextLength is given twice \(as "context_length" and "contextLength"\)/);
  });

  it('rejects bad values with field path and reason', () => {
    expect(invalid({ learningRate: 0 })).toMatch(/learningRate: /);
    expect(invalid({ learning_rte: 1 })).toMatch(/unknown field\(s\) learningRte/);
    expect(invalid({ scalerType: 'zscore' })).toMatch(/scalerType: .*standard.*minmax.*robust/);
    expect(invalid({ targetFeatures: [] })).toMatch(/targetFeatures/);
    expect(invalid({ inputFeatures: ['bg_mM'] })).toMatch(/inputFeatures: bg_mM is also a target/);
    expect(invalid({ inputFeatures: ['iob', 'iob'] })).toMatch(/inputFeatures: lists "iob" more than once/);
    expect(invalid({ numInputChannels: 3, inputFeatures: ['iob'] })).toMatch(/numInputChannels: is 3 but targetFeatures \+ inputFeatures give 2/);
    expect(invalid({ predictionFilterLength: 100 })).toMatch(/predictionFilterLength: \(100\) cannot exceed forecastLength \(96\)/);
    expect(invalid({ lossHorizonSteps: 0 })).toMatch(/lossHorizonSteps/);
    expect(invalid({ lossTailWeight: 1.5 })).toMatch(/lossTailWeight/);
    expect(invalid({ windowScaling: 'minmax' })).toMatch(/windowScaling/);
    expect(invalid({ trainingMode: 'zero_shot', numEpochs: 0, windowScaling: 'none' })).toMatch(/windowScaling: changes the network/);
    expect(invalid({ trainingMode: 'from_scratch' })).toMatch(/freezeBackbone: must be false/);
    expect(invalid({ numEpochs: 0 })).toMatch(/numEpochs: must be at least 1/);
    expect(invalid({ splitConfig: { trainFraction: 0.8 } })).toMatch(/splitConfig: .* must be 1 \(got 1.1\)/);
    expect(invalid({ device: 'tpu' })).toMatch(/device/);
    expect(invalid({ threads: 0 })).toMatch(/threads/);
    expect(() => parseTtmConfigJson('{')).toThrow(expect.objectContaining({ code: 'PARSE' }));
  });

  it('splits into training and data views', () => {
    const c = createTtmFineTuningConfig({ inputFeatures: ['iob', 'cob'], seed: 7 });
    expect(toTrainingConfig(c)).toMatchObject({ learningRate: 1e-5, numEpochs: 5, warmupSteps: 500, freezeBackbone: true, lossFunction: 'mse', seed: 7 });
    const d = toDataConfig(c);
    expect(d.channels).toEqual(['bg_mM', 'iob', 'cob']);
    expect(d.numChannels).toBe(3);
    expect(d).toMatchObject({ contextLength: 512, forecastLength: 96, resolutionMin: 5, imputationStrategy: 'linear' });
  });

  it('is JSON-Schema serialisable with descriptions and defaults for form generation', () => {
    const schema = ttmConfigJsonSchema() as { properties: Record<string, { description?: string; default?: unknown }>; additionalProperties: boolean };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.contextLength).toMatchObject({ default: 512, type: 'integer' });
    expect(schema.properties.scalerType).toMatchObject({ enum: ['standard', 'minmax', 'robust'] });
    for (const key of Object.keys(TtmConfigSchema.shape)) expect(schema.properties[key]?.description, key).toBeTruthy();
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
    expect(ttmConfigFieldDescriptions().forecastLength).toMatch(/forecast/i);
    expect(z.toJSONSchema(TtmConfigSchema)).toBeTruthy();
  });
});

describe('loss weights by horizon step and the per-window scaler', () => {
  it('weighs the first lossHorizonSteps fully and the rest by lossTailWeight; uniform when unset', () => {
    // Default: the first 2 h (24 steps) fully, the rest at 0.1; a horizon of 24 steps or fewer is uniform.
    const d = horizonLossWeights(createDefaultTtmConfig(), 96)!;
    expect([d[0], d[23], d[24], d[95]]).toEqual([1, 1, Math.fround(0.1), Math.fround(0.1)]);
    expect(horizonLossWeights(createDefaultTtmConfig({ forecastLength: 16 }), 16)).toBeNull();
    expect(horizonLossWeights(createDefaultTtmConfig({ lossHorizonSteps: null }), 96)).toBeNull();
    expect(horizonLossWeights(createDefaultTtmConfig({ lossHorizonSteps: 96, lossTailWeight: 0 }), 96)).toBeNull();
    expect(horizonLossWeights(createDefaultTtmConfig({ lossTailWeight: 1 }), 96)).toBeNull();
    const w = horizonLossWeights(createDefaultTtmConfig({ lossHorizonSteps: 2, lossTailWeight: 0.25, forecastLength: 4 }), 4);
    expect(Array.from(w!)).toEqual([1, 1, 0.25, 0.25]);
    // snake_case from a seed-style config file
    expect(parseTtmConfig({ loss_horizon_steps: 24, loss_tail_weight: 0.1 })).toMatchObject({ lossHorizonSteps: 24, lossTailWeight: 0.1 });
  });

  it('folds the weights into an observed mask [B, P, C] per step, keeping missing targets at 0', () => {
    // B = 2 windows, P = 3 steps, C = 2 channels.
    const mask = Float32Array.from([1, 1, 1, 0, 1, 1, /* window 2 */ 0, 1, 1, 1, 1, 1]);
    weightFutureMask(mask, Float32Array.from([1, 0.5, 0]), 3, 2);
    expect(Array.from(mask)).toEqual([1, 1, 0.5, 0, 0, 0, 0, 1, 0.5, 0.5, 0, 0]);
    expect(() => weightFutureMask(mask, Float32Array.from([1, 1]), 3, 2)).toThrow(/2 steps, the batch 3/);
  });

  it('windowScaling overrides the network scaler (none = no per-window scaling) and leaves it alone when null', () => {
    expect(hfOverridesForTtmConfig(createDefaultTtmConfig()).scaling).toBeUndefined();
    expect(hfOverridesForTtmConfig(createDefaultTtmConfig({ windowScaling: 'none' })).scaling).toBeNull();
    expect(hfOverridesForTtmConfig(createDefaultTtmConfig({ windowScaling: 'mean' })).scaling).toBe('mean');
  });
});
