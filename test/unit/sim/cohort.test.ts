import { describe, expect, it } from 'vitest';
import { simulatePatient } from '../../../src-main/engine/sim/cohort.js';
import { SimulationSettingsSchema } from '../../../src-main/engine/sim/settings.js';
import { patientCsvRows } from '../../../src-main/engine/sim/output.js';

describe('simulator', () => {
  it('same seed → identical output; another seed → different', () => {
    const s = SimulationSettingsSchema.parse({ days: 3, seed: 5 });
    const a = simulatePatient(s, 2);
    const b = simulatePatient(s, 2);
    expect(b.readings).toEqual(a.readings);
    expect(b.events).toEqual(a.events);
    expect(b.params).toEqual(a.params);
    const c = simulatePatient({ ...s, seed: 6 }, 2);
    expect(c.readings.map((r) => r.bgMm)).not.toEqual(a.readings.map((r) => r.bgMm));
  });

  it('glucose stays physiological and the behaviour is plausible', () => {
    const s = SimulationSettingsSchema.parse({ days: 14, seed: 1 });
    let inRange = 0;
    let total = 0;
    for (let i = 0; i < 6; i++) {
      const p = simulatePatient(s, i, { keepPlasma: true });
      for (const g of p.plasma!) {
        expect(g).toBeGreaterThan(1.1); // ≈ 20 mg/dL: below it no real patient stays conscious
        expect(g).toBeLessThan(33.3); // 600 mg/dL, the top of a meter
        if (g >= 3.9 && g <= 10) inRange++;
        total++;
      }
      for (const r of p.readings) {
        expect(r.bgMm).toBeGreaterThanOrEqual(40 / 18.018 - 1e-3);
        expect(r.bgMm).toBeLessThanOrEqual(400 / 18.018 + 1e-3);
      }
      // CGM every 5 min with dropouts and sensor warm-ups: most but not all of 14 days
      expect(p.readings.length).toBeGreaterThan(0.85 * 14 * 288);
      expect(p.readings.length).toBeLessThan(14 * 288);
      const carbs = p.events.filter((e) => e.kind === 'carbs' && (e.meta as { type: string }).type !== 'rescue');
      expect(carbs.length).toBeGreaterThanOrEqual(14 * 3);
      expect(carbs.length).toBeLessThanOrEqual(14 * 5);
      expect(p.events.some((e) => e.kind === 'bolus')).toBe(true);
      expect(p.events.filter((e) => e.kind === 'basal_rate').length).toBe(14 * 4);
    }
    expect(inRange / total).toBeGreaterThan(0.55);
  });

  it('basal alone holds glucose near its steady state without meals', () => {
    const quiet = { meals: false, snacks: false, exercise: false, corrections: false, hypoTreatment: false, cgmNoise: false, dropouts: false };
    const flat = simulatePatient(SimulationSettingsSchema.parse({ days: 2, seed: 3, basalProfile: false, ...quiet }), 0, { keepPlasma: true });
    for (const g of flat.plasma!) expect(Math.abs(g - 6.5)).toBeLessThan(1e-3);
    // with the daily profile the circadian EGP it was tuned to keeps glucose close too
    const profiled = simulatePatient(SimulationSettingsSchema.parse({ days: 2, seed: 3, ...quiet }), 0, { keepPlasma: true });
    for (const g of profiled.plasma!) expect(Math.abs(g - 6.5)).toBeLessThan(0.5);
    // and the CGM (noise-free) follows the plasma with its lag
    for (const r of profiled.readings) expect(Math.abs(r.bgMm - 6.5)).toBeLessThan(0.5);
  });

  it('writes the combined CSV layout on the 5-minute grid', () => {
    const p = simulatePatient(SimulationSettingsSchema.parse({ days: 1, seed: 2 }), 0);
    const rows = patientCsvRows(p, 5);
    expect(rows.length).toBeGreaterThan(250);
    const first = rows[0]!.split(',');
    expect(first).toHaveLength(11);
    expect(first[0]).toMatch(/^2024-01-01 00:0\d:00$/);
    expect(first[1]).toBe('sim-001');
    const food = rows.reduce((acc, r) => acc + Number(r.split(',')[6]), 0);
    const eaten = p.events.filter((e) => e.kind === 'carbs').reduce((a, e) => a + e.value, 0);
    expect(food).toBeCloseTo(eaten, 3);
  });
});
