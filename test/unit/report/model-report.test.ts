import { describe, expect, it } from 'vitest';
import { MODEL_REPORT_SECTIONS, renderModelReport } from '../../../src-main/engine/report/model-report.js';
import { ModelReportInputSchema, type ModelEvaluation, type ModelReportInput } from '../../../src-main/engine/report/model-schema.js';
import { checkReportHtml } from '../../../src-main/engine/report/validate.js';

const base = (): ModelReportInput => ({
  generatedAt: '2024-02-01T00:00:00.000Z',
  run: {
    id: 9,
    kind: 'evaluate',
    status: 'completed',
    createdAt: '2024-01-31T10:00:00.000Z',
    startedAt: '2024-01-31T10:00:05.000Z',
    finishedAt: '2024-01-31T10:02:05.000Z',
    device: 'cpu',
    seed: 1,
    error: null,
    outputDir: null,
  },
  model: null,
  config: {},
  data: { dataset: null, split: null },
  versions: { 'TTM Studio': 'test' },
  durations: [['Wall time (start to finish)', 120_000]],
  curves: [],
  evaluation: null,
  errorGrid: null,
  examples: [],
  unavailable: {
    curves: 'run 9 is an evaluate run, which does not train.',
    evaluation: 'no evaluation of this run is stored yet.',
    errorGrid: 'no forecasts are stored.',
    examples: 'no forecasts are stored.',
    model: 'the run row names no model.',
  },
});

/** A stored evaluation (5-min grid, context 96, forecast 24, level 0.8) of one in-distribution group: 100 windows from 3 patients. */
function storedEvaluation(models: ModelEvaluation[], createdAt: string | null, notes: string[]): NonNullable<ModelReportInput['evaluation']> {
  return {
    resolutionMin: 5,
    contextLength: 96,
    forecastLength: 24,
    stride: 1,
    levels: [0.8],
    calibrationWindows: 50,
    createdAt,
    notes,
    groups: [{ group: 'in_distribution', windows: 100, patients: 3, models }],
  };
}

/** A model whose RMSE at step s (5 min each) is s·18.018/6 mg/dL: 1.00 mmol/L at 30 min, 2.00 at 60, 4.00 at 120. */
function evaluation(name: string, baseline: boolean, scale: number): ModelEvaluation {
  const perStep = Array.from({ length: 24 }, (_, i) => {
    const step = i + 1;
    const rmse = ((scale * step) / 6) * 18.018;
    return { step, minutes: step * 5, n: 100, rmseMgdl: rmse, maeMgdl: rmse * 0.8, mard: step, biasMgdl: -1 };
  });
  return {
    model: name,
    baseline,
    windows: 100,
    scoredTargets: 2400,
    perStep,
    overall: { n: 2400, rmseMgdl: 30, maeMgdl: 24, mard: 12.5, biasMgdl: -1 },
    trajectoryRmseMgdl: 20,
    trajectoryRmseMinutes: 60,
    clarke: { n: 2400, A: 80, B: 15, C: 1, D: 4, E: 0, aPlusB: 95 },
    parkes: { n: 2400, A: 85, B: 14, C: 1, D: 0, E: 0, aPlusB: 99 },
    hypoByHorizon: [
      {
        level: 1,
        thresholdMgdl: 70.2702,
        minutes: 30,
        windows: 100,
        skippedWindows: 0,
        tp: 8,
        fp: 2,
        tn: 86,
        fn: 4,
        sensitivity: 8 / 12,
        precision: 0.8,
        specificity: 86 / 88,
        mcc: 0.7,
      },
      {
        level: 1,
        thresholdMgdl: 70.2702,
        minutes: 60,
        windows: 98,
        skippedWindows: 2,
        tp: 5,
        fp: 4,
        tn: 82,
        fn: 7,
        sensitivity: 5 / 12,
        precision: 5 / 9,
        specificity: 82 / 86,
        mcc: 0.43,
      },
      {
        level: 2,
        thresholdMgdl: 54.054,
        minutes: 30,
        windows: 100,
        skippedWindows: 0,
        tp: 1,
        fp: 0,
        tn: 98,
        fn: 1,
        sensitivity: 0.5,
        precision: 1,
        specificity: 1,
        mcc: 0.7,
      },
    ],
    coverage: [{ level: 0.8, coverage: 0.79, meanWidthMgdl: 36.036, n: 2400 }],
  };
}

describe('model report', () => {
  it('a run without curves, evaluation or forecasts renders every section and says what is missing and why', () => {
    const html = renderModelReport(base(), 'mg/dL');
    const c = checkReportHtml(html, MODEL_REPORT_SECTIONS);
    expect(c.errors).toEqual([]);
    expect(html).toContain('<strong>Training curves not available</strong> because run 9 is an evaluate run, which does not train.');
    for (const what of ['Evaluation tables', 'The RMSE-by-horizon chart', 'Hypoglycaemia detection', 'Interval coverage'])
      expect(html).toContain(`<strong>${what} not available</strong> because no evaluation of this run is stored yet.`);
    expect(html).toContain('<strong>Example forecasts not available</strong> because no forecasts are stored.');
    expect(html).toContain('<strong>Model provenance not available</strong> because the run row names no model.');
    expect(html).toContain('No evaluation is stored, so no accuracy figure is reported.');
    expect(html).toContain('2 min 0 s');
  });

  it('prints the evaluation in the chosen unit beside the baselines, with skill against persistence', () => {
    const input = base();
    input.evaluation = storedEvaluation([evaluation('ttm', false, 1), evaluation('persistence', true, 2)], '2024-01-31T10:02:05.000Z', [
      'log-AR2 baseline skipped: test note.',
    ]);
    delete input.unavailable.evaluation;
    const html = renderModelReport(input, 'mmol/L');
    expect(checkReportHtml(html, MODEL_REPORT_SECTIONS).errors).toEqual([]);
    const rows = [...html.matchAll(/<tr>(<td>(?:30|60|120) min<\/td>.*?)<\/tr>/g)].map((m) =>
      [...m[1]!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((x) => x[1]!.replace(/<[^>]+>/g, '')),
    );
    // horizon, model, targets, RMSE, MAE, MARD, bias, skill (1 − 1/2 = 0.5)
    expect(rows).toEqual([
      ['30 min', 'ttm', '100', '1.00', '0.80', '6.0', '-0.06', '0.500'],
      ['30 min', 'persistence (baseline)', '100', '2.00', '1.60', '6.0', '-0.06', '0.000'],
      ['60 min', 'ttm', '100', '2.00', '1.60', '12.0', '-0.06', '0.500'],
      ['60 min', 'persistence (baseline)', '100', '4.00', '3.20', '12.0', '-0.06', '0.000'],
      ['120 min', 'ttm', '100', '4.00', '3.20', '24.0', '-0.06', '0.500'],
      ['120 min', 'persistence (baseline)', '100', '8.00', '6.40', '24.0', '-0.06', '0.000'],
    ]);
    expect(html).toContain("At 60 min, ttm's RMSE is 50.0 % lower than persistence's (skill 0.500).");
    expect(html).toContain('Level 1 (&lt; 3.9 mmol/L) at each horizon');
    expect(html).toContain('Level 2 (&lt; 3.0 mmol/L) at each horizon');
    expect(html).toContain('a test window is an event when the observed reading at +h is below the threshold');
    const hypoRows = [...html.matchAll(/<tr>(<td>\+(?:30|60|120) min<\/td>.*?)<\/tr>/g)].map((m) =>
      [...m[1]!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((x) => x[1]!.replace(/<[^>]+>/g, '')),
    );
    // horizon, group (one group: blank), model, windows, events (TP+FN), TP, FP, FN, TN, sensitivity, precision, specificity, MCC;
    // level 1 by horizon, then level 2
    const l1at30 = ['100', '12', '8', '2', '4', '86', '66.7', '80.0', '97.7', '0.700'];
    const l1at60 = ['98', '12', '5', '4', '7', '82', '41.7', '55.6', '95.3', '0.430'];
    const l2at30 = ['100', '2', '1', '0', '1', '98', '50.0', '100.0', '100.0', '0.700'];
    expect(hypoRows).toEqual([
      ['+30 min', '', 'ttm', ...l1at30],
      ['+30 min', '', 'persistence (baseline)', ...l1at30],
      ['+60 min', '', 'ttm', ...l1at60],
      ['+60 min', '', 'persistence (baseline)', ...l1at60],
      ['+30 min', '', 'ttm', ...l2at30],
      ['+30 min', '', 'persistence (baseline)', ...l2at30],
    ]);
    expect(html).toContain('<td class="num">79.0</td>'); // coverage of the 80 % interval
    expect(html).toContain('<td class="num">2.00</td>'); // mean width 36.036 mg/dL
    expect(html).toContain('log-AR2 baseline skipped: test note.');
    expect(html).toContain('No unseen (holdout) patient was evaluated');
    expect(html).toContain('<title>RMSE by horizon, Test part of training patients (in distribution)</title>');
    // Zones: A, B, C, D, E, A+B of the model under test
    expect(html).toMatch(
      /<td><strong>ttm<\/strong><\/td><td class="num">2,400<\/td><td class="num">80\.0<\/td><td class="num">15\.0<\/td><td class="num">1\.0<\/td><td class="num">4\.0<\/td><td class="num">0\.0<\/td><td class="num">95\.0<\/td>/,
    );
  });

  it('says hypoglycaemia detection is not available for an evaluation stored without per-horizon scores', () => {
    const input = base();
    const old = (name: string, baseline: boolean): ModelEvaluation => ({ ...evaluation(name, baseline, 1), hypoByHorizon: [] });
    input.evaluation = storedEvaluation([old('ttm', false), old('persistence', true)], null, []);
    delete input.unavailable.evaluation;
    const html = renderModelReport(input, 'mg/dL');
    expect(checkReportHtml(html, MODEL_REPORT_SECTIONS).errors).toEqual([]);
    expect(html).toContain('<strong>Hypoglycaemia detection not available</strong> because the stored evaluation has no per-horizon hypoglycaemia scores');
    expect(html).not.toMatch(/<td>\+30 min<\/td>/);
  });

  it('draws stored examples and error-grid points when given', () => {
    const input = base();
    input.errorGrid = { model: 'ttm', referenceMgdl: [100, 200, 60], predictionMgdl: [110, 150, 200], totalPairs: 3, source: 'forecasts of run 9 (1 origins)' };
    input.examples = (['best', 'median', 'worst'] as const).map((label, i) => ({
      label,
      patient: `p${i}`,
      originTs: Date.UTC(2024, 0, 2, 12),
      utcOffsetMin: 60,
      stepMin: 5,
      rmseMgdl: 10 * (i + 1),
      historyMgdl: [120, 125, null, 130],
      actualMgdl: [132, 135, 140],
      forecastMgdl: [131, 133, 136],
      lowerMgdl: [120, 118, 115],
      upperMgdl: [142, 148, 157],
      level: 0.95,
    }));
    const html = renderModelReport(input, 'mg/dL');
    expect(checkReportHtml(html, MODEL_REPORT_SECTIONS).errors).toEqual([]);
    expect(html).toContain('3 of 3 (reference, forecast) pairs of ttm from forecasts of run 9 (1 origins)');
    expect(html).toContain('Worst window by RMSE (30.0 mg/dL): patient p2, origin 2024-01-02 13:00 UTC+01:00.');
    expect(html.match(/95 % interval/g)).toHaveLength(3);
    expect(html).toContain('stroke-dasharray="1.5 2.5"'); // actual future dotted
  });

  it('the schema refuses malformed input from another producer', () => {
    const bad = { ...base(), examples: [{ label: 'typical' }] };
    expect(ModelReportInputSchema.safeParse(bad).success).toBe(false);
    expect(() => renderModelReport(bad as unknown as ModelReportInput)).toThrow();
  });
});
