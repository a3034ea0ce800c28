import { describe, expect, it } from 'vitest';
import { PREPROCESSOR_FORMAT_VERSION, PreprocessorSchema, type Preprocessor } from '../../../src-main/engine/ttm/checkpoint.js';

const v2: Preprocessor = {
  formatVersion: 2,
  channels: [
    { name: 'bg_mM', role: 'target' },
    { name: 'iob', role: 'conditional' },
  ],
  scaler: { type: 'standard', mean: [7.5, 1.2], std: [2.1, 0.8] },
  resolutionMin: 5,
  frequencyToken: 3,
  contextLength: 512,
  forecastLength: 96,
  glucoseUnit: 'mmol/L',
  imputationStrategy: 'linear',
};

describe('preprocessor.json versions', () => {
  it('writes version 2, which round-trips through JSON unchanged', () => {
    expect(PREPROCESSOR_FORMAT_VERSION).toBe(2);
    expect(PreprocessorSchema.parse(JSON.parse(JSON.stringify(v2)))).toEqual(v2);
  });

  it('loads a version 1 file (forecast length named predictionLength) as version 2', () => {
    const { forecastLength, ...shared } = v2;
    const v1 = { ...shared, formatVersion: 1, predictionLength: forecastLength };
    expect(PreprocessorSchema.parse(JSON.parse(JSON.stringify(v1)))).toEqual(v2);
  });

  it('refuses mixed names: predictionLength in version 2, forecastLength in version 1', () => {
    const { forecastLength, ...shared } = v2;
    expect(PreprocessorSchema.safeParse({ ...shared, formatVersion: 2, predictionLength: forecastLength }).success).toBe(false);
    expect(PreprocessorSchema.safeParse({ ...shared, formatVersion: 1, forecastLength }).success).toBe(false);
    expect(PreprocessorSchema.safeParse({ ...v2, formatVersion: 3 }).success).toBe(false);
  });
});
