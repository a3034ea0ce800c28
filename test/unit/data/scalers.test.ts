import { describe, expect, it } from 'vitest';
import { buildPatientGrid } from '../../../src-main/engine/data/grid/build.js';
import { fitScaler, scaleValue, ScalerStateSchema, unscaleValue } from '../../../src-main/engine/data/scalers.js';

const T0 = Date.UTC(2024, 0, 1);
function grid(id: number, values: number[]) {
  return buildPatientGrid(
    id,
    values.map((v, i) => ({ ts: T0 + i * 300_000, bgMm: v, flags: 0, kind: 'cgm' as const })),
    [],
  );
}

describe('scalers', () => {
  const g = grid(1, [2, 4, 4, 4, 5, 5, 7, 9, 100, 200]);
  const trainTo = T0 + 8 * 300_000; // first 8 bins are training; the outliers after are test

  it('fits on the training part only', () => {
    const s = fitScaler('standard', ['bg_mM'], [{ grid: g, toTs: trainTo }]);
    expect(s.groups.global!.bg_mM!.loc).toBeCloseTo(5, 10);
    expect(s.groups.global!.bg_mM!.scale).toBeCloseTo(2, 10);
    const all = fitScaler('standard', ['bg_mM'], [{ grid: g }]);
    expect(all.groups.global!.bg_mM!.loc).toBeGreaterThan(30);
  });

  it('minmax and robust', () => {
    const mm = fitScaler('minmax', ['bg_mM'], [{ grid: g, toTs: trainTo }]).groups.global!.bg_mM!;
    expect(mm).toEqual({ loc: 2, scale: 7 });
    const rb = fitScaler('robust', ['bg_mM'], [{ grid: g, toTs: trainTo }]).groups.global!.bg_mM!;
    expect(rb.loc).toBeCloseTo(4.5, 10);
    expect(rb.scale).toBeCloseTo(5.5 - 4, 10);
  });

  it('per patient groups, round trip and JSON schema', () => {
    const g2 = grid(2, [10, 12, 14]);
    const s = fitScaler('standard', ['bg_mM'], [{ grid: g, toTs: trainTo }, { grid: g2 }], { perPatient: true });
    expect(Object.keys(s.groups).sort()).toEqual(['1', '2']);
    expect(unscaleValue(s, 2, 'bg_mM', scaleValue(s, 2, 'bg_mM', 13.5))).toBeCloseTo(13.5, 10);
    expect(ScalerStateSchema.parse(JSON.parse(JSON.stringify(s)))).toEqual(s);
    expect(() => scaleValue(s, 3, 'bg_mM', 1)).toThrow(/no statistics for patient 3/);
  });

  it('a constant channel gets scale 1 instead of dividing by zero', () => {
    const c = fitScaler('standard', ['bg_mM'], [{ grid: grid(1, [6, 6, 6]) }]).groups.global!.bg_mM!;
    expect(c).toEqual({ loc: 6, scale: 1 });
  });
});
