/**
 * The quality check names what really happened. Conflicting
 * duplicates (same timestamp, different values) are a conflict with fixes to choose from;
 * readings seconds apart with equal values are duplicate uploads; two sensors worn at once
 * are overlapping sensors with the stretch's span and a fix that joins the trace on both
 * sides; a repeated hour is DST only at a DST transition of the patient's zone, and the
 * importer's own spring-forward shift is not reported as time going backwards.
 */
import { describe, expect, it } from 'vitest';
import { buildPatientGrid, DEFAULT_GRID_SETTINGS } from '../../../src-main/engine/data/grid/build.js';
import { checkPatient, type QualityReading, type QualitySettings } from '../../../src-main/engine/data/quality/checks.js';

const MIN = 60_000;
const MGDL = 18.018;
const settings: QualitySettings = { resolutionMin: 5, maxGapMin: 30, contextLength: 24, forecastLength: 6 };

function trace(start: number, days = 3): QualityReading[] {
  const n = Math.floor((days * 1440) / 5);
  return Array.from({ length: n }, (_, i) => ({ id: i + 1, ts: start + i * 5 * MIN, bgMm: 7 + 2 * Math.sin(i / 30), flags: 0, kind: 'cgm' as const }));
}

function renumber(rs: QualityReading[]): QualityReading[] {
  return rs.map((r, i) => ({ ...r, id: i + 1 }));
}

function run(readings: QualityReading[], timeZone: string | null = null) {
  const grid = buildPatientGrid(1, readings, [], { ...DEFAULT_GRID_SETTINGS, resolutionMin: 5, maxGapMin: 30 });
  return checkPatient({ patientId: 1, externalId: 'p1', timeZone }, readings, grid, settings);
}

describe('conflicting duplicates', () => {
  it('same timestamp, different values: a conflict with its spread and three fixes, not "keep the first"', () => {
    const rs = trace(Date.UTC(2024, 1, 1));
    const extra: QualityReading[] = [];
    for (let k = 0; k < 20; k++) extra.push({ ...rs[100 + k * 10]!, bgMm: rs[100 + k * 10]!.bgMm + 50 / MGDL }); // 20 × 50 mg/dL apart
    for (let k = 0; k < 10; k++) extra.push({ ...rs[400 + k * 10]!, bgMm: rs[400 + k * 10]!.bgMm + 10 / MGDL }); // 10 × 10 mg/dL apart
    extra.push({ ...rs[700]! }, { ...rs[710]! }); // 2 harmless duplicates (same value)
    const r = run(renumber([...rs, ...extra]));
    const c = r.findings.find((f) => f.check === 'conflicting_duplicates')!;
    expect(c).toBeDefined();
    expect(c.count).toBe(30);
    expect(c.message).toMatch(/30 timestamp\(s\) of p1 hold different glucose values/);
    expect(c.message).toMatch(/median 50 mg\/dL, largest 50 mg\/dL; 20 differ by 40 mg\/dL or more/);
    const timestamps = [...extra.slice(0, 30).map((x) => x.ts)].sort((a, b) => a - b);
    expect(c.fix).toEqual({ kind: 'resolve_conflicts', patientId: 1, strategy: 'neighbours', timestamps });
    expect(c.alternatives).toEqual([
      { kind: 'resolve_conflicts', patientId: 1, strategy: 'mean', timestamps },
      { kind: 'resolve_conflicts', patientId: 1, strategy: 'drop', timestamps },
    ]);
    const d = r.findings.find((f) => f.check === 'duplicate_timestamps')!;
    expect(d.count).toBe(2);
  });
});

describe('duplicate uploads and DST', () => {
  it('double uploads 6 s apart with equal values, in a zone without DST, on 1 February, are duplicate uploads', () => {
    const rs = trace(Date.UTC(2024, 1, 1));
    const start = 200;
    const repeats = rs.slice(start, start + 12).map((r) => ({ ...r, ts: r.ts + 6000 }));
    const r = run(renumber([...rs.slice(0, start + 12), ...repeats, ...rs.slice(start + 12)]), 'Asia/Kolkata');
    const checks = r.findings.map((f) => f.check);
    expect(checks).not.toContain('dst_repeat');
    expect(checks).not.toContain('implausible_rate');
    const u = r.findings.find((f) => f.check === 'duplicate_uploads')!;
    expect(u.count).toBe(12);
    expect(u.message).toMatch(/uploaded twice/);
    expect(u.fix).toEqual({ kind: 'remove_readings', patientId: 1, timestamps: repeats.map((x) => x.ts) });
  });

  it('an hour recorded twice is DST only at a DST transition of the patient’s zone', () => {
    // Europe/Oslo falls back at 2024-10-27 01:00 UTC; the repeated local hour lands on 00:00–01:00 UTC.
    const t0 = Date.UTC(2024, 9, 26);
    const rs = trace(t0);
    const start = 288; // 2024-10-27 00:00 UTC
    const replay = rs.slice(start, start + 12).map((r) => ({ ...r, ts: r.ts + 150_000, bgMm: r.bgMm + 0.1 }));
    const withRepeat = renumber([...rs.slice(0, start + 12), ...replay, ...rs.slice(start + 12)]);
    const oslo = run(withRepeat, 'Europe/Oslo');
    expect(oslo.findings.find((f) => f.check === 'dst_repeat')).toMatchObject({ count: 12, from: rs[start]!.ts });
    expect(oslo.findings.find((f) => f.check === 'time_backwards')!.message).toMatch(/daylight-saving/);
    // The same doubles in a zone without DST are no daylight-saving hour.
    const kolkata = run(withRepeat, 'Asia/Kolkata');
    expect(kolkata.findings.map((f) => f.check)).not.toContain('dst_repeat');
    // Without a zone, the offsets the importer recorded decide: constant offsets, no DST.
    const noZone = run(withRepeat.map((r) => ({ ...r, offsetMin: 330 })));
    expect(noZone.findings.map((f) => f.check)).not.toContain('dst_repeat');
  });

  it("a time_backwards caused by the importer's own spring-forward shift is not reported", () => {
    // Europe/Oslo springs forward at 2024-03-31 01:00 UTC (02:00 → 03:00 local). Readings stamped
    // 02:00–02:55 local (a clock not yet switched) were moved by the importer onto 03:00–03:55
    // local = 01:00–01:55 UTC, written before the real 03:00 readings (also 01:00 UTC on).
    const t0 = Date.UTC(2024, 2, 30);
    const rs = trace(t0);
    const at = 300; // 2024-03-31 01:00 UTC
    const shifted = rs.slice(at, at + 12).map((r) => ({ ...r, ts: r.ts + 60_000, bgMm: r.bgMm - 0.05 }));
    const file = renumber([...rs.slice(0, at), ...shifted, ...rs.slice(at)]);
    const r = run(file, 'Europe/Oslo');
    expect(r.findings.map((f) => f.check)).not.toContain('time_backwards');
    // The same step back far from any transition is still a clock problem.
    const later = renumber([...rs.slice(0, 600), ...rs.slice(600, 612).map((x) => ({ ...x, ts: x.ts + 60_000 })), ...rs.slice(600)]);
    expect(run(later, 'Europe/Oslo').findings.map((f) => f.check)).toContain('time_backwards');
  });
});

describe('two sensors overlapping', () => {
  it('readings seconds apart 40–100 mg/dL apart: overlapping sensors with the span, and a fix that joins the trace before and after', () => {
    const t0 = Date.UTC(2024, 1, 1);
    const rs = trace(t0);
    const from = 300;
    const to = 336; // 3 h of overlap
    // The old sensor (rs) runs until `to`; the new one reads 60 mg/dL higher, 8 s later, from `from` on.
    const oldSensor = rs.slice(0, to);
    const newSensor = rs.slice(from).map((r) => ({ ...r, ts: r.ts + 8000, bgMm: r.bgMm + 60 / MGDL }));
    const readings = renumber([...oldSensor, ...newSensor].sort((a, b) => a.ts - b.ts));
    const r = run(readings);
    const checks = r.findings.map((f) => f.check);
    expect(checks).not.toContain('implausible_rate');
    const o = r.findings.find((f) => f.check === 'overlapping_sensors')!;
    expect(o).toBeDefined();
    expect(o.count).toBe(to - from);
    expect(o.from).toBe(rs[from]!.ts);
    expect(o.to).toBe(rs[to - 1]!.ts + 8000);
    expect(o.message).toMatch(/two sensors overlapping for 2\.9 h from 2024-02-02 01:00 UTC/);
    expect(o.message).toMatch(/differ by 60–60 mg\/dL/);
    // The fix removes one reading of each pair: the old sensor's at the end, the new one's at the start.
    expect(o.fix?.kind).toBe('remove_readings');
    const removed = new Set(o.fix?.kind === 'remove_readings' ? o.fix.timestamps : []);
    expect(removed.size).toBe(to - from);
    expect(removed.has(newSensor[0]!.ts)).toBe(true); // start: keep the old sensor (continuous with before)
    expect(removed.has(rs[to - 1]!.ts)).toBe(true); // end: keep the new sensor (continuous with after)
    const kept = readings.filter((x) => !removed.has(x.ts));
    // Continuous at both ends of the stretch.
    const before = kept.findIndex((x) => x.ts === rs[from - 1]!.ts);
    expect(Math.abs(kept[before + 1]!.bgMm - kept[before]!.bgMm) * MGDL).toBeLessThan(5);
    const after = kept.findIndex((x) => x.ts === newSensor[to - from]!.ts);
    expect(Math.abs(kept[after]!.bgMm - kept[after - 1]!.bgMm) * MGDL).toBeLessThan(5);
  });
});
