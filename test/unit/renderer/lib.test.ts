import { describe, expect, it } from 'vitest';
import { parseHash } from '../../../src-renderer/lib/route.js';
import { formatBytes, formatDuration, formatLocal, newOperationId, offsetName, zoneName, zoneOffsetMin } from '../../../src-renderer/lib/format.js';
import { formatGlucose, formatGlucoseWithUnit, rangeIndex, rangeLabel, toMmol, fromMmol, MGDL_PER_MMOL } from '../../../src-renderer/lib/units.js';
import { sortRows, toggleSort } from '../../../src-renderer/lib/sort.js';
import { guessColumns, guessDelimiter, parseCsvHead, splitCsvLine } from '../../../src-renderer/lib/csv-header.js';
import { appliedFixText, checkTitle, describeFix } from '../../../src-renderer/lib/fixes.js';
import { OperationId } from '../../../src-main/engine/api/contract.js';

describe('units', () => {
  it('converts and formats in the display unit', () => {
    expect(formatGlucose(10, 'mg/dL')).toBe('180');
    expect(formatGlucose(10, 'mmol/L')).toBe('10.0');
    expect(formatGlucoseWithUnit(3.9, 'mg/dL')).toBe('70 mg/dL');
    expect(formatGlucose(null, 'mg/dL')).toBe('—');
    expect(formatGlucose(Number.NaN, 'mmol/L')).toBe('—');
    expect(toMmol(fromMmol(5.5, 'mg/dL'), 'mg/dL')).toBeCloseTo(5.5, 12);
  });

  it('bands values like meters (rounded mg/dL), edges as in the consensus', () => {
    const band = (mg: number): number => rangeIndex(mg / MGDL_PER_MMOL);
    expect([53, 54, 69, 70, 180, 181, 250, 251].map(band)).toEqual([0, 1, 1, 2, 2, 3, 3, 4]);
    expect(rangeIndex(3.9)).toBe(2);
    expect(rangeIndex(10.0)).toBe(2);
    expect(rangeIndex(10.1)).toBe(3);
    expect(rangeLabel(2, 'mg/dL')).toBe('70–180');
    expect(rangeLabel(2, 'mmol/L')).toBe('3.9–10.0');
    expect(rangeLabel(0, 'mmol/L')).toBe('< 3.0');
    expect(rangeLabel(3, 'mmol/L')).toBe('10.1–13.9');
    expect(rangeLabel(4, 'mg/dL')).toBe('> 250');
  });
});

describe('format', () => {
  it('durations, sizes, offsets', () => {
    expect(formatDuration(4_400)).toBe('4 s');
    expect(formatDuration(125_000)).toBe('2 min 05 s');
    expect(formatDuration(3_900_000)).toBe('1 h 05 min');
    expect(formatDuration(null)).toBe('—');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(36 * 1024)).toBe('36 KiB');
    expect(formatBytes(2.5 * 1024 ** 3)).toBe('2.5 GiB');
    expect(offsetName(60)).toBe('UTC+01:00');
    expect(offsetName(-330)).toBe('UTC−05:30');
    expect(zoneName({ timeZone: 'Europe/Oslo', utcOffsetMin: 60 })).toBe('Europe/Oslo');
    expect(zoneName({ timeZone: null, utcOffsetMin: null })).toBe('UTC');
  });

  it('shows times in the patient zone, DST included', () => {
    expect(zoneOffsetMin('Europe/Oslo', Date.UTC(2024, 0, 15))).toBe(60);
    expect(zoneOffsetMin('Europe/Oslo', Date.UTC(2024, 6, 15))).toBe(120);
    expect(formatLocal(Date.UTC(2024, 6, 15, 10, 5), { timeZone: 'Europe/Oslo', utcOffsetMin: null })).toBe('2024-07-15 12:05');
    expect(formatLocal(Date.UTC(2024, 6, 15, 10, 5), { timeZone: null, utcOffsetMin: -300 })).toBe('2024-07-15 05:05');
  });

  it('operation ids satisfy the contract', () => {
    for (let i = 0; i < 20; i++) expect(OperationId.safeParse(newOperationId('import')).success).toBe(true);
  });
});

describe('routes', () => {
  it('parses pages and parameters from the hash', () => {
    expect(parseHash('#/quality?dataset=3&patient=12')).toEqual({ page: 'quality', params: { dataset: '3', patient: '12' } });
    expect(parseHash('#/settings')).toEqual({ page: 'settings', params: {} });
    expect(parseHash('')).toEqual({ page: 'data', params: {} });
    expect(parseHash('#/nope?x=1').page).toBe('data');
  });
});

describe('sorting', () => {
  it('toggles, sorts naturally and keeps nulls last', () => {
    const rows = [
      { n: 'p10', v: 2 },
      { n: 'p2', v: null },
      { n: 'p1', v: 5 },
    ];
    const get = (r: { n: string; v: number | null }, k: string): string | number | null => (k === 'n' ? r.n : r.v);
    expect(sortRows(rows, { key: 'n', dir: 1 }, get).map((r) => r.n)).toEqual(['p1', 'p2', 'p10']);
    expect(sortRows(rows, { key: 'v', dir: -1 }, get).map((r) => r.n)).toEqual(['p1', 'p10', 'p2']);
    expect(toggleSort({ key: 'n', dir: 1 }, 'n')).toEqual({ key: 'n', dir: -1 });
    expect(toggleSort({ key: 'n', dir: -1 }, 'v')).toEqual({ key: 'v', dir: 1 });
  });
});

describe('CSV header for the mapping form', () => {
  it('guesses the delimiter, honours quotes and skips lines above the header', () => {
    expect(splitCsvLine('a,"b, c","d ""e"""', ',')).toEqual(['a', 'b, c', 'd "e"']);
    expect(guessDelimiter(['a;b;c', '1;2;3'])).toBe(';');
    expect(guessDelimiter(['a\tb', '1\t2'])).toBe('\t');
    const head = parseCsvHead('\uFEFFexported by X\nTime;Glucose (mmol/L);Bolus;Carbs\n2024-01-01 00:00;5,5;;\n', 2);
    expect(head.delimiter).toBe(';');
    expect(head.columns).toEqual(['Time', 'Glucose (mmol/L)', 'Bolus', 'Carbs']);
    expect(head.sample[0]![0]).toBe('2024-01-01 00:00');
    expect(guessColumns(head.columns)).toMatchObject({ timestamp: 'Time', glucose: 'Glucose (mmol/L)', bolus: 'Bolus', carbs: 'Carbs' });
  });
});

describe('fix descriptions', () => {
  const zone = { timeZone: null, utcOffsetMin: 0 };
  it('say what will change, with thresholds in the display unit', () => {
    const remove = describeFix({ kind: 'remove_readings', patientId: 1, below: 2.2 }, '001', zone, 'mg/dL');
    expect(remove[0]).toBe('Mark glucose readings of patient 001 below 40 mg/dL removed.');
    const removeMmol = describeFix({ kind: 'remove_readings', patientId: 1, below: 2.2 }, '001', zone, 'mmol/L');
    expect(removeMmol[0]).toContain('below 2.2 mmol/L');
    const ts = describeFix({ kind: 'remove_readings', patientId: 1, timestamps: [Date.UTC(2024, 0, 1, 6), Date.UTC(2024, 0, 1, 8)] }, '001', zone, 'mg/dL');
    expect(ts[0]).toBe('Mark 2 glucose readings of patient 001 removed (2024-01-01 06:00 … 2024-01-01 08:00).');
    expect(describeFix({ kind: 'drop_channel', channel: 'food_g' }, null, zone, 'mg/dL')[0]).toContain('food_g');
    expect(describeFix({ kind: 'convert_units', patientId: 1, factor: 1 / 18.018, min: 20, max: 40 }, 'x', zone, 'mmol/L')[0]).toContain(
      'mg/dL values stored as mmol/L',
    );
    expect(describeFix({ kind: 'dedupe_readings', patientId: 1, by: 'timestamp' }, 'x', zone, 'mg/dL')[0]).toContain('first glucose reading at each timestamp');
    expect(describeFix({ kind: 'shift_time', patientId: 1, from: 0, to: 3_600_000, offsetMin: -60 }, 'x', zone, 'mg/dL')[0]).toContain('-60 min');
    expect(checkTitle('error_codes')).toBe('Sensor error codes');
  });
});

describe('what an applied fix did', () => {
  it('names a dropped channel instead of counting records, and says whether the finding is gone', () => {
    expect(appliedFixText([{ fix: { kind: 'drop_channel', channel: 'steps' }, affected: 1 }], false)).toBe(
      "Fix applied: channel steps dropped from this dataset's modelling view. The re-run check no longer reports this finding.",
    );
    expect(appliedFixText([{ fix: { kind: 'drop_channel', channel: 'steps' }, affected: 0 }], false)).toMatch(/channel steps was already dropped/);
    expect(appliedFixText([{ fix: { kind: 'remove_readings', patientId: 1, timestamps: [1, 2] }, affected: 2 }], true)).toBe(
      'Fix applied: 2 readings changed. The re-run check still reports this finding: look at the data before applying it again.',
    );
  });
});
