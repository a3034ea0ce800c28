import { describe, expect, it } from 'vitest';
import { PREPROCESSOR_FORMAT_VERSION, PreprocessorSchema } from '../../../src-main/engine/ttm/checkpoint.js';
import { samplePreprocessor } from './fixtures.js';

const v2 = samplePreprocessor({ contextLength: 512, forecastLength: 96, imputationStrategy: 'linear' });

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
