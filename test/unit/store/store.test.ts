import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, Store, openDatabase, readSchemaVersion } from '../../../src-main/engine/store/index.js';
import { StudioError } from '../../../src-main/engine/errors.js';
import { tempDir } from '../../helpers/tmp.js';

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

describe('store', () => {
  it('creates every table of the design with WAL and foreign keys on', () => {
    const store = Store.open(join(tmp.dir, 'a.sqlite'));
    const tables = (store.db.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    for (const t of [
      'datasets',
      'patients',
      'readings',
      'events',
      'imports',
      'grids',
      'quality_reports',
      'splits',
      'models',
      'runs',
      'run_metrics',
      'checkpoints',
      'forecasts',
      'evaluations',
      'schema_version',
    ]) {
      expect(tables).toContain(t);
    }
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(readSchemaVersion(store.db)).toBe(LATEST_SCHEMA_VERSION);
    store.close();
  });

  it('applies only pending migrations when reopened', () => {
    const file = join(tmp.dir, 'b.sqlite');
    Store.open(file).close();
    const extra = [...MIGRATIONS, { version: LATEST_SCHEMA_VERSION + 1, name: 'test column', sql: 'ALTER TABLE datasets ADD COLUMN extra TEXT' }];
    const db = openDatabase(file, { migrations: extra });
    expect(readSchemaVersion(db)).toBe(LATEST_SCHEMA_VERSION + 1);
    expect((db.prepare('SELECT COUNT(*) AS n FROM schema_version').get() as { n: number }).n).toBe(extra.length);
    db.close();
  });

  it('refuses a database written by a newer schema and leaves it untouched', () => {
    const file = join(tmp.dir, 'newer.sqlite');
    const newer = [...MIGRATIONS, { version: LATEST_SCHEMA_VERSION + 5, name: 'future', sql: 'CREATE TABLE future_things (id INTEGER PRIMARY KEY)' }];
    openDatabase(file, { migrations: newer }).close();
    let caught: unknown;
    try {
      Store.open(file);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(StudioError);
    expect((caught as StudioError).code).toBe('SCHEMA_TOO_NEW');
    expect((caught as StudioError).message).toMatch(new RegExp(`newer TTM Studio.*version ${LATEST_SCHEMA_VERSION + 5}.*up to ${LATEST_SCHEMA_VERSION}`, 's'));
    const db = openDatabase(file, { migrations: newer });
    expect(readSchemaVersion(db)).toBe(LATEST_SCHEMA_VERSION + 5);
    db.close();
  });

  it('migrates a version-1 store to runs of kind external without losing the rows that reference runs', () => {
    const file = join(tmp.dir, 'v1.sqlite');
    const v1 = openDatabase(file, { migrations: MIGRATIONS.slice(0, 1) });
    v1.prepare("INSERT INTO runs (id, kind, status, config_json, created_at) VALUES (7, 'train', 'completed', '{}', '2026-01-01T00:00:00Z')").run();
    v1.prepare("INSERT INTO run_metrics (run_id, step, epoch, name, value, ts) VALUES (7, 1, 0.5, 'train/loss', 0.25, 1)").run();
    v1.prepare("INSERT INTO checkpoints (run_id, step, epoch, path, is_best, metrics_json, created_at) VALUES (7, 1, 0.5, '/x', 1, '{}', 'now')").run();
    expect(() => v1.prepare("INSERT INTO runs (kind, status, config_json, created_at) VALUES ('external', 'completed', '{}', 'now')").run()).toThrow(/CHECK/);
    v1.close();
    const store = Store.open(file);
    expect(readSchemaVersion(store.db)).toBe(LATEST_SCHEMA_VERSION);
    expect(store.runs.get(7).kind).toBe('train');
    expect(store.runs.metrics(7)).toHaveLength(1);
    expect(store.checkpoints.list(7)).toMatchObject([{ step: 1, best: true, path: '/x' }]);
    const ext = store.runs.create({ kind: 'external' });
    expect(store.runs.get(ext.id).kind).toBe('external');
    // Foreign keys are back on after the rebuild: deleting the run still cascades.
    store.db.prepare('DELETE FROM runs WHERE id = 7').run();
    expect(store.runs.metrics(7)).toHaveLength(0);
    expect(store.checkpoints.list(7)).toHaveLength(0);
    store.close();
  });

  it('cascades a dataset delete to patients and readings, and keeps names unique', () => {
    const store = Store.open(join(tmp.dir, 'c.sqlite'));
    const d = store.datasets.create({ name: 'cohort A' });
    const p = store.patients.ensure(d.id, 'p1');
    store.transaction(() =>
      store.readings.insertMany(
        Array.from({ length: 10 }, (_, i) => ({
          patientId: p.id,
          importId: null,
          ts: i * 300_000,
          utcOffsetMin: 0,
          kind: 'cgm' as const,
          bgMm: 6 + i / 10,
          flags: 0,
          sourceRow: i + 1,
        })),
      ),
    );
    const summary = store.datasets.list();
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatchObject({ name: 'cohort A', patientCount: 1, readingCount: 10, firstTs: 0, lastTs: 9 * 300_000 });
    const patients = store.datasets.patients(d.id);
    expect(patients[0]).toMatchObject({ externalId: 'p1', readingCount: 10, wearPercent: 100 });
    expect(() => store.datasets.create({ name: 'cohort A' })).toThrow(/already exists/);
    expect(() => store.datasets.create({ name: '../etc' })).toThrow(/not a valid dataset name/);
    store.datasets.delete(d.id);
    expect((store.db.prepare('SELECT COUNT(*) AS n FROM readings').get() as { n: number }).n).toBe(0);
    expect((store.db.prepare('SELECT COUNT(*) AS n FROM patients').get() as { n: number }).n).toBe(0);
    store.close();
  });

  it('rolls back a transaction that throws: none of its rows land', () => {
    const store = Store.open(join(tmp.dir, 'd.sqlite'));
    const d = store.datasets.create({ name: 'x' });
    const p = store.patients.ensure(d.id, 'p');
    expect(() =>
      store.transaction(() => {
        store.readings.insertMany([{ patientId: p.id, importId: null, ts: 1, utcOffsetMin: null, kind: 'cgm', bgMm: 5, flags: 0, sourceRow: 1 }]);
        throw new Error('parse error on line 2');
      }),
    ).toThrow('line 2');
    expect(store.readings.countForDataset(d.id)).toBe(0);
    store.close();
  });

  it('records run metrics and marks orphaned running runs interrupted', () => {
    const store = Store.open(join(tmp.dir, 'e.sqlite'));
    const run = store.runs.create({ kind: 'train', seed: 1 });
    store.runs.markRunning(run.id, 999_999_999, 'cpu');
    store.runs.addMetrics(run.id, [
      { step: 1, epoch: 0.1, name: 'train_loss', value: 2, ts: 1 },
      { step: 2, epoch: 0.2, name: 'train_loss', value: 1.5, ts: 2 },
    ]);
    expect(store.runs.metrics(run.id, 'train_loss').map((m) => m.value)).toEqual([2, 1.5]);
    expect(store.runs.markOrphansInterrupted(() => false)).toBe(1);
    expect(store.runs.get(run.id).status).toBe('interrupted');
    store.close();
  });
});
