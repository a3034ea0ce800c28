import { describe, expect, it } from 'vitest';
import { OMITTED_FIELDS, configFields, configForRequest, helpText, numericAttrs, presetValues, validateForm } from '../../../src-renderer/lib/config-form.js';
import { TtmConfigSchema, createTtmFineTuningConfig } from '../../../src-main/engine/ttm/ttm-config.js';

const field = (key: string) => {
  const f = configFields().find((x) => x.key === key);
  if (f === undefined) throw new Error(`no field ${key}`);
  return f;
};

describe('config form: fields from the TTMConfig schema', () => {
  it('has one labelled, described field per schema property the form owns', () => {
    const keys = configFields().map((f) => f.key);
    const schemaKeys = Object.keys(TtmConfigSchema.shape).filter((k) => !(OMITTED_FIELDS as readonly string[]).includes(k));
    expect(keys.sort()).toEqual(schemaKeys.sort());
    for (const f of configFields()) {
      expect(f.label.length).toBeGreaterThan(0);
      expect(f.description.length).toBeGreaterThan(0);
    }
  });

  it('reads kinds, bounds, options and nullability from the schema', () => {
    expect(field('trainingMode')).toMatchObject({ kind: 'enum', options: ['zero_shot', 'fine_tune', 'from_scratch'] });
    expect(field('freezeBackbone').kind).toBe('boolean');
    expect(field('batchSize')).toMatchObject({ kind: 'integer', min: 1, max: 65_536 });
    expect(field('learningRate')).toMatchObject({ kind: 'number', min: 0, exclusiveMin: true, max: 10 });
    expect(numericAttrs(field('learningRate'))).toEqual({ max: 10, step: 'any' });
    expect(numericAttrs(field('batchSize'))).toEqual({ min: 1, max: 65_536, step: '1' });
    expect(field('predictionFilterLength').nullable).toBe(true);
    expect(field('targetFeatures').kind).toBe('features');
  });
});

describe('config form: presets', () => {
  it('default fills the schema defaults', () => {
    const v = presetValues('default');
    expect(v.learningRate).toBe('0.0001');
    expect(v.numEpochs).toBe('10');
    expect(v.trainingMode).toBe('fine_tune');
    expect(v.freezeBackbone).toBe(true);
    expect(v.targetFeatures).toEqual(['bg_mM']);
    expect(v.predictionFilterLength).toBe('');
  });

  it('fine-tune fills the fine-tuning recipe', () => {
    const v = presetValues('fine-tune');
    expect(v.learningRate).toBe('0.00001');
    expect(v.numEpochs).toBe('5');
    expect(v.warmupSteps).toBe('500');
    expect(v.trainingMode).toBe('fine_tune');
  });

  it('zero-shot sets no training', () => {
    const v = presetValues('zero-shot');
    expect(v.numEpochs).toBe('0');
    expect(v.trainingMode).toBe('zero_shot');
  });
});

describe('config form: validation', () => {
  it('a preset validates and the produced config parses with TtmConfigSchema', () => {
    for (const p of ['default', 'fine-tune', 'zero-shot'] as const) {
      const r = validateForm(presetValues(p));
      expect(r.errors).toEqual({});
      expect(r.config).not.toBeNull();
      const req = configForRequest(r.config!);
      expect(TtmConfigSchema.safeParse(req).success).toBe(true);
    }
    const ft = validateForm(presetValues('fine-tune')).config!;
    expect(configForRequest(ft)).toMatchObject({ learningRate: createTtmFineTuningConfig().learningRate, numEpochs: 5 });
  });

  it('out-of-range numbers get zod messages on their field', () => {
    const r = validateForm({ ...presetValues('default'), batchSize: '0', learningRate: '-1' });
    expect(r.config).toBeNull();
    expect(r.errors.batchSize).toMatch(/>=\s*1/);
    expect(r.errors.learningRate).toMatch(/>\s*0/);
  });

  it('text that is not a number, and an empty required number, are reported', () => {
    const r = validateForm({ ...presetValues('default'), contextLength: 'abc', forecastLength: '' });
    expect(r.errors.contextLength).toBe('"abc" is not a number.');
    expect(r.errors.forecastLength).toBe('Required: enter a number.');
  });

  it('integers must be whole', () => {
    const r = validateForm({ ...presetValues('default'), numEpochs: '2.5' });
    expect(r.errors.numEpochs).toMatch(/integer|int/i);
  });

  it('cross-field rules of the schema land on the right field', () => {
    const zs = validateForm({ ...presetValues('default'), trainingMode: 'zero_shot' });
    expect(zs.errors.numEpochs).toMatch(/must be 0 for trainingMode "zero_shot"/);
    const fs = validateForm({ ...presetValues('default'), trainingMode: 'from_scratch', freezeBackbone: true });
    expect(fs.errors.freezeBackbone).toMatch(/must be false/);
    const both = validateForm({ ...presetValues('default'), inputFeatures: ['iob', 'bg_mM'] });
    expect(both.errors.inputFeatures).toMatch(/also a target/);
    const none = validateForm({ ...presetValues('default'), targetFeatures: [] });
    expect(none.errors.targetFeatures).toBeDefined();
    const pfl = validateForm({ ...presetValues('default'), forecastLength: '12', predictionFilterLength: '24' });
    expect(pfl.errors.predictionFilterLength).toMatch(/cannot exceed forecastLength/);
  });

  it('empty nullable numbers become null; covariates are kept', () => {
    const r = validateForm({ ...presetValues('fine-tune'), inputFeatures: ['iob', 'cob'], predictionFilterLength: '' });
    expect(r.config?.predictionFilterLength).toBeNull();
    expect(r.config?.inputFeatures).toEqual(['iob', 'cob']);
  });
});

describe('config form: help text follows the window in the form', () => {
  it('names the lengths the form holds, not the defaults', () => {
    const v = presetValues('fine-tune');
    expect(helpText(field('contextLength'), v)).toBe('Input time steps the model sees (512 = 42.7 h at 5 min).');
    expect(helpText(field('contextLength'), { ...v, contextLength: '64' })).toBe('Input time steps the model sees (64 = 5.3 h at 5 min).');
    expect(helpText(field('forecastLength'), { ...v, forecastLength: '16' })).toBe('Time steps to forecast (16 = 1.3 h at 5 min).');
    expect(helpText(field('forecastLength'), { ...v, forecastLength: '6' })).toBe('Time steps to forecast (6 = 30 min at 5 min).');
    expect(helpText(field('forecastLength'), { ...v, forecastLength: '12', resolutionMin: '15' })).toBe('Time steps to forecast (12 = 3 h at 15 min).');
    // an unreadable value keeps the schema's words
    expect(helpText(field('contextLength'), { ...v, contextLength: 'x' })).toBe(field('contextLength').description);
    expect(helpText(field('batchSize'), v)).toBe(field('batchSize').description);
  });
});
