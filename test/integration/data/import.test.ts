import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StudioService } from '../../../src-main/engine/api/service.js';
import type { ApiEvent } from '../../../src-main/engine/api/contract.js';
import { silentLogger } from '../../../src-main/engine/logger.js';
import { StudioError } from '../../../src-main/engine/errors.js';
import { MGDL_PER_MMOL } from '../../../src-main/engine/units.js';
import { tempDir } from '../../helpers/tmp.js';
import { LOCAL, SHARED, snapshot } from './import-helpers.js';

let tmp: { dir: string; cleanup: () => void };
let service: StudioService;
let events: ApiEvent[];
beforeEach(() => {
  tmp = tempDir();
  service = new StudioService({ dataDir: join(tmp.dir, 'data'), logger: silentLogger });
  events = [];
  service.subscribe((e) => events.push(e));
});
afterEach(() => {
  service.close();
  tmp.cleanup();
});

const dbFile = (): string => service.layout.database;

describe('datasets.import', () => {
  it('imports a folder and several files as one dataset, one patient per file, with progress events', async () => {
    const report = await service.invoke('datasets.import', {
      paths: [join(SHARED, 'd1namo-glucose-ml'), join(SHARED, 'dexcom-clarity-synthetic.csv'), join(SHARED, 'nightscout')],
      dataset: 'cohort',
      create: true,
      timeZone: 'Europe/Oslo',
      operationId: 'import-test-1',
    });
    expect(report.createdDataset).toBe(true);
    expect(report.files.filter((f) => f.status === 'imported')).toHaveLength(13);
    expect(report.files.find((f) => f.file === 'metadata.csv')).toMatchObject({ status: 'skipped', reason: 'format not recognised' });
    expect(report.readings).toBe(1413 + 1056 + 183 + 969 + 909 + 1280 + 988 + 1140 + 117 + 3922 + 576);
    const patients = await service.invoke('datasets.patients', { dataset: 'cohort' });
    expect(patients.map((p) => p.externalId)).toEqual([
      '001',
      '002',
      '003',
      '004',
      '005',
      '006',
      '007',
      '008',
      '009',
      'dexcom-clarity-synthetic',
      'nightscout',
    ]);
    expect(patients.find((p) => p.externalId === '001')).toMatchObject({ readingCount: 1413, utcOffsetMin: 120, timeZone: 'Europe/Oslo' });
    // Nightscout entries carry utcOffset 0: the source's offset wins over --tz
    expect(patients.find((p) => p.externalId === 'nightscout')).toMatchObject({ readingCount: 576, utcOffsetMin: 0 });
    expect(events.some((e) => e.type === 'progress' && e.operationId === 'import-test-1' && e.unit === 'bytes')).toBe(true);
    expect(events).toContainEqual({ type: 'operation.end', operationId: 'import-test-1', status: 'completed' });
    expect(events).toContainEqual({ type: 'data.changed', what: 'datasets' });

    const db = new Database(dbFile(), { readonly: true });
    const imports = db
      .prepare('SELECT file_name, format, readings_count, events_count, length(file_hash) AS h, warnings_json FROM imports ORDER BY id')
      .all() as { file_name: string; format: string; readings_count: number; events_count: number; h: number; warnings_json: string }[];
    expect(imports).toHaveLength(13);
    expect(imports.every((i) => i.h === 64)).toBe(true);
    const clarity = imports.find((i) => i.file_name === 'dexcom-clarity-synthetic.csv')!;
    expect(clarity).toMatchObject({ format: 'dexcom-clarity', readings_count: 3922, events_count: 47 });
    expect(JSON.parse(clarity.warnings_json)).toEqual([expect.objectContaining({ code: 'clamped_low', count: 5 })]);
    // provenance: every reading knows its import and source row
    const orphan = db.prepare('SELECT COUNT(*) AS n FROM readings WHERE import_id IS NULL OR source_row IS NULL').get() as { n: number };
    expect(orphan.n).toBe(0);
    const first = db
      .prepare(
        "SELECT r.ts, r.utc_offset_min, r.bg_mM, r.source_row FROM readings r JOIN imports i ON i.id = r.import_id WHERE i.file_name = '001.csv' ORDER BY r.ts LIMIT 1",
      )
      .get() as { ts: number; utc_offset_min: number; bg_mM: number; source_row: number };
    expect(first).toMatchObject({ ts: Date.UTC(2014, 9, 1, 17, 14), utc_offset_min: 120, source_row: 2 });
    expect(first.bg_mM).toBeCloseTo(185.4 / MGDL_PER_MMOL, 10);
    // Nightscout: basal reconstructed from the profile (00:00Z is 03:00 in Helsinki → 0.8 U/h) and a 45-min absolute temp basal
    const basal = db.prepare("SELECT ts, value, duration_min, meta_json FROM events WHERE kind = 'basal_rate' ORDER BY ts").all() as {
      ts: number;
      value: number;
      duration_min: number;
      meta_json: string;
    }[];
    expect(basal[0]).toMatchObject({ ts: Date.UTC(2024, 9, 26, 0, 0), value: 0.8 });
    expect(basal.find((b) => b.ts === Date.UTC(2024, 9, 26, 15, 0))).toMatchObject({ value: 0.8, duration_min: 45 });
    expect(JSON.parse(basal.find((b) => b.ts === Date.UTC(2024, 9, 26, 15, 0))!.meta_json)).toMatchObject({ source: 'temp' });
    db.close();
  });

  it('re-importing the same files adds nothing and reports "already imported"', async () => {
    const req = { paths: [join(SHARED, 'dexcom-clarity-synthetic.csv'), join(SHARED, 'nightscout')], dataset: 'again', create: true };
    await service.invoke('datasets.import', req);
    const before = snapshot(dbFile());
    const second = await service.invoke('datasets.import', req);
    expect(second.files.map((f) => f.status)).toEqual(['already imported', 'already imported', 'already imported', 'already imported']);
    expect(second.files[0]!.reason).toContain('already imported into "again"');
    expect(second.readings + second.events).toBe(0);
    expect(snapshot(dbFile())).toEqual(before);
    // the same content under another name is recognised by its hash
    const copy = join(tmp.dir, 'renamed.csv');
    copyFileSync(join(SHARED, 'dexcom-clarity-synthetic.csv'), copy);
    const third = await service.invoke('datasets.import', { paths: [copy], dataset: 'again' });
    expect(third.files[0]).toMatchObject({ status: 'already imported' });
    expect(snapshot(dbFile())).toEqual(before);
    // ... but into another dataset it is a new import
    const other = await service.invoke('datasets.import', { paths: [copy], dataset: 'other', create: true });
    expect(other.readings).toBe(3922);
  });

  it('a file listed twice in one request is imported once', async () => {
    const copy = join(tmp.dir, 'copy.xml');
    copyFileSync(join(LOCAL, 'ohio-559.xml'), copy);
    const r = await service.invoke('datasets.import', { paths: [join(LOCAL, 'ohio-559.xml'), copy], dataset: 'ohio', create: true });
    expect(r.files.map((f) => f.status)).toEqual(['imported', 'duplicate']);
    expect(r.readings).toBe(4);
  });

  it('on an error in any file writes nothing and names the file, line and problem', async () => {
    await service.invoke('datasets.import', { paths: [join(LOCAL, 'ohio-559.xml')], dataset: 'existing', create: true });
    const before = snapshot(dbFile());
    const dir = join(tmp.dir, 'mixed');
    mkdirSync(dir);
    copyFileSync(join(SHARED, 'dexcom-clarity-synthetic.csv'), join(dir, 'a-good.csv'));
    writeFileSync(join(dir, 'b-bad.csv'), 'timestamp,glucose_value_mg_dl\n2024-01-01 00:00:00,100\n2024-01-01 00:05:00,101\n2024-01-01 00:10:00,banana\n');
    for (const dataset of ['existing', 'brand-new']) {
      const err = await service.invoke('datasets.import', { paths: [dir], dataset, create: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StudioError);
      expect((err as StudioError).code).toBe('PARSE');
      expect((err as StudioError).message).toMatch(
        /^b-bad\.csv, line 4: glucose \(glucose_value_mg_dl\) "banana" is neither a number nor a sensor-limit marker \(accepted markers: Low, High, LO, HI, <40, >400/,
      );
      expect(snapshot(dbFile())).toEqual(before);
    }
    expect((await service.invoke('datasets.list', {})).map((d) => d.name)).toEqual(['existing']);
  });

  it('refuses an unknown dataset without --create, an unrecognised file, and an unknown zone', async () => {
    await expect(service.invoke('datasets.import', { paths: [join(LOCAL, 'ohio-559.xml')], dataset: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(service.invoke('datasets.import', { paths: [join(SHARED, 'NOTICE.md')], dataset: 'x', create: true })).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringContaining('NOTICE.md'),
    });
    await expect(
      service.invoke('datasets.import', { paths: [join(LOCAL, 'ohio-559.xml')], dataset: 'x', create: true, timeZone: 'Europe/Atlantis' }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(service.invoke('datasets.import', { paths: [join(tmp.dir, 'missing.csv')], dataset: 'x', create: true })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const empty = join(tmp.dir, 'nothing-useful');
    mkdirSync(empty);
    copyFileSync(join(SHARED, 'NOTICE.md'), join(empty, 'README.md'));
    await expect(service.invoke('datasets.import', { paths: [empty], dataset: 'x', create: true })).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringContaining('README.md'),
    });
    expect(await service.invoke('datasets.list', {})).toEqual([]);
  });

  it('a forced format applies to content it cannot read as a clear error', async () => {
    const err = await service
      .invoke('datasets.import', { paths: [join(LOCAL, 'tidepool.json')], dataset: 'forced', create: true, format: 'dexcom-clarity' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PARSE', message: expect.stringMatching(/^tidepool\.json, line 5: no Clarity header/) });
  });

  it('imports a generic CSV with a mapping through the API', async () => {
    const mapping = (await import(join(LOCAL, 'generic-mapping.json'), { with: { type: 'json' } })) as { default: Record<string, unknown> };
    const r = await service.invoke('datasets.import', {
      paths: [join(LOCAL, 'generic-semicolon.csv')],
      dataset: 'generic',
      create: true,
      mapping: mapping.default as never,
    });
    expect(r.files[0]).toMatchObject({ format: 'generic-csv', patients: ['P1', 'P2'], readings: 4 });
  });

  it('cancelling an import rolls it back', async () => {
    const { writeClarityCsv } = await import('../../../bench/sections/data-import.js');
    const big = join(tmp.dir, 'big.csv');
    await writeClarityCsv(big, 300_000);
    const before = snapshot(dbFile());
    service.subscribe((e) => {
      if (e.type === 'progress' && e.operationId === 'cancel-me-1' && e.done > 1_000_000)
        void service.invoke('operations.cancel', { operationId: 'cancel-me-1' });
    });
    const err = await service.invoke('datasets.import', { paths: [big], dataset: 'big', create: true, operationId: 'cancel-me-1' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CANCELLED' });
    expect(events).toContainEqual(expect.objectContaining({ type: 'operation.end', operationId: 'cancel-me-1', status: 'cancelled' }));
    expect(snapshot(dbFile())).toEqual(before);
  });
});

describe('datasets.detect and datasets.preview', () => {
  it('report the detected format with reasons and the first rows in canonical columns', async () => {
    const d = await service.invoke('datasets.detect', { paths: [join(LOCAL, 'libreview-us.csv'), join(SHARED, 'NOTICE.md')] });
    expect(d[0]).toMatchObject({ file: 'libreview-us.csv', format: 'libreview', forced: false });
    expect(d[0]!.reasons.join(' ')).toContain('MM-DD-YYYY');
    expect(d[1]).toMatchObject({ format: null, confidence: 0 });
    const p = await service.invoke('datasets.preview', { path: join(LOCAL, 'clarity-12col-mmol.csv'), rows: 3, timeZone: 'Europe/Oslo' });
    expect(p.format).toBe('dexcom-clarity');
    expect(p.rows).toHaveLength(3);
    expect(p.rows[0]).toMatchObject({
      datetime: '2023-06-01T06:00:00.000Z',
      utcOffsetMin: 120,
      p_num: 'clarity-12col-mmol',
      channel: 'bg_mM',
      unit: 'mmol/L',
      sourceRow: 6,
    });
    expect(snapshot(dbFile())).toMatchObject({ datasets: '0/0/0', readings: '0/0/0' });
  });

  it('validate payloads with zod', async () => {
    await expect(service.call('datasets.import', { paths: [], dataset: 'x' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(service.call('datasets.preview', { path: 'x', rows: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(service.call('datasets.import', { paths: ['a'], dataset: 'x', format: 'excel' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('the import database thread', () => {
  it('reports a write failure at the next sync and rolls everything back', async () => {
    const { DbWorkerClient } = await import('../../../src-main/engine/store/import-db-worker.js');
    await service.invoke('datasets.import', { paths: [join(LOCAL, 'ohio-559.xml')], dataset: 'kept', create: true });
    const before = snapshot(dbFile());
    const client = new DbWorkerClient(dbFile());
    try {
      const begun = await client.begin('fresh', true, []);
      expect(begun).toMatchObject({ created: true, datasetName: 'fresh' });
      client.addImport(0, 'x.csv', 'f'.repeat(64), 10, 'glucose-ml');
      const p = client.patientKey('p1', null);
      client.reading(p, 0, Date.UTC(2024, 0, 1), 0, 'cgm', 5.5, 0, 2);
      // patient key 99 was never announced: patient_id is NULL, which the schema refuses
      client.reading(99, 0, Date.UTC(2024, 0, 1, 0, 5), 0, 'cgm', 5.6, 0, 3);
      await expect(client.sync()).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('NOT NULL') });
      await client.rollback();
    } finally {
      await client.close();
    }
    expect(snapshot(dbFile())).toEqual(before);
  });

  it('refuses to start while another connection holds the write lock', async () => {
    const other = new Database(dbFile());
    other.pragma('busy_timeout = 0');
    other.exec('BEGIN IMMEDIATE');
    try {
      const err = await service.invoke('datasets.import', { paths: [join(LOCAL, 'ohio-559.xml')], dataset: 'locked', create: true }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('Another import') });
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(await service.invoke('datasets.list', {})).toEqual([]);
  });

  it('writes interleaved patients and reading kinds exactly (mixed insert chunks)', async () => {
    const lines = ['Device,Serial Number,Device Timestamp,Record Type,Historic Glucose mg/dL,Scan Glucose mg/dL,Strip Glucose mg/dL'];
    const expected: [number, string, number][] = [];
    for (let i = 0; i < 1000; i++) {
      const type = i % 3; // historic, scan, strip in turn
      const mgdl = 80 + (i % 97);
      const t = Date.UTC(2024, 0, 13) + i * 60_000;
      const d = new Date(t);
      const ts = `${String(d.getUTCDate()).padStart(2, '0')}-01-2024 ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
      lines.push(`Libre,S,${ts},${type},${type === 0 ? mgdl : ''},${type === 1 ? mgdl : ''},${type === 2 ? mgdl : ''}`);
      expected.push([t, ['cgm', 'scan', 'smbg'][type]!, mgdl]);
    }
    const path = join(tmp.dir, 'mixed-kinds.csv');
    writeFileSync(path, 'Glucose Data,Generated on,13-01-2024 10:00\n' + lines.join('\n') + '\n');
    const r = await service.invoke('datasets.import', { paths: [path], dataset: 'mixed', create: true, timeZone: 'UTC' });
    expect(r.readings).toBe(1000);
    const db = new Database(dbFile(), { readonly: true });
    const rows = db.prepare('SELECT ts, kind, bg_mM, source_row FROM readings ORDER BY source_row').all() as {
      ts: number;
      kind: string;
      bg_mM: number;
      source_row: number;
    }[];
    db.close();
    expect(rows.map((x) => [x.ts, x.kind, Math.round(x.bg_mM * MGDL_PER_MMOL)])).toEqual(expected);
    expect(rows.map((x) => x.source_row)).toEqual(expected.map((_, i) => i + 3));
  });
});
