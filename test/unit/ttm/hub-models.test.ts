import { describe, expect, it } from 'vitest';
import { freqStringForMinutes, resolveTtmHubModel, TTM_HUB_MODELS } from '../../../src-main/engine/ttm/hub-models.js';

const pick = (o: Parameters<typeof resolveTtmHubModel>[0]) => {
  const r = resolveTtmHubModel(o);
  return [r.repo, r.revision, r.predictionFilterLength];
};

describe('hub model selection (granite-tsfm get_model)', () => {
  it('r2: main is 512-96; other branches by context and forecast', () => {
    expect(pick({ contextLength: 512, forecastLength: 96 })).toEqual(['ibm-granite/granite-timeseries-ttm-r2', 'main', null]);
    expect(pick({ contextLength: 512, forecastLength: 192 })).toEqual(['ibm-granite/granite-timeseries-ttm-r2', '512-192-r2', null]);
    expect(pick({ contextLength: 1024, forecastLength: 96 })).toEqual(['ibm-granite/granite-timeseries-ttm-r2', '1024-96-r2', null]);
    expect(pick({ contextLength: 1536, forecastLength: 720 })).toEqual(['ibm-granite/granite-timeseries-ttm-r2', '1536-720-r2', null]);
    // More history than any model: the longest context that fits.
    expect(pick({ contextLength: 5000, forecastLength: 336 })).toEqual(['ibm-granite/granite-timeseries-ttm-r2', '1536-336-r2', null]);
  });

  it('a shorter forecast takes the next longer model and sets prediction_filter_length', () => {
    expect(pick({ contextLength: 1024, forecastLength: 100 })).toEqual(['ibm-granite/granite-timeseries-ttm-r2', '1024-192-r2', 100]);
    expect(pick({ contextLength: 512, forecastLength: 60 })).toEqual(['ibm-granite/granite-timeseries-ttm-r2', 'main', 60]);
    // At 512 the r2.1 48-step models are the shortest forecasts that fit.
    expect(pick({ contextLength: 512, forecastLength: 24 })).toEqual(['ibm-granite/granite-timeseries-ttm-r2', '512-48-ft-r2.1', 24]);
  });

  it('r2.1 where applicable: short contexts, daily data, L1 and frequency-tuning preferences', () => {
    expect(pick({ contextLength: 100, forecastLength: 30 })).toEqual(['ibm-granite/granite-timeseries-ttm-r2', '90-30-ft-r2.1', null]);
    expect(pick({ contextLength: 100, forecastLength: 30, preferL1Loss: true })).toEqual(['ibm-granite/granite-timeseries-ttm-r2', '90-30-ft-l1-r2.1', null]);
    expect(pick({ contextLength: 1024, forecastLength: 48, freq: 'D' })).toEqual(['ibm-granite/granite-timeseries-ttm-r2', '512-48-ft-r2.1', null]);
    expect(pick({ contextLength: 512, forecastLength: 96, freqPrefixTuning: true })).toEqual(['ibm-granite/granite-timeseries-ttm-r2', '512-96-ft-r2.1', null]);
  });

  it('r1: main is 512-96, 1024_96_v1 for 1024', () => {
    expect(pick({ repo: 'ibm-granite/granite-timeseries-ttm-r1', contextLength: 512, forecastLength: 96 })).toEqual([
      'ibm-granite/granite-timeseries-ttm-r1',
      'main',
      null,
    ]);
    expect(pick({ repo: 'ibm-granite/granite-timeseries-ttm-r1', contextLength: 2048, forecastLength: 24 })).toEqual([
      'ibm-granite/granite-timeseries-ttm-r1',
      '1024_96_v1',
      24,
    ]);
  });

  it('explains when nothing fits, and honours force_return', () => {
    expect(() => resolveTtmHubModel({ contextLength: 40, forecastLength: 16 })).toThrow(/shortest is 52/);
    expect(pick({ contextLength: 40, forecastLength: 16, forceReturn: 'zeropad' })[1]).toBe('1536-96-r2');
    expect(() => resolveTtmHubModel({ contextLength: 512, forecastLength: 1000 })).toThrow(/longest available forecast is 720/);
    expect(pick({ contextLength: 512, forecastLength: 1000, forceReturn: 'rolling' })[1]).toBe('512-720-r2');
    expect(() => resolveTtmHubModel({ repo: 'someone/else', contextLength: 512, forecastLength: 96 })).toThrow(/not a TinyTimeMixer repository/);
  });

  it('table and frequency strings', () => {
    expect(TTM_HUB_MODELS).toHaveLength(24);
    expect(freqStringForMinutes(5)).toBe('5min');
    expect(freqStringForMinutes(7)).toBeUndefined();
  });
});
