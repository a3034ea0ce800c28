import { describe, expect, it } from 'vitest';
import { buildPatientGrid, DEFAULT_GRID_SETTINGS, type RawEvent } from '../../../src-main/engine/data/grid/build.js';
import { checkCohort, checkPatient, type QualityReading, type QualitySettings } from '../../../src-main/engine/data/quality/checks.js';

const T0 = Date.UTC(2024, 2, 1);
const MIN = 60_000;
const settings: QualitySettings = { resolutionMin: 5, maxGapMin: 30, contextLength: 24, forecastLength: 6 };

/** A clean 8-day CGM trace: every 5 min, smooth, in range. */
function clean(days = 8, stepMin = 5, offsetMin = 0): QualityReading[] {
  const n = Math.floor((days * 1440) / stepMin);
  return Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    ts: T0 + (offsetMin + i * stepMin) * MIN,
    bgMm: 7 + 2 * Math.sin(i / 30),
    flags: 0,
    kind: 'cgm' as const,
  }));
}

function run(readings: QualityReading[], events: RawEvent[] = [], s: QualitySettings = settings) {
  const grid = buildPatientGrid(1, readings, events, { ...DEFAULT_GRID_SETTINGS, resolutionMin: s.resolutionMin, maxGapMin: s.maxGapMin });
  return checkPatient({ patientId: 1, externalId: 'p1' }, readings, grid, s);
}

function checks(readings: QualityReading[], events: RawEvent[] = [], s?: QualitySettings): string[] {
  return run(readings, events, s).findings.map((f) => f.check);
}

function renumber(rs: QualityReading[]): QualityReading[] {
  return rs.map((r, i) => ({ ...r, id: i + 1 }));
}

describe('quality checks', () => {
  it('a clean trace has no findings', () => {
    const r = run(clean());
    expect(r.findings).toEqual([]);
    expect(r.summary.modalIntervalMin).toBe(5);
    expect(r.summary.wearPercent).toBe(100);
    expect(r.summary.usableWindows).toBe(8 * 288 - 30 + 1);
    expect(checkCohort([r, run(clean())])).toEqual([]);
  });

  it('non-finite and impossible values', () => {
    const rs = clean();
    rs[10] = { ...rs[10]!, bgMm: Infinity };
    rs[20] = { ...rs[20]!, bgMm: 700 };
    const r = run(rs);
    const nf = r.findings.find((f) => f.check === 'non_finite')!;
    expect(nf.severity).toBe('error');
    expect(nf.count).toBe(1);
    expect(nf.fix).toEqual({ kind: 'remove_readings', patientId: 1, timestamps: [rs[10]!.ts] });
    const oor = r.findings.find((f) => f.check === 'out_of_range')!;
    expect(oor.fix).toEqual({ kind: 'remove_readings', patientId: 1, timestamps: [rs[20]!.ts] });
  });

  it('mg/dL values in a mmol/L column and mmol/L values read as mg/dL', () => {
    const rs = clean();
    for (let i = 100; i < 110; i++) rs[i] = { ...rs[i]!, bgMm: 120 + i };
    for (let i = 300; i < 308; i++) rs[i] = { ...rs[i]!, bgMm: 0.35 + (i - 300) * 0.01 };
    const r = run(rs);
    const a = r.findings.find((f) => f.check === 'unit_mgdl_in_mmol')!;
    expect(a.count).toBe(10);
    expect(a.fix).toMatchObject({ kind: 'convert_units', factor: 1 / 18.018 });
    const b = r.findings.find((f) => f.check === 'unit_mmol_in_mgdl')!;
    expect(b.count).toBe(8);
    expect(b.fix).toMatchObject({ kind: 'convert_units', factor: 18.018, from: rs[300]!.ts, to: rs[307]!.ts + 1 });
    // tiny values in a run are a unit problem, not error codes, and not implausible jumps
    expect(r.findings.some((f) => f.check === 'error_codes')).toBe(false);
    expect(r.findings.some((f) => f.check === 'implausible_rate' && f.severity === 'warning')).toBe(false);
  });

  it('values below the sensor range are error codes; clamped LOW readings are not', () => {
    const rs = clean();
    rs[50] = { ...rs[50]!, bgMm: 0 };
    rs[90] = { ...rs[90]!, bgMm: 5 / 18.018 };
    rs[95] = { ...rs[95]!, bgMm: 40 / 18.018, flags: 1 };
    const f = run(rs).findings.find((x) => x.check === 'error_codes')!;
    expect(f.count).toBe(2);
    expect(f.fix).toEqual({ kind: 'remove_readings', patientId: 1, timestamps: [rs[50]!.ts, rs[90]!.ts] });
  });

  it("censored lows are not error codes: a Libre's floor (39.6 mg/dL, 2.2 mmol/L) and genuine lows are kept; 0 and 1.8 mg/dL are codes", () => {
    const rs = clean();
    rs[40] = { ...rs[40]!, bgMm: 39.6 / 18.018, flags: 1 };
    // imported before floors were flagged: still not a code
    rs[60] = { ...rs[60]!, bgMm: 2.2 };
    rs[70] = { ...rs[70]!, bgMm: 39.6 / 18.018 };
    rs[80] = { ...rs[80]!, bgMm: 30 / 18.018 };
    rs[90] = { ...rs[90]!, bgMm: 1.8 / 18.018 };
    rs[100] = { ...rs[100]!, bgMm: 0 };
    const f = run(rs).findings.find((x) => x.check === 'error_codes')!;
    expect(f.count).toBe(2);
    expect(f.fix).toEqual({ kind: 'remove_readings', patientId: 1, timestamps: [rs[90]!.ts, rs[100]!.ts] });
    expect(f.message).toContain('below 20 mg/dL (2, 0 mg/dL)');
  });

  it('duplicate timestamps', () => {
    const rs = clean();
    const withDups = renumber([...rs.slice(0, 200), { ...rs[199]! }, { ...rs[199]! }, ...rs.slice(200)]);
    const f = run(withDups).findings.find((x) => x.check === 'duplicate_timestamps')!;
    expect(f.count).toBe(2);
    expect(f.fix).toEqual({ kind: 'dedupe_readings', patientId: 1, by: 'timestamp' });
  });

  it('a 15-minute patient: irregular interval, and a mismatch with a 5-minute cohort', () => {
    const libre = run(clean(8, 15));
    expect(libre.findings.map((f) => f.check)).toContain('irregular_interval');
    expect(libre.summary.modalIntervalMin).toBe(15);
    const cohort = checkCohort([run(clean()), run(clean()), libre]);
    expect(cohort).toHaveLength(1);
    expect(cohort[0]).toMatchObject({ check: 'interval_mismatch', externalId: 'p1', severity: 'warning' });
  });

  it('two interleaved traces jump faster than 10 mg/dL per minute', () => {
    const rs = clean().map((r, i) => (i % 2 === 0 ? r : { ...r, bgMm: r.bgMm + 4 }));
    const f = run(rs).findings.find((x) => x.check === 'implausible_rate')!;
    expect(f.severity).toBe('warning');
    expect(f.message).toMatch(/interleaved/);
    // a single artefact is only a note
    const one = clean();
    one[400] = { ...one[400]!, bgMm: one[400]!.bgMm + 5 };
    expect(run(one).findings.find((x) => x.check === 'implausible_rate')!.severity).toBe('info');
  });

  it('a daylight-saving hour recorded twice, and time going backwards in file order', () => {
    // Europe/Oslo falls back at 2024-10-27 01:00 UTC (the patient's zone decides what is DST)
    const rs = clean().map((r) => ({ ...r, ts: r.ts - T0 + Date.UTC(2024, 9, 25, 6, 20) }));
    // the device replays 01:00–02:00 local: readings 2.5 min after each original, written after them
    const start = 500;
    const replay = rs.slice(start, start + 12).map((r) => ({ ...r, ts: r.ts + 150_000, bgMm: r.bgMm + 0.1 }));
    const withRepeat = renumber([...rs.slice(0, start + 12), ...replay, ...rs.slice(start + 12)]);
    const grid = buildPatientGrid(1, withRepeat, [], { ...DEFAULT_GRID_SETTINGS, resolutionMin: 5, maxGapMin: 30 });
    const r = checkPatient({ patientId: 1, externalId: 'p1', timeZone: 'Europe/Oslo' }, withRepeat, grid, settings);
    const dst = r.findings.find((x) => x.check === 'dst_repeat')!;
    expect(dst.count).toBe(12);
    expect(dst.fix).toMatchObject({ kind: 'dedupe_readings', by: 'bin', from: rs[start]!.ts, to: rs[start + 11]!.ts + 5 * MIN });
    const back = r.findings.find((x) => x.check === 'time_backwards')!;
    expect(back.count).toBe(1);
  });

  it('a clock that jumped forward and back gets a shift fix', () => {
    const rs = clean();
    // readings 1000..1023 were stamped one day late
    const jumped = rs.map((r, i) => (i >= 1000 && i < 1024 ? { ...r, ts: r.ts + 1440 * MIN } : r));
    const f = run(jumped).findings.find((x) => x.check === 'time_backwards')!;
    expect(f.fix).toEqual({ kind: 'shift_time', patientId: 1, from: rs[1000]!.ts + 1440 * MIN, to: rs[1023]!.ts + 1440 * MIN + 1, offsetMin: -1440 });
  });

  it('missing data, low wear, gap histogram, and a patient with no usable window', () => {
    // 2 h on, 2 h off
    const rs = renumber(clean().filter((r) => Math.floor((r.ts - T0) / (120 * MIN)) % 2 === 0));
    const r = run(rs, [], { ...settings, contextLength: 48, forecastLength: 12 });
    expect(r.findings.find((f) => f.check === 'missing')!.severity).toBe('warning');
    expect(r.findings.find((f) => f.check === 'low_wear')).toBeDefined();
    // 8 days of 2 h blocks: 48 on, 47 gaps of exactly 2 h between them
    expect(r.summary.gapHistogram.find((b) => b.label === '1–2 h')!.count).toBe(47);
    const none = r.findings.find((f) => f.check === 'no_usable_windows')!;
    expect(none.severity).toBe('error');
    expect(none.message).toMatch(/need 5\.0 h of data .* longest stretch is 2\.0 h/);
    expect(r.summary.usableWindows).toBe(0);
  });

  it('short history is noted', () => {
    expect(checks(clean(3))).toEqual(['short_history']);
  });

  it('zero variance: constant glucose is an error; a channel constant in every patient can be dropped', () => {
    const flat = clean().map((r) => ({ ...r, bgMm: 5.5 }));
    expect(run(flat).findings.find((f) => f.check === 'zero_variance')!.severity).toBe('error');
    const steps: RawEvent[] = Array.from({ length: 50 }, (_, i) => ({ ts: T0 + i * 5 * MIN, kind: 'steps', value: 0, durationMin: null, flags: 0 }));
    const a = run(clean(), steps);
    const b = run(clean(), steps);
    const cohort = checkCohort([a, b]);
    expect(cohort).toEqual([expect.objectContaining({ check: 'zero_variance', channel: 'steps', fix: { kind: 'drop_channel', channel: 'steps' } })]);
    const varied = run(clean(), [...steps, { ts: T0 + 60 * 5 * MIN, kind: 'steps', value: 100, durationMin: null, flags: 0 }]);
    expect(checkCohort([a, varied])).toEqual([]);
  });

  it('broken and negative treatment records', () => {
    const grid = buildPatientGrid(1, clean(), []);
    const events = [
      { ts: T0 + 10 * MIN, kind: 'bolus', value: Infinity, flags: 0 },
      { ts: T0 + 20 * MIN, kind: 'carbs', value: -30, flags: 0 },
      { ts: T0 + 30 * MIN, kind: 'carbs', value: 40, flags: 0 },
      { ts: T0 + 40 * MIN, kind: 'note', value: -1, flags: 0 },
    ];
    const f = checkPatient({ patientId: 1, externalId: 'p1' }, clean(), grid, settings, events).findings;
    expect(f.map((x) => [x.check, x.channel, x.count])).toEqual([
      ['non_finite', 'bolus', 1],
      ['out_of_range', 'food_g', 1],
    ]);
    expect(checkPatient({ patientId: 1, externalId: 'p1' }, clean(), grid, settings, events.slice(2)).findings).toEqual([]);
  });

  it('no readings is an error', () => {
    expect(run([]).findings.map((f) => [f.check, f.severity])).toEqual([['no_readings', 'error']]);
  });
});
