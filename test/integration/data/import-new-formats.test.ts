/**
 * Sensor-limit markers in tabular files, and the Medtronic CareLink CSV and
 * Nightscout CSV entries formats, imported into a real SQLite store: one transaction,
 * file + line errors, re-import adds nothing.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { main } from '../../../src-main/cli/main.js';
import { StudioService } from '../../../src-main/engine/api/service.js';
import { MGDL_PER_MMOL } from '../../../src-main/engine/units.js';
import { silentLogger } from '../../../src-main/engine/logger.js';
import { StudioError } from '../../../src-main/engine/errors.js';
import { READING_FLAGS } from '../../../src-main/engine/store/readings.js';
import { tempDir } from '../../helpers/tmp.js';
import { LOCAL, snapshot } from './import-helpers.js';

let tmp: { dir: string; cleanup: () => void };
let service: StudioService;
beforeEach(() => {
  tmp = tempDir();
  service = new StudioService({ dataDir: join(tmp.dir, 'data'), logger: silentLogger });
});
afterEach(() => {
  service.close();
  tmp.cleanup();
  vi.restoreAllMocks();
});

const dbFile = (): string => service.layout.database;

function rows<T>(sql: string, ...args: unknown[]): T[] {
  const db = new Database(dbFile(), { readonly: true });
  try {
    return db.prepare(sql).all(...args) as T[];
  } finally {
    db.close();
  }
}

describe('new formats into a SQLite store', () => {
  it('Medtronic CareLink: detected, imported in one go, re-import adds nothing', async () => {
    const file = join(LOCAL, 'carelink-780g-eu.csv');
    const r = await service.invoke('datasets.import', { paths: [file], dataset: 'pump', create: true, timeZone: 'Europe/Berlin' });
    expect(r.files[0]).toMatchObject({ status: 'imported', format: 'medtronic-carelink', patients: ['carelink-780g-eu'], readings: 5 });
    // 2 boluses, 1 wizard carb entry, 3 scheduled rates (one inside a temp), 2 temps and 2 resumes
    expect(r.files[0]!.events).toBe(2 + 1 + 2 + 2 + 2);
    const imports = rows<{ format: string; readings_count: number }>('SELECT format, readings_count FROM imports');
    expect(imports).toEqual([{ format: 'medtronic-carelink', readings_count: 5 }]);
    const cgm = rows<{ ts: number; bg_mM: number; utc_offset_min: number; source_row: number }>(
      "SELECT ts, bg_mM, utc_offset_min, source_row FROM readings WHERE kind = 'cgm' ORDER BY ts",
    );
    expect(cgm[0]).toMatchObject({ ts: Date.UTC(2024, 2, 1, 7, 0), utc_offset_min: 60, source_row: 24 });
    expect(cgm[0]!.bg_mM * MGDL_PER_MMOL).toBeCloseTo(120, 8);

    const before = snapshot(dbFile());
    const again = await service.invoke('datasets.import', { paths: [file], dataset: 'pump', timeZone: 'Europe/Berlin' });
    expect(again.files[0]!.status).toBe('already imported');
    expect(snapshot(dbFile())).toEqual(before);
  });

  it('Nightscout CSV entries: detected, imported, re-import adds nothing; the patient matches the JSON export', async () => {
    const file = join(LOCAL, 'nightscout_entries.csv');
    const r = await service.invoke('datasets.import', { paths: [file], dataset: 'ns', create: true });
    expect(r.files[0]).toMatchObject({ status: 'imported', format: 'nightscout-csv', patients: ['nightscout'], readings: 5 });
    expect(r.files[0]!.warnings).toEqual([expect.objectContaining({ code: 'entry_without_sgv', count: 1, firstLine: 4 })]);
    const before = snapshot(dbFile());
    const again = await service.invoke('datasets.import', { paths: [file], dataset: 'ns' });
    expect(again.files[0]!.status).toBe('already imported');
    expect(snapshot(dbFile())).toEqual(before);
  });

  it('a bad row in either new format writes nothing and names the file and line', async () => {
    await service.invoke('datasets.import', { paths: [join(LOCAL, 'nightscout_entries.csv')], dataset: 'keep', create: true });
    const before = snapshot(dbFile());
    const dir = join(tmp.dir, 'bad');
    mkdirSync(dir);
    copyFileSync(join(LOCAL, 'carelink-780g-eu.csv'), join(dir, 'a-carelink.csv'));
    const ns = readFileSync(join(LOCAL, 'nightscout_entries.csv'), 'utf8').replace(',126,', ',oops,');
    writeFileSync(join(dir, 'b_entries.csv'), ns);
    for (const dataset of ['keep', 'fresh']) {
      const err = await service.invoke('datasets.import', { paths: [dir], dataset, create: true, timeZone: 'UTC' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StudioError);
      expect((err as StudioError).message).toMatch(/^b_entries\.csv, line 3: glucose \(sgv\) "oops" is neither a number nor a sensor-limit marker/);
      expect(snapshot(dbFile())).toEqual(before);
    }
  });

  it('a Glucose-ML file with Low/High cells imports (it failed with exit 6 before), censored values flagged and explained', async () => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
      out += String(c);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    service.close();
    const code = await main([
      '--data-dir',
      join(tmp.dir, 'data'),
      'import',
      join(LOCAL, 'glucose-ml-markers.csv'),
      '--dataset',
      'ml',
      '--create',
      '--tz',
      'UTC',
      '--json',
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(out) as { readings: number; files: { warnings: { code: string; message: string; count: number }[] }[] };
    expect(report.readings).toBe(10);
    const warnings = report.files[0]!.warnings;
    expect(warnings.map((w) => [w.code, w.count])).toEqual(
      expect.arrayContaining([
        ['clamped_low', 3],
        ['sensor_floor', 1],
        ['clamped_high', 2],
        ['beyond_sensor_range', 1],
        ['glucose_out_of_range', 1],
      ]),
    );
    expect(warnings.find((w) => w.code === 'beyond_sensor_range')!.message).toContain('beyond the typical sensor range');
    for (const w of warnings) expect(w.message).not.toMatch(/flags\s*&/);
    service = new StudioService({ dataDir: join(tmp.dir, 'data'), logger: silentLogger });
    const flags = rows<{ flags: number; n: number }>('SELECT flags, COUNT(*) AS n FROM readings GROUP BY flags ORDER BY flags');
    expect(flags).toEqual([
      { flags: 0, n: 3 },
      { flags: READING_FLAGS.clampedLow, n: 4 },
      { flags: READING_FLAGS.clampedHigh, n: 2 },
      { flags: READING_FLAGS.outOfRange, n: 1 },
    ]);
    // the quality check offers to remove the 1.8 mg/dL status code, never the censored lows
    const q = await service.invoke('quality.check', { dataset: 'ml', settings: { contextLength: 2, forecastLength: 1 } });
    const codes = q.findings.find((f) => f.check === 'error_codes')!;
    expect(codes.count).toBe(1);
    expect(codes.fix).toMatchObject({ kind: 'remove_readings', timestamps: [Date.UTC(2024, 2, 1, 8, 45)] });
  });
});
