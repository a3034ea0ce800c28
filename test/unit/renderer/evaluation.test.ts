import { describe, expect, it } from 'vitest';
import { evaluateForecastSet } from '../../../src-main/engine/metrics/evaluate.js';
import {
  downsample,
  errorGridPairs,
  errorIn,
  formatError,
  hypoAtMinutes,
  modelNames,
  reportOf,
  withModelName,
  type ModelSummary,
} from '../../../src-renderer/lib/evaluation.js';
import type { TraceData } from '../../../src-renderer/lib/trace-data.js';

const step = 5 * 60_000;
const t0 = Date.UTC(2024, 0, 1);
const trace: TraceData = {
  stepMin: 5,
  ts: Array.from({ length: 40 }, (_, i) => t0 + i * step),
  glucose: Array.from({ length: 40 }, (_, i) => (i === 12 ? null : 5 + i / 10)),
  mask: Array.from({ length: 40 }, () => 1),
  bolus: null,
  carbs: null,
};

describe('evaluation helpers', () => {
  it('pairs each stored forecast at a horizon step with the observed value (mg/dL), skipping missing targets', () => {
    const items = [
      { patient: 'p', originTs: t0 + 5 * step, stepMin: 5, values: [6, 7], lower: null, upper: null, level: null },
      { patient: 'p', originTs: t0 + 10 * step, stepMin: 5, values: [6, 7], lower: null, upper: null, level: null }, // target at bin 12: missing
      { patient: 'q', originTs: t0, stepMin: 5, values: [6, 7], lower: null, upper: null, level: null }, // no trace
    ];
    const pairs = errorGridPairs(items, new Map([['p', trace]]), 2);
    expect(pairs).toHaveLength(1);
    expect(pairs[0]![0]).toBeCloseTo(5.7 * 18.018, 6);
    expect(pairs[0]![1]).toBeCloseTo(7 * 18.018, 6);
  });

  it('downsamples evenly and deterministically', () => {
    const xs = Array.from({ length: 10_000 }, (_, i) => i);
    const d = downsample(xs, 3000);
    expect(d).toHaveLength(3000);
    expect(d[0]).toBe(0);
    expect(d[2999]).toBeGreaterThan(9990);
    expect(downsample([1, 2], 5)).toEqual([1, 2]);
  });

  it('errors in the display unit', () => {
    expect(errorIn('mg/dL', 18.018, 1)).toBe(18.018);
    expect(errorIn('mmol/L', 18.018, 1)).toBe(1);
    expect(errorIn('mmol/L', 18.018, null)).toBeCloseTo(1, 9);
    expect(formatError(12.345, 'mg/dL')).toBe('12.3');
    expect(formatError(0.6789, 'mmol/L')).toBe('0.68');
    expect(formatError(null, 'mg/dL')).toBe('—');
  });

  it('reads a run result as a report only when it has one', () => {
    expect(reportOf(null)).toBeNull();
    expect(reportOf({ evaluationId: 1 })).toBeNull();
    const groups = [{ group: 'in_distribution', windows: 1, models: [{ model: 'ttm' }, { model: 'persistence' }] }];
    expect(reportOf({ report: { forecastLength: 16, resolutionMin: 5, groups } })?.forecastLength).toBe(16);
    // A report stored before the rename names the forecast length `horizon`.
    const r = reportOf({ report: { forecastLength: 16, resolutionMin: 5, groups } });
    expect(r).not.toBeNull();
    expect(r!.forecastLength).toBe(16);
    expect(r).not.toHaveProperty('horizon');
    expect(modelNames(r!)).toEqual(['ttm', 'persistence']);
    // A report stored before models were named shows the run's registered model name instead of "ttm".
    expect(modelNames(withModelName(r!, 'demo-fine-tuned'))).toEqual(['demo-fine-tuned', 'persistence']);
    // A named report is left as it is.
    const named = { ...r!, model: { id: 3, name: 'x', zeroShot: true } };
    expect(withModelName(named, 'other')).toBe(named);
  });

  it('finds hypoglycaemia detection by level and minutes; a report stored before per-horizon scoring has none', () => {
    // 2 windows × 12 steps of 5 min (mmol/L): window 0 low at +30 and forecast low there, window 1 low at +60 and missed
    const target = new Float64Array(24).fill(6);
    const forecast = new Float64Array(24).fill(6);
    target[5] = 3.5;
    forecast[5] = 3.6;
    target[12 + 11] = 2.8;
    const full = evaluateForecastSet({ windows: 2, forecastLength: 12, target, forecast, unit: 'mmol/L' }, { resolutionMin: 5 });
    const m = { model: 'ttm', hypoByHorizon: full.hypoByHorizon } as unknown as ModelSummary;
    expect(hypoAtMinutes(m, 30)).toMatchObject({ level: 1, minutes: 30, tp: 1, tn: 1, sensitivity: 1, precision: 1, mcc: 1 });
    expect(hypoAtMinutes(m, 60)).toMatchObject({ level: 1, minutes: 60, fn: 1, tn: 1, sensitivity: 0, precision: null, mcc: 0 });
    expect(hypoAtMinutes(m, 60, 2)).toMatchObject({ level: 2, threshold: 3.0, fn: 1, tn: 1 });
    expect(hypoAtMinutes(m, 120)).toBeNull(); // beyond the 60-minute horizon
    expect(hypoAtMinutes({ model: 'old', hypo: { sensitivity: 0.1, precision: 0.2, mcc: 0.3 } } as unknown as ModelSummary, 30)).toBeNull();
  });
});
