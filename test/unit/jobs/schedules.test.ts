import { describe, expect, it } from 'vitest';
import { oneCycleAt, parseSchedule, scheduleAt, scheduleValues } from '../../../src-main/engine/jobs/schedules.js';

// Reference values: OneCycleLR's formulas evaluated by hand (with a calculator) for max_lr 1e-3,
// total_steps 100 and the defaults (pct_start 0.3, cos, div 25, final_div 1e4, β1 0.95 ↔ 0.85).
describe('one-cycle schedule (torch OneCycleLR semantics)', () => {
  const s = parseSchedule({ kind: 'one-cycle', maxLr: 1e-3, totalSteps: 100 });

  it('starts at max_lr / div_factor with β1 = max_momentum', () => {
    const v = oneCycleAt(s, 0);
    expect(v.lr).toBeCloseTo(4e-5, 15);
    expect(v.beta1).toBe(0.95);
  });

  it('reaches max_lr and base momentum at the end of warm-up (step pct·total − 1 = 29)', () => {
    const v = scheduleAt(s, 29);
    expect(v.lr).toBeCloseTo(1e-3, 15);
    expect(v.beta1).toBeCloseTo(0.85, 15);
    expect(scheduleAt(s, 30).lr).toBeLessThan(1e-3);
    expect(scheduleAt(s, 28).lr).toBeLessThan(1e-3);
  });

  it('ends at max_lr / div / final_div with β1 back at 0.95 on the last step (total − 1)', () => {
    const v = scheduleAt(s, 99);
    expect(v.lr).toBeCloseTo(4e-9, 20);
    expect(v.beta1).toBeCloseTo(0.95, 15);
  });

  it('matches cosine annealing inside each phase', () => {
    // step 15: pct 15/29 of phase 1; step 50: pct 21/70 of phase 2
    expect(scheduleAt(s, 15).lr).toBeCloseTo(5.459866761210004e-4, 15);
    expect(scheduleAt(s, 15).beta1).toBeCloseTo(0.897293054570729, 14);
    expect(scheduleAt(s, 50).lr).toBeCloseTo(7.938934505757319e-4, 15);
    expect(scheduleAt(s, 50).beta1).toBeCloseTo(0.8706107373853763, 14);
  });

  it('accepts step = total like torch (one past the last update) and refuses beyond', () => {
    expect(scheduleAt(s, 100).lr).toBeCloseTo(5.074647154757324e-7, 18);
    expect(() => scheduleAt(s, 101)).toThrow(/\[0, 100\]/);
    expect(() => scheduleAt(s, -1)).toThrow();
    expect(() => scheduleAt(s, 1.5)).toThrow();
  });

  it('keeps the fractional phase boundary of torch (total 7: phase 1 ends at step 1.1)', () => {
    const t = parseSchedule({ kind: 'one-cycle', maxLr: 1, totalSteps: 7 });
    expect(scheduleAt(t, 1).lr).toBeCloseTo(0.9805566273349586, 14);
    expect(scheduleAt(t, 1).beta1).toBeCloseTo(0.8520253513192751, 14);
    expect(scheduleAt(t, 2).lr).toBeCloseTo(0.9190443762697106, 14);
    const lin = parseSchedule({ kind: 'one-cycle', maxLr: 1, totalSteps: 7, anneal: 'linear' });
    expect(scheduleAt(lin, 1).lr).toBeCloseTo(0.9127272727272727, 14);
    expect(scheduleAt(lin, 2).lr).toBeCloseTo(0.8163272653061224, 14);
  });

  it('returns no β1 when momentum is not cycled, and refuses degenerate phases', () => {
    expect(scheduleAt(parseSchedule({ kind: 'one-cycle', maxLr: 1, totalSteps: 10, cycleMomentum: false }), 3).beta1).toBeNull();
    // torch divides by zero when phase 1 ends at step 0 (pct_start·total = 1); we refuse it
    expect(() => scheduleAt(parseSchedule({ kind: 'one-cycle', maxLr: 1, totalSteps: 2, pctStart: 0.5 }), 0)).toThrow(/pctStart/);
    // …but with total 2 and pct 0.3 phase 1 "ends" at −0.4 and torch starts in phase 2: so do we
    expect(scheduleAt(parseSchedule({ kind: 'one-cycle', maxLr: 1, totalSteps: 2 }), 0).lr).toBeCloseTo(0.811745653949763, 14);
    expect(() => parseSchedule({ kind: 'one-cycle', maxLr: 1, totalSteps: 10, pctStart: 1.2 })).toThrow(/Invalid learning-rate schedule/);
  });

  it('scheduleValues gives one value per optimizer step', () => {
    const v = scheduleValues(s);
    expect(v.lr.length).toBe(100);
    expect(v.beta1!.length).toBe(100);
    expect(v.lr[29]).toBeCloseTo(1e-3, 15);
    // lr rises then falls; β1 mirrors it
    for (let i = 1; i <= 29; i++) expect(v.lr[i]!).toBeGreaterThan(v.lr[i - 1]!);
    for (let i = 30; i < 100; i++) expect(v.lr[i]!).toBeLessThan(v.lr[i - 1]!);
    for (let i = 1; i <= 29; i++) expect(v.beta1![i]!).toBeLessThan(v.beta1![i - 1]!);
  });
});

describe('warm-up schedules and constant', () => {
  const lin = parseSchedule({ kind: 'warmup-linear', lr: 1, warmupSteps: 10, totalSteps: 110 });
  const cos = parseSchedule({ kind: 'warmup-cosine', lr: 1, warmupSteps: 10, totalSteps: 110 });

  it('linear warm-up then linear decay to 0', () => {
    expect([0, 5, 10, 60, 110].map((k) => scheduleAt(lin, k).lr)).toEqual([0, 0.5, 1, 0.5, 0]);
    expect(scheduleAt(lin, 60).beta1).toBeNull();
  });

  it('linear warm-up then half-cosine decay to 0', () => {
    expect(scheduleAt(cos, 5).lr).toBe(0.5);
    expect(scheduleAt(cos, 10).lr).toBe(1);
    expect(scheduleAt(cos, 35).lr).toBeCloseTo(0.5 * (1 + Math.SQRT1_2), 15); // progress 1/4
    expect(scheduleAt(cos, 60).lr).toBeCloseTo(0.5, 15);
    expect(scheduleAt(cos, 110).lr).toBeCloseTo(0, 15);
  });

  it('no warm-up starts at the full rate; constant is constant', () => {
    expect(scheduleAt(parseSchedule({ kind: 'warmup-linear', lr: 2, warmupSteps: 0, totalSteps: 4 }), 0).lr).toBe(2);
    expect(scheduleAt(parseSchedule({ kind: 'constant', lr: 3e-4 }), 12345)).toEqual({ lr: 3e-4, beta1: null });
    expect(() => scheduleAt(parseSchedule({ kind: 'warmup-linear', lr: 1, warmupSteps: 20, totalSteps: 10 }), 0)).toThrow(/Warm-up/);
  });
});
