/**
 * An evaluation says how many windows it scored against those the split's
 * part offers (at the shortest geometry, a 1-step context) and why fewer; a held-out patient
 * without any window long enough gets advice that fits (a shorter context or a longer record,
 * not a larger test fraction: its whole series is already test).
 */
import { describe, expect, it } from 'vitest';
import { partWindows, prepareData, type SeriesRow } from '../../../src-main/engine/data/prepared-data.js';
import { evaluateModels } from '../../../src-main/engine/forecast/evaluate.js';
import { persistenceModel } from '../../../src-main/engine/forecast/window-models.js';
import { Rng } from '../../../src-main/engine/onnx/index.js';

const T0 = Date.parse('2024-03-01T00:00:00Z');

/** AR(1) glucose at 5-minute steps with a 2-hour gap (a long gap: a new segment) every `gapEvery` steps. */
function series(patient: string, n: number, seed: number, gapEvery = 0): SeriesRow[] {
  const rng = new Rng(seed);
  const rows: SeriesRow[] = [];
  let x = 0;
  for (let i = 0; i < n; i++) {
    x = 0.97 * x + 0.25 * rng.normal();
    if (gapEvery > 0 && i % gapEvery < 24 && i > gapEvery) continue;
    rows.push({ datetime: new Date(T0 + i * 300_000).toISOString(), p_num: patient, bg_mM: 7 + x });
  }
  return rows;
}

describe('windows scored vs windows offered', () => {
  it('a long context scores fewer windows than the part offers, and the report says how many and why', async () => {
    const byPatient = { p1: series('p1', 3000, 1, 200), p2: series('p2', 3000, 2, 200), p3: series('p3', 3000, 3, 200) };
    const data = prepareData(byPatient, { splitSpec: { kind: 'hybrid', testFraction: 0.25, valFraction: 0.2, holdoutPatients: ['p3'] } });
    const short = await evaluateModels(data, [persistenceModel], { contextLength: 2, forecastLength: 12 });
    const long = await evaluateModels(data, [persistenceModel], { contextLength: 96, forecastLength: 12 });
    for (const group of ['in_distribution', 'unseen_patients'] as const) {
      const s = short.groups.find((g) => g.group === group)!;
      const l = long.groups.find((g) => g.group === group)!;
      const offered = partWindows(data, 'test', { contextLength: 1, forecastLength: 12, role: group === 'in_distribution' ? 'train' : 'holdout' }).length;
      expect(l.offeredWindows).toBe(offered);
      expect(s.offeredWindows).toBe(offered);
      expect(l.windows).toBeLessThan(s.windows);
      expect(l.windows).toBeLessThan(offered);
      const account = long.windowAccount!.find((a) => a.group === group)!;
      expect(account).toMatchObject({ scored: l.windows, offered });
      expect(account.reason).toMatch(new RegExp(`${l.windows} of the ${offered} test windows scored`));
      expect(account.reason).toMatch(/96-step context/);
    }
    expect(long.notes.some((n) => /of the \d+ test windows scored/.test(n))).toBe(true);
  });

  it('a held-out patient whose record is too short: advice is a shorter context or a longer record', async () => {
    const byPatient = { p1: series('p1', 3000, 1), p2: series('p2', 3000, 2), p3: series('p3', 150, 3) };
    const data = prepareData(byPatient, { splitSpec: { kind: 'hybrid', testFraction: 0.25, valFraction: 0.2, holdoutPatients: ['p3'] } });
    const report = await evaluateModels(data, [persistenceModel], { contextLength: 200, forecastLength: 12 });
    const unseen = report.windowAccount!.find((a) => a.group === 'unseen_patients')!;
    expect(unseen.scored).toBe(0);
    expect(unseen.offered).toBeGreaterThan(0);
    expect(unseen.patientsWithoutWindows).toEqual(['p3']);
    expect(unseen.reason).toMatch(/p3/);
    expect(unseen.reason).toMatch(/shorter context or a longer record/);
    expect(unseen.reason).not.toMatch(/test fraction/);
  });

  it('when no window fits anywhere and only a held-out patient is short, the error does not ask for a larger test fraction', async () => {
    const byPatient = { p1: series('p1', 150, 1), p3: series('p3', 150, 3) };
    const data = prepareData(byPatient, { splitSpec: { kind: 'patient_holdout', valFraction: 0.2, holdoutPatients: ['p3'] } });
    await expect(evaluateModels(data, [persistenceModel], { contextLength: 200, forecastLength: 12 })).rejects.toThrow(
      /held-out patient p3 \(whose whole series is already test\), a shorter context or a longer record/,
    );
    await expect(evaluateModels(data, [persistenceModel], { contextLength: 200, forecastLength: 12 })).rejects.not.toThrow(/test fraction/);
  });
});
