/**
 * Sensor-limit markers (`Low`, `High`, `LO`, `HI`, `<40`, `>400`…) read by one shared
 * parser in every tabular importer: censored values at the device limits, flagged.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CGM_LIMITS, LIBRE_LIMITS, parseSensorMarker, readGlucoseCell, type GlucoseCell } from '../../../../src-main/engine/data/importers/glucose-cell.js';
import { GenericMappingSchema } from '../../../../src-main/engine/data/importers/mapping.js';
import { checkGlucose } from '../../../../src-main/engine/data/importers/types.js';
import { READING_FLAGS } from '../../../../src-main/engine/store/readings.js';
import { StudioError } from '../../../../src-main/engine/errors.js';
import { LOCAL, MGDL, ofChannel, readAll, warningCodes } from './helpers.js';

const { clampedLow: LOW, clampedHigh: HIGH, outOfRange: ABSURD } = READING_FLAGS;

/** Any mix of upper and lower case of `word`. */
const anyCase = (word: string): fc.Arbitrary<string> =>
  fc
    .array(fc.boolean(), { minLength: word.length, maxLength: word.length })
    .map((up) => [...word].map((c, i) => (up[i] ? c.toUpperCase() : c.toLowerCase())).join(''));
const space = fc.constantFrom('', ' ', '  ', '\t');
const unitText = fc.constantFrom('', 'mg/dL', 'mg/dl', 'MG/DL', 'mmol/L', 'mmol/l', 'MMOL/L', 'mg / dL', '(mg/dL)');

describe('parseSensorMarker (property)', () => {
  it('reads Low/LO and High/HI in any case, with any surrounding whitespace and an optional unit', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('low', 'lo', 'high', 'hi').chain((w) => anyCase(w).map((cased) => [w, cased] as const)),
        space,
        space,
        space,
        unitText,
        ([word, cased], a, b, c, unit) => {
          const text = `${a}${cased}${unit.length > 0 ? b + unit : ''}${c}`;
          const m = parseSensorMarker(text);
          expect(m, text).not.toBeNull();
          expect(m!.side).toBe(word.startsWith('l') ? 'low' : 'high');
          expect(m!.limit).toBeNull();
          if (unit.length > 0) expect(m!.unit).toBe(unit.toLowerCase().includes('mg') ? 'mg/dL' : 'mmol/L');
        },
      ),
    );
  });

  it('reads <N and >N with the limit, its unit written or inferred from its size', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('<', '>'),
        fc.oneof(
          fc.integer({ min: 36, max: 600 }),
          fc.integer({ min: 10, max: 333 }).map((x) => x / 10),
        ),
        space,
        space,
        unitText,
        fc.boolean(),
        (sign, limit, a, b, unit, comma) => {
          const num = comma ? String(limit).replace('.', ',') : String(limit);
          const text = `${a}${sign}${b}${num}${unit.length > 0 ? ' ' + unit : ''}${a}`;
          const m = parseSensorMarker(text);
          expect(m, text).not.toBeNull();
          expect(m!.side).toBe(sign === '<' ? 'low' : 'high');
          expect(m!.limit).toBeCloseTo(limit, 10);
          const expected = unit.length > 0 ? (unit.toLowerCase().includes('mg') ? 'mg/dL' : 'mmol/L') : limit <= 33.3 ? 'mmol/L' : 'mg/dL';
          expect(m!.unit).toBe(expected);
        },
      ),
    );
  });

  it('never takes a number, a blank or other text for a marker', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
          fc.constantFrom('', ' ', 'NaN', 'Lower', 'Hip', 'lol', '<', '>', 'mg/dL', 'error', '<<40'),
        ),
        (text) => {
          expect(parseSensorMarker(text)).toBeNull();
        },
      ),
    );
  });

  it('readGlucoseCell clamps markers to the device limits and flags them; numbers pass unflagged', () => {
    const out: GlucoseCell = { value: 0, unit: 'mg/dL', flags: 0 };
    fc.assert(
      fc.property(anyCase('high'), fc.constantFrom<'mg/dL' | 'mmol/L'>('mg/dL', 'mmol/L'), (text, unit) => {
        expect(readGlucoseCell(text, unit, CGM_LIMITS, out)).toBe(true);
        expect(out).toEqual({ value: 400, unit: 'mg/dL', flags: HIGH });
        expect(readGlucoseCell(text, unit, LIBRE_LIMITS, out)).toBe(true);
        expect(out.value).toBe(500);
      }),
    );
    expect(readGlucoseCell('<2,2 mmol/L', 'mg/dL', CGM_LIMITS, out)).toBe(true);
    expect(out).toEqual({ value: 2.2, unit: 'mmol/L', flags: LOW });
    expect(readGlucoseCell('5,6', 'mmol/L', CGM_LIMITS, out)).toBe(true);
    expect(out).toEqual({ value: 5.6, unit: 'mmol/L', flags: 0 });
    expect(readGlucoseCell('n/a', 'mg/dL', CGM_LIMITS, out)).toBe(false);
  });
});

describe('checkGlucose: every flag explained in words', () => {
  const log = (): { warn: (code: string, message: string) => void; seen: Map<string, string> } => {
    const seen = new Map<string, string>();
    return { seen, warn: (code, message) => seen.set(code, message) };
  };

  it('keeps readings beyond 40–400 mg/dL and reports them as beyond the typical sensor range', () => {
    const s = log();
    expect(checkGlucose(s, 450, 'mg/dL', 0, 3)).toBe(0);
    expect(checkGlucose(s, 30, 'mg/dL', 0, 4)).toBe(0);
    expect(checkGlucose(s, 400, 'mg/dL', 0, 5)).toBe(0);
    expect(checkGlucose(s, 22.2, 'mmol/L', 0, 5)).toBe(0);
    expect([...s.seen.keys()]).toEqual(['beyond_sensor_range']);
    expect(s.seen.get('beyond_sensor_range')).toMatch(/beyond the typical sensor range.*kept/);
  });

  it("flags a Libre's floor (39.6 mg/dL, 2.2 mmol/L) censored low, not implausible", () => {
    for (const [v, u] of [
      [39.6, 'mg/dL'],
      [2.2, 'mmol/L'],
    ] as const) {
      const s = log();
      expect(checkGlucose(s, v, u, 0, 2)).toBe(LOW);
      expect([...s.seen.keys()]).toEqual(['sensor_floor']);
      expect(s.seen.get('sensor_floor')).toMatch(/censored low.*not error codes/);
    }
  });

  it('explains flags in words, never as bit arithmetic', () => {
    const s = log();
    checkGlucose(s, 1.8, 'mg/dL', 0, 1);
    checkGlucose(s, 40, 'mg/dL', LOW, 1);
    checkGlucose(s, 400, 'mg/dL', HIGH, 1);
    expect([...s.seen.keys()].sort()).toEqual(['clamped_high', 'clamped_low', 'glucose_out_of_range']);
    for (const m of s.seen.values()) expect(m).not.toMatch(/flags\s*&/);
    expect(s.seen.get('clamped_low')).toMatch(/censored low/);
    expect(s.seen.get('glucose_out_of_range')).toMatch(/kept, marked implausible/);
  });
});

describe('markers in every tabular importer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ttm-markers-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('Glucose-ML: Low/High/<40/>400 mg/dL clamped and flagged, the floor censored, genuine highs kept', async () => {
    const r = await readAll(join(LOCAL, 'glucose-ml-markers.csv'), { timeZone: 'UTC' });
    expect(r.decision.format).toBe('glucose-ml');
    const bg = ofChannel(r.rows, 'bg_mM');
    expect(bg.map((x) => [Math.round(x.value * MGDL * 10) / 10, x.flags, x.sourceRow])).toEqual([
      [72, 0, 2],
      [40, LOW, 3],
      [40, LOW, 4],
      [40, LOW, 5],
      [39.6, LOW, 6],
      [250, 0, 7],
      [400, HIGH, 8],
      [400, HIGH, 9],
      [450, 0, 10],
      [1.8, ABSURD, 11],
    ]);
    expect(warningCodes(r)).toEqual({ clamped_low: 3, sensor_floor: 1, clamped_high: 2, beyond_sensor_range: 1, glucose_out_of_range: 1 });
    expect(r.warnings.map((w) => w.message).join(' ')).not.toMatch(/flags\s*&/);
  });

  it('GluPredKit: markers in the CGM column', async () => {
    const p = write(
      'gpk.csv',
      'date,id,CGM,insulin,carbs,basal,bolus\n2024-03-01 08:00:00,7,LOW,0,0,0.1,0\n2024-03-01 08:05:00,7,High,0,0,0.1,0\n2024-03-01 08:10:00,7,101,0,0,0.1,0\n',
    );
    const r = await readAll(p, { timeZone: 'UTC' });
    expect(r.decision.format).toBe('glupredkit');
    expect(ofChannel(r.rows, 'bg_mM').map((x) => [Math.round(x.value * MGDL), x.flags])).toEqual([
      [40, LOW],
      [400, HIGH],
      [101, 0],
    ]);
  });

  it('the combined CSV layout: markers in bg_mM, <2.2 mmol/L kept in its unit', async () => {
    const p = write('seed.csv', 'datetime,bg_mM,p_num\n2024-03-01 08:00:00,<2.2,p1\n2024-03-01 08:05:00,hi,p1\n2024-03-01 08:10:00,5.5,p1\n');
    const r = await readAll(p, { timeZone: 'UTC' });
    expect(r.decision.format).toBe('seed-csv');
    const bg = ofChannel(r.rows, 'bg_mM');
    expect(bg.map((x) => x.flags)).toEqual([LOW, HIGH, 0]);
    expect(bg[0]!.value).toBeCloseTo(2.2, 10);
    expect(bg[1]!.value).toBeCloseTo(400 / MGDL, 10);
    expect(bg[2]!.value).toBe(5.5);
  });

  it('generic CSV: markers with a unit and a decimal comma', async () => {
    const p = write('generic.csv', 'Zeit;BZ\n01.03.2024 08:00;LO mmol/L\n01.03.2024 08:05;>22,2 mmol/L\n01.03.2024 08:10;6,1\n');
    const mapping = GenericMappingSchema.parse({
      delimiter: ';',
      timestamp: { column: 'Zeit', format: 'dmy' },
      timeZone: 'UTC',
      glucose: { column: 'BZ', unit: 'mmol/L' },
    });
    const r = await readAll(p, { mapping });
    const bg = ofChannel(r.rows, 'bg_mM');
    expect(bg.map((x) => x.flags)).toEqual([LOW, HIGH, 0]);
    expect(bg[0]!.value).toBeCloseTo(40 / MGDL, 10);
    expect(bg[1]!.value).toBeCloseTo(22.2, 10);
    expect(bg[2]!.value).toBeCloseTo(6.1, 10);
  });

  it('an unknown glucose cell fails with the file, the line and the accepted markers', async () => {
    const p = write('bad.csv', 'timestamp,glucose_value_mg_dl\n2024-03-01 08:00:00,101\n2024-03-01 08:05:00,ERR\n');
    const err = await readAll(p, { timeZone: 'UTC' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StudioError);
    const msg = (err as StudioError).message;
    expect(msg).toContain('bad.csv, line 3');
    expect(msg).toContain('"ERR"');
    expect(msg).toMatch(/Low, High, LO, HI, <40, >400/);
  });

  it('Clarity and LibreView read the same markers through the shared parser', async () => {
    const clarity = write(
      'clarity.csv',
      'Index,Timestamp (YYYY-MM-DDThh:mm:ss),Event Type,Event Subtype,Patient Info,Device Info,Source Device ID,Glucose Value (mg/dL),Insulin Value (u),Carb Value (grams),Duration (hh:mm:ss),Glucose Rate of Change (mg/dL/min),Transmitter Time (Long Integer),Transmitter ID\n' +
        '1,2024-03-01T08:00:00,EGV,,,,,low,,,,,1,X\n2,2024-03-01T08:05:00,EGV,,,,,<40,,,,,2,X\n3,2024-03-01T08:10:00,EGV,,,,,HIGH,,,,,3,X\n',
    );
    const rc = await readAll(clarity, { timeZone: 'UTC' });
    expect(rc.decision.format).toBe('dexcom-clarity');
    expect(ofChannel(rc.rows, 'bg_mM').map((x) => [Math.round(x.value * MGDL), x.flags])).toEqual([
      [40, LOW],
      [40, LOW],
      [400, HIGH],
    ]);
    const libre = write(
      'libre.csv',
      'Glucose Data,Generated on,03-02-2024 10:00 AM,Generated by,Test\nDevice,Serial Number,Device Timestamp,Record Type,Historic Glucose mg/dL,Scan Glucose mg/dL\n' +
        'FreeStyle LibreLink,X,03-01-2024 08:00 AM,0,Lo,\nFreeStyle LibreLink,X,03-01-2024 08:15 AM,0,hi,\nFreeStyle LibreLink,X,03-01-2024 08:30 AM,0,39.6,\n',
    );
    const rl = await readAll(libre, { timeZone: 'UTC' });
    expect(rl.decision.format).toBe('libreview');
    expect(ofChannel(rl.rows, 'bg_mM').map((x) => [Math.round(x.value * MGDL * 10) / 10, x.flags])).toEqual([
      [40, LOW],
      [500, HIGH],
      [39.6, LOW],
    ]);
  });
});
