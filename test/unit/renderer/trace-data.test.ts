import { describe, expect, it } from 'vitest';
import { clinicalSummary } from '../../../src-main/engine/metrics/clinical.js';
import type { PatientTrace } from '../../../src-main/engine/api/contract.js';
import { computeAgp, glucoseSummary, mergeTraces, traceChunks, traceSeries, type TraceData } from '../../../src-renderer/lib/trace-data.js';
import { MGDL_PER_MMOL } from '../../../src-renderer/lib/units.js';

const STEP = 300_000;
const T0 = Date.UTC(2024, 0, 1);

function trace(startTs: number, values: (number | null)[], mask?: number[], extra: Partial<PatientTrace['channels']> = {}): PatientTrace {
  return {
    patientId: 1,
    externalId: 'p1',
    startTs,
    stepMin: 5,
    length: values.length,
    channels: { bg_mM: values, ...extra },
    masks: { bg_mM: mask ?? values.map((v) => (v === null ? 0 : 1)) },
    segments: [],
    absent: [],
  };
}

/** A synthetic grid: `days` of 5-minute glucose with a daily cycle, some imputed points and a gap. */
function synthetic(days: number): TraceData {
  const n = (days * 1440) / 5;
  const ts: number[] = [];
  const glucose: (number | null)[] = [];
  const mask: number[] = [];
  for (let i = 0; i < n; i++) {
    ts.push(T0 + i * STEP);
    const hour = ((i * 5) / 60) % 24;
    const g = 7 + 3 * Math.sin((hour / 24) * 2 * Math.PI) + ((i * 7919) % 13) / 10;
    const inGap = i % 2000 > 1980;
    glucose.push(inGap ? null : g);
    mask.push(inGap || i % 97 === 0 ? 0 : 1);
  }
  return { stepMin: 5, ts, glucose, mask, bolus: null, carbs: null };
}

describe('trace chunks and merging', () => {
  it('covers [from, to) with chunks of at most 60 days', () => {
    const from = T0;
    const to = T0 + 150 * 86_400_000;
    const chunks = traceChunks(from, to);
    expect(chunks).toHaveLength(3);
    expect(chunks[0]!.from).toBe(from);
    expect(chunks.at(-1)!.to).toBe(to);
    for (let i = 1; i < chunks.length; i++) expect(chunks[i]!.from).toBe(chunks[i - 1]!.to);
    expect(traceChunks(from, from)).toEqual([]);
  });

  it('merges chunks in time order and keeps an overlapping bin once', () => {
    const a = trace(T0, [5, 6, 7]);
    const b = trace(T0 + 2 * STEP, [7.5, 8, null], [1, 1, 0], { bolus: [0, 2, 0], food_g: [0, 0, 30] });
    const m = mergeTraces([a, b]);
    expect(m.ts).toEqual([T0, T0 + STEP, T0 + 2 * STEP, T0 + 3 * STEP, T0 + 4 * STEP]);
    expect(m.glucose).toEqual([5, 6, 7, 8, null]);
    expect(m.mask).toEqual([1, 1, 1, 1, 0]);
    expect(m.bolus).toEqual([null, null, null, 2, 0]);
    expect(m.carbs).toEqual([null, null, null, 0, 30]);
  });

  it('has no marker arrays when the channels are absent', () => {
    const t = { ...trace(T0, [5]), absent: ['bolus', 'food_g'] as PatientTrace['absent'] };
    const m = mergeTraces([t]);
    expect(m.bolus).toBeNull();
    expect(m.carbs).toBeNull();
  });
});

describe('chart series', () => {
  const d: TraceData = {
    stepMin: 5,
    ts: [0, 1, 2, 3, 4, 5, 6].map((i) => T0 + i * STEP),
    glucose: [5, 5.5, 6, 6.5, null, null, 7],
    mask: [1, 0, 0, 1, 0, 0, 1],
    bolus: [0, 3, null, 0, 0, 0, 0],
    carbs: [40, 0, 0, 0, 0, 0, 0],
  };

  it('splits observed from imputed, joins imputed runs to their neighbours and converts units', () => {
    const s = traceSeries(d, (v) => v * 10, { timeZone: null, utcOffsetMin: 0 });
    expect(s.observed).toEqual([50, null, null, 65, null, null, 70]);
    expect(s.imputed).toEqual([50, 55, 60, 65, null, null, null]);
    expect(s.imputedCount).toBe(2);
    expect(s.bolus).toEqual([null, 3, null, null, null, null, null]);
    expect(s.carbs).toEqual([40, null, null, null, null, null, null]);
  });

  it('joins only the neighbours of an imputed run, never further observed points', () => {
    const e: TraceData = { ...d, glucose: [5, 6, 7, 8, 9, 10, 11], mask: [1, 0, 1, 1, 1, 1, 1] };
    const s = traceSeries(e, (v) => v, { timeZone: null, utcOffsetMin: 0 });
    expect(s.imputed).toEqual([5, 6, 7, null, null, null, null]);
    expect(s.observed).toEqual([5, null, 7, 8, 9, 10, 11]);
  });

  it('marks missing glucose as a gap and shifts time to the patient zone', () => {
    const s = traceSeries(d, (v) => v, { timeZone: null, utcOffsetMin: 60 });
    expect(s.x[0]).toBe(T0 / 1000 + 3600);
    expect(s.gaps).toEqual([[s.x[4], s.x[6]]]);
    const oslo = traceSeries(d, (v) => v, { timeZone: 'Europe/Oslo', utcOffsetMin: null });
    expect(oslo.x[0]).toBe(T0 / 1000 + 3600); // CET in January
  });

  it('handles 90 days of 5-minute data quickly', () => {
    const big = synthetic(90);
    const t0 = performance.now();
    const s = traceSeries(big, (v) => v * MGDL_PER_MMOL, { timeZone: 'Europe/Oslo', utcOffsetMin: null });
    expect(s.x).toHaveLength(25_920);
    expect(performance.now() - t0).toBeLessThan(2000); // generous: linear work, one zone lookup per hour
  });
});

describe('CGM summary and AGP agree with the engine', () => {
  const d = synthetic(21);
  const series = {
    timestampsMs: d.ts.filter((_, i) => d.glucose[i] !== null),
    glucose: d.glucose.filter((g): g is number => g !== null),
    mask: Uint8Array.from(d.mask.filter((_, i) => d.glucose[i] !== null)),
    unit: 'mmol/L' as const,
    utcOffsetMin: 120,
  };
  const engine = clinicalSummary(series, { periodStartMs: d.ts[0], periodEndMs: d.ts.at(-1)! + STEP });

  it('mean, SD and time in ranges', () => {
    const s = glucoseSummary(d);
    expect(s.meanMmol! * MGDL_PER_MMOL).toBeCloseTo(engine.meanMgdl!, 6);
    expect(s.sdMmol! * MGDL_PER_MMOL).toBeCloseTo(engine.sdMgdl!, 6);
    const tir = engine.timeInRanges;
    expect(s.ranges.map((v) => v.toFixed(6))).toEqual([tir.veryLow, tir.low, tir.inRange, tir.high, tir.veryHigh].map((v) => v!.toFixed(6)));
    expect(s.gmiPercent).not.toBeNull();
  });

  it('AGP percentiles by local hour, smoothed', () => {
    const agp = computeAgp(d, { timeZone: null, utcOffsetMin: 120 });
    expect(agp.available).toBe(true);
    expect(engine.agp.available).toBe(true);
    if (!agp.available || !engine.agp.available) return;
    for (let k = 0; k < 5; k++) {
      for (let h = 0; h < 24; h++) expect(agp.percentiles[k]![h]! * MGDL_PER_MMOL).toBeCloseTo(engine.agp.smoothedMgdl[k]![h]!, 6);
    }
    expect(agp.countsByHour).toEqual(engine.agp.countsByHour);
  });

  it('withholds the AGP under 7 days, with the reason the data report gives', () => {
    const short = synthetic(5);
    const agp = computeAgp(short, { timeZone: null, utcOffsetMin: 0 });
    expect(agp.available).toBe(false);
    const keep = (_: unknown, i: number): boolean => short.glucose[i] !== null;
    const report = clinicalSummary(
      {
        timestampsMs: short.ts.filter(keep),
        glucose: short.glucose.filter((g): g is number => g !== null),
        mask: Uint8Array.from(short.mask.filter(keep)),
        unit: 'mmol/L',
        utcOffsetMin: 0,
      },
      { periodStartMs: short.ts[0], periodEndMs: short.ts.at(-1)! + STEP },
    );
    expect(report.agp.available).toBe(false);
    if (!agp.available && !report.agp.available) {
      expect(agp.reason).toMatch(/7 days/);
      expect(agp.reason).toBe(report.agp.reason);
    }
  });
});
