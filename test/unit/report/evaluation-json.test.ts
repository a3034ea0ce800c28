import { describe, expect, it } from 'vitest';
import { evaluateForecastSet } from '../../../src-main/engine/metrics/evaluate.js';
import type { ForecastSet } from '../../../src-main/engine/metrics/types.js';
import { evaluationFromJson } from '../../../src-main/engine/report/evaluation-json.js';
import type { ReportEvaluation } from '../../../src-main/engine/report/model-schema.js';

// 3 windows × 12 steps of 5 min (mg/dL): window 0 low at +30 (forecast low too), window 1 low at
// +60 (forecast 100: missed), window 2's target at +30 imputed.
function full() {
  const H = 12;
  const target = new Float64Array(3 * H).fill(100);
  const forecast = new Float64Array(3 * H).fill(100);
  const targetMask = new Uint8Array(3 * H).fill(1);
  target[5] = 60;
  forecast[5] = 62;
  target[H + 11] = 50;
  targetMask[2 * H + 5] = 0;
  const set: ForecastSet = { windows: 3, forecastLength: H, target, forecast, targetMask, unit: 'mg/dL' };
  const lower = new Float64Array(3 * H).fill(90);
  const upper = new Float64Array(3 * H).fill(110);
  return evaluateForecastSet(set, { resolutionMin: 5, intervals: [{ level: 0.8, lower, upper }] });
}

const stored = (f: unknown) =>
  JSON.parse(
    JSON.stringify({
      resolutionMin: 5,
      contextLength: 96,
      forecastLength: 12,
      stride: 1,
      levels: [0.8],
      calibrationWindows: 10,
      groups: [{ group: 'in_distribution', windows: 3, models: [{ model: 'ttm', windows: 3, scoredTargets: 35, trajectoryRmseMgdl: 1, full: f }] }],
      notes: [],
    }),
  ) as unknown;

function read(json: unknown): ReportEvaluation {
  const r = evaluationFromJson(json, null);
  if (!('evaluation' in r)) throw new Error(r.reason);
  return r.evaluation;
}

describe('stored evaluation → report', () => {
  it('reads the forecast length, also from evaluations stored when it was named `horizon`', () => {
    const f = full();
    expect(read(stored(f)).forecastLength).toBe(12);
    const { forecastLength, ...legacy } = stored(f) as Record<string, unknown>;
    expect(read({ ...legacy, forecastLength: forecastLength }).forecastLength).toBe(12);
    expect('reason' in evaluationFromJson(legacy, null)).toBe(true);
  });

  it('carries hypoglycaemia detection per level and horizon', () => {
    const m = read(stored(full())).groups[0]!.models[0]!;
    expect(m.hypoByHorizon.map((h) => [h.level, h.minutes, h.thresholdMgdl])).toEqual([
      [1, 30, 70],
      [1, 60, 70],
      [2, 30, 54],
      [2, 60, 54],
    ]);
    expect(m.hypoByHorizon[0]).toMatchObject({ windows: 2, skippedWindows: 1, tp: 1, fp: 0, fn: 0, tn: 1, sensitivity: 1, precision: 1, mcc: 1 });
    expect(m.hypoByHorizon[1]).toMatchObject({ windows: 3, skippedWindows: 0, tp: 0, fp: 0, fn: 1, tn: 2, sensitivity: 0, precision: null, mcc: 0 });
    expect(m.hypoByHorizon[3]).toMatchObject({ tp: 0, fn: 1, tn: 2 }); // 50 < 54 missed
    expect(m.coverage).toEqual([{ level: 0.8, coverage: 33 / 35, meanWidthMgdl: 20, n: 35 }]);
  });

  it('reads an evaluation stored before per-horizon scoring: no hypo rows, widths in its unit', () => {
    const { hypoByHorizon: _h, unit: _u, ...rest } = full();
    const legacy = {
      ...rest,
      hypo: { level1: { level: 1, threshold: 70, unit: 'mg/dL', windows: 3 }, level2: { level: 2, threshold: 54, unit: 'mg/dL', windows: 3 } },
    };
    const m = read(stored(legacy)).groups[0]!.models[0]!;
    expect(m.hypoByHorizon).toEqual([]);
    expect(m.coverage[0]!.meanWidthMgdl).toBe(20); // mg/dL from the old hypo entry, not converted as mmol/L
  });
});
