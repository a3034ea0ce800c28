/**
 * Forecasting on synthetic data through the forecaster API's input forms: split-conformal intervals
 * cover close to their nominal level on test windows; evaluation sees only the split's test
 * windows and never scores an imputed target; the baselines are always reported.
 */
import { describe, expect, it } from 'vitest';
import type { WindowDescriptor } from '../../../src-main/engine/data/windows.js';
import { partWindows, prepareData, type SeriesRow } from '../../../src-main/engine/data/prepared-data.js';
import { evaluateModels } from '../../../src-main/engine/forecast/evaluate.js';
import { LinearForecaster, PersistenceForecaster } from '../../../src-main/engine/forecasters.js';
import { glucoseWindows } from '../../../src-main/engine/ttm/study-model.js';
import type { WindowModel } from '../../../src-main/engine/forecast/window-models.js';
import { Rng } from '../../../src-main/engine/onnx/index.js';

const T0 = Date.parse('2024-03-01T00:00:00Z');

/** A stationary AR(1) glucose series around 7 mmol/L at 5-minute steps, with optional dropped readings. */
function arSeries(patient: string, n: number, seed: number, dropEvery = 0): SeriesRow[] {
  const rng = new Rng(seed);
  const rows: SeriesRow[] = [];
  let x = 0;
  for (let i = 0; i < n; i++) {
    x = 0.97 * x + 0.25 * rng.normal();
    const missing = dropEvery > 0 && i % dropEvery === dropEvery - 1;
    rows.push({ datetime: new Date(T0 + i * 300_000).toISOString(), p_num: patient, bg_mM: missing ? null : 7 + x });
  }
  return rows;
}

describe('forecasting on synthetic data', () => {
  it('split-conformal intervals cover close to nominal on test windows (combined table input)', async () => {
    const table = [...arSeries('a', 6000, 1), ...arSeries('b', 6000, 2)];
    const f = new LinearForecaster(12, 6, { prepare: { splitSpec: { kind: 'temporal', testFraction: 0.4, valFraction: 0.3 } } });
    await f.fit(table);
    const r = await f.predict(table, { every: 1, levels: [0.8, 0.95] });
    expect(r.coverage.map((c) => c.level)).toEqual([0.8, 0.95]);
    for (const c of r.coverage) {
      expect(c.n).toBeGreaterThan(10_000);
      expect(Math.abs(c.coverage! - c.level)).toBeLessThan(0.03);
    }
  });

  it('evaluates only test windows, never imputed targets, beside the baselines (map input)', async () => {
    // Every 7th reading missing: short gaps are imputed and must not be scored.
    const byPatient = { p1: arSeries('p1', 3000, 3, 7), p2: arSeries('p2', 3000, 4, 7), p3: arSeries('p3', 3000, 5, 7) };
    const data = prepareData(byPatient, { splitSpec: { kind: 'hybrid', testFraction: 0.25, valFraction: 0.2, holdoutPatients: ['p3'] } });
    const geometry = { contextLength: 24, forecastLength: 12 };
    const seen: WindowDescriptor[][] = [];
    // Exact at observed targets, wildly wrong at imputed ones: any scored imputed target shows.
    const oracle: WindowModel = {
      name: 'oracle',
      forecast: (d, windows) => {
        seen.push([...windows]);
        const g = glucoseWindows(d, windows, geometry.contextLength, geometry.forecastLength);
        return Promise.resolve(g.target.map((v, i) => (g.targetMask[i] === 1 ? v : v + 100)));
      },
    };
    const report = await evaluateModels(data, [oracle], { ...geometry, stride: 1 });
    const inDist = report.groups.find((g) => g.group === 'in_distribution')!;
    const unseen = report.groups.find((g) => g.group === 'unseen_patients')!;
    const testIn = partWindows(data, 'test', { ...geometry, forecastLength: 12, role: 'train' });
    const testOut = partWindows(data, 'test', { ...geometry, forecastLength: 12, role: 'holdout' });
    expect(inDist.windows).toBe(testIn.length);
    expect(unseen.windows).toBe(testOut.length);
    for (const g of [inDist, unseen]) {
      const m = g.models[0]!;
      expect(m.at.every((a) => a.rmseMgdl === 0)).toBe(true);
      // Imputed targets exist in these windows and were left out.
      expect(m.scoredTargets).toBeLessThan(g.windows * 12);
      expect(m.scoredTargets).toBeGreaterThan(g.windows * 12 * 0.8);
      // Hypoglycaemia per horizon (12 × 5 min: 120 min is beyond it): windows with an imputed target
      // at +h are left out there, so the oracle (wrong by 100 at imputed targets) never errs.
      expect(m.hypoByHorizon.map((h) => `${h.level}@${h.minutes}`)).toEqual(['1@30', '1@60', '2@30', '2@60']);
      expect(m.hypoByHorizon).toEqual(m.full.hypoByHorizon);
      for (const h of m.hypoByHorizon) {
        expect(h.fp + h.fn).toBe(0);
        expect(h.mcc).toBe(1);
        expect(h.skippedWindows).toBeGreaterThan(0);
        expect(h.windows + h.skippedWindows).toBe(g.windows);
      }
    }
    // Apart from the calibration call (validation part), every window handed over targets the test part.
    const stepMs = 300_000;
    for (const batch of seen.slice(1)) {
      for (const w of batch) {
        const grid = data.grids.get(w.patientId)!;
        const name = data.names.get(w.patientId)!;
        const firstTarget = grid.startTs + (w.start + 24) * stepMs;
        expect(firstTarget).toBeGreaterThanOrEqual(data.split.patients[name]!.test!.from);
      }
    }
    // The persistence forecaster's own report carries the three baselines' names.
    const p = await new PersistenceForecaster(24, 12, { prepare: { splitSpec: { kind: 'temporal', testFraction: 0.25, valFraction: 0.2 } } }).evaluate(
      byPatient,
    );
    expect(p.groups[0]!.models.map((m) => m.model)).toEqual(['persistence', 'ridge', 'ar2']);
  });
});
