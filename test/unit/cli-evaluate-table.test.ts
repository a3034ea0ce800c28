import { describe, expect, it } from 'vitest';
import { evaluationTable } from '../../src-main/cli/commands/evaluate.js';
import type { EvaluationReport, ModelSummary } from '../../src-main/engine/forecast/evaluation-report.js';
import { evaluateForecastSet } from '../../src-main/engine/metrics/evaluate.js';

describe('ttm-studio evaluate table', () => {
  it('prints the level 1 hypoglycaemia MCC at each reported minute', () => {
    // 4 windows × 12 steps of 5 min (mmol/L): at +30 a perfect low forecast (MCC 1); at +60 the lows are inverted (MCC −1).
    const H = 12;
    const target = new Float64Array(4 * H).fill(6);
    const forecast = new Float64Array(4 * H).fill(6);
    target[0 * H + 5] = 3.5;
    forecast[0 * H + 5] = 3.4;
    target[1 * H + 11] = 3.2;
    forecast[2 * H + 11] = 3.3;
    const full = evaluateForecastSet({ windows: 4, forecastLength: H, target, forecast, unit: 'mmol/L' }, { resolutionMin: 5 });
    const model: ModelSummary = {
      model: 'ttm',
      windows: 4,
      scoredTargets: 48,
      at: [30, 60].map((minutes) => ({ minutes, n: 4, rmseMgdl: 1, rmseMmoll: 1, maeMgdl: 1, maeMmoll: 1, mard: 1 })),
      trajectoryRmseMgdl: 1,
      trajectoryRmseMinutes: 60,
      clarkeAB: 100,
      parkesAB: 100,
      hypoByHorizon: full.hypoByHorizon,
      coverage: [],
      skill: [],
      full,
    };
    const report: EvaluationReport = {
      resolutionMin: 5,
      contextLength: 24,
      forecastLength: H,
      stride: 1,
      levels: [],
      calibrationWindows: 0,
      groups: [{ group: 'in_distribution', windows: 4, models: [model] }],
      notes: [],
    };
    const [, header, , row] = evaluationTable(report).split('\n');
    const cells = (l: string) => l.trim().split(/\s{2,}/);
    const h = cells(header!);
    const r = cells(row!);
    expect(h).toContain('hypo MCC@30');
    expect(h).toContain('hypo MCC@60');
    expect(r[h.indexOf('hypo MCC@30')]).toBe('1.00');
    expect(r[h.indexOf('hypo MCC@60')]).toBe('-0.33'); // TP 0, FP 1, FN 1, TN 2: (0 − 1) / sqrt(1·1·3·3)
  });
});
