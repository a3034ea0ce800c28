import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../../src-main/engine/api/contract.js';
import { StudioService } from '../../../src-main/engine/api/service.js';
import { loadPatientGrid } from '../../../src-main/engine/data/grid/access.js';
import { fitScaler } from '../../../src-main/engine/data/scalers.js';
import { partRanges, useSplitForRun, validateSplit } from '../../../src-main/engine/data/splits.js';
import { buildWindows, materializeBatch } from '../../../src-main/engine/data/windows.js';
import { StudioError } from '../../../src-main/engine/errors.js';
import { silentLogger } from '../../../src-main/engine/logger.js';
import type { PatientGrid } from '../../../src-main/engine/data/grid/build.js';
import { tempDir } from '../../helpers/tmp.js';

let tmp: { dir: string; cleanup: () => void };
let service: StudioService;
const events: ApiEvent[] = [];

beforeAll(() => {
  tmp = tempDir();
  service = new StudioService({ dataDir: join(tmp.dir, 'data'), logger: silentLogger });
  service.subscribe((e) => events.push(e));
});
afterAll(() => {
  service.close();
  tmp.cleanup();
});

describe('data pipeline through the service', () => {
  it('simulates a cohort into the store with progress events, deterministically', async () => {
    const d = await service.invoke('datasets.simulate', { name: 'sim', patients: 4, days: 6, seed: 3, operationId: 'sim-op-1' });
    expect(d).toMatchObject({ name: 'sim', source: 'simulated', patientCount: 4, resolutionMin: 5 });
    expect(d.readingCount).toBeGreaterThan(4 * 6 * 288 * 0.85);
    expect(events.some((e) => e.type === 'progress' && e.operationId === 'sim-op-1')).toBe(true);
    expect(events).toContainEqual({ type: 'operation.end', operationId: 'sim-op-1', status: 'completed' });
    const again = await service.invoke('datasets.simulate', { name: 'sim-again', patients: 4, days: 6, seed: 3 });
    const rows = (name: string): unknown[] =>
      service.store.db
        .prepare(
          'SELECT p.external_id, r.ts, r.bg_mM, r.flags FROM readings r JOIN patients p ON p.id = r.patient_id JOIN datasets d ON d.id = p.dataset_id WHERE d.name = ? ORDER BY p.external_id, r.ts',
        )
        .all(name);
    expect(rows('sim-again')).toEqual(rows('sim'));
    expect(again.eventCount).toBe(d.eventCount);
    await expect(service.invoke('datasets.simulate', { name: 'sim', patients: 1, days: 1 })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('a cancelled simulation leaves nothing behind', async () => {
    const p = service.invoke('datasets.simulate', { name: 'cancelled', patients: 50, days: 30, seed: 1, operationId: 'sim-cancel' });
    setImmediate(() => service.invoke('operations.cancel', { operationId: 'sim-cancel' }));
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(service.store.datasets.findByName('cancelled')).toBeUndefined();
  });

  it('serves a patient trace for charts, with masks and segments', async () => {
    const trace = await service.invoke('patients.trace', { dataset: 'sim', patient: 'sim-001', channels: ['bg_mM', 'iob', 'cob'] });
    expect(trace.stepMin).toBe(5);
    expect(trace.length).toBeGreaterThan(6 * 288 - 10);
    expect(trace.channels.bg_mM).toHaveLength(trace.length);
    expect(trace.masks.bg_mM!.every((m) => m === 0 || m === 1)).toBe(true);
    expect(Object.keys(trace.channels).sort()).toEqual(['bg_mM', 'cob', 'iob']);
    const day = await service.invoke('patients.trace', { dataset: 'sim', patient: 'sim-001', from: trace.startTs, to: trace.startTs + 86_400_000 });
    expect(day.length).toBe(288);
    await expect(service.invoke('patients.trace', { dataset: 'sim', patient: 'nobody' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('checks quality, stores the report and serves the latest', async () => {
    const report = await service.invoke('quality.check', { dataset: 'sim', settings: { contextLength: 96, forecastLength: 12 } });
    expect(report.reportId).not.toBeNull();
    expect(report.summary.patients).toBe(4);
    expect(report.summary.errors).toBe(0);
    expect(report.summary.usableWindows).toBeGreaterThan(0);
    expect(report.patients.every((p) => p.modalIntervalMin === 5)).toBe(true);
    const latest = await service.invoke('quality.latest', { dataset: 'sim' });
    expect(latest).toEqual(report);
    const none = await service.invoke('quality.check', { dataset: 'sim', settings: { contextLength: 5000, forecastLength: 96 } });
    expect(none.findings.filter((f) => f.check === 'no_usable_windows')).toHaveLength(4);
  });

  it('creates, lists and shows versioned splits; a run locks them', async () => {
    const s1 = await service.invoke('splits.create', { dataset: 'sim', name: 'main', spec: { kind: 'hybrid', holdoutPatients: ['sim-004'], gapMin: 30 } });
    expect(s1.version).toBe(1);
    expect(s1.content.holdoutPatients).toEqual(['sim-004']);
    const s2 = await service.invoke('splits.create', { dataset: 'sim', name: 'main', spec: { kind: 'temporal', testFraction: 0.3 } });
    expect(s2.version).toBe(2);
    expect((await service.invoke('splits.list', { dataset: 'sim' })).map((s) => [s.name, s.version, s.locked])).toEqual([
      ['main', 1, false],
      ['main', 2, false],
    ]);
    expect((await service.invoke('splits.get', { dataset: 'sim', name: 'main', version: 1 })).contentHash).toBe(s1.contentHash);
    useSplitForRun(service.store, s1.id);
    expect((await service.invoke('splits.get', { dataset: 'sim', name: 'main', version: 1 })).locked).toBe(true);
    expect(() => service.store.splits.delete(s1.id)).toThrow(/locked/);
  });

  it('feeds training: windows from the split parts, scaler fitted on train only, batches with target masks', async () => {
    const split = await service.invoke('splits.get', { dataset: 'sim', name: 'main', version: 1 });
    const content = validateSplit(split.content);
    const grids = new Map<number, PatientGrid>();
    for (const r of [...partRanges(content, 'train'), ...partRanges(content, 'test')])
      if (!grids.has(r.patientId)) grids.set(r.patientId, loadPatientGrid(service.store, r.patientId));
    const train = partRanges(content, 'train');
    const opts = { contextLength: 48, forecastLength: 12, stride: 6 };
    const trainWindows = train.flatMap((r) => buildWindows(grids.get(r.patientId)!, { ...opts, fromTs: r.fromTs, toTs: r.toTs }));
    const testWindows = partRanges(content, 'test').flatMap((r) =>
      buildWindows(grids.get(r.patientId)!, { ...opts, fromTs: r.fromTs, toTs: r.toTs, contextMayPrecede: true }),
    );
    expect(trainWindows.length).toBeGreaterThan(50);
    expect(testWindows.length).toBeGreaterThan(10);
    const holdoutId = content.patients['sim-004']!.patientId;
    expect(trainWindows.some((w) => w.patientId === holdoutId)).toBe(false);
    for (const w of trainWindows) {
      const g = grids.get(w.patientId)!;
      const r = train.find((x) => x.patientId === w.patientId)!;
      expect(g.startTs + (w.start + 60) * 300_000).toBeLessThanOrEqual(r.toTs + 300_000);
    }
    const scaler = fitScaler(
      'standard',
      ['bg_mM', 'iob'],
      train.map((r) => ({ grid: grids.get(r.patientId)!, fromTs: r.fromTs, toTs: r.toTs })),
    );
    const all = fitScaler(
      'standard',
      ['bg_mM', 'iob'],
      [...grids.values()].map((grid) => ({ grid })),
    );
    expect(scaler.groups.global!.bg_mM!.loc).not.toBe(all.groups.global!.bg_mM!.loc);
    const batch = materializeBatch(grids, testWindows.slice(0, 8), {
      contextLength: 48,
      forecastLength: 12,
      inputChannels: ['bg_mM', 'iob'],
      targetChannels: ['bg_mM'],
    });
    expect(batch.past).toHaveLength(8 * 48 * 2);
    expect(batch.future).toHaveLength(8 * 12);
    expect(batch.past.every((v) => Number.isFinite(v))).toBe(true);
  });

  it('caches grids and rebuilds them when inputs or settings change', () => {
    const p = service.store.patients.find(service.store.datasets.resolve('sim').id, 'sim-002')!;
    const builtAt = (): string[] =>
      (service.store.db.prepare('SELECT DISTINCT built_at AS b FROM grids WHERE patient_id = ? AND resolution_min = 5').all(p.id) as { b: string }[]).map(
        (r) => r.b,
      );
    const a = loadPatientGrid(service.store, p.id);
    const hashA = service.store.grids.settingsHash(p.id, 5);
    const b = loadPatientGrid(service.store, p.id);
    expect(service.store.grids.settingsHash(p.id, 5)).toBe(hashA);
    expect(Array.from(b.channels.bg_mM)).toEqual(Array.from(a.channels.bg_mM));
    expect(Array.from(b.masks.iob)).toEqual(Array.from(a.masks.iob));
    expect(b.segments).toEqual(a.segments);
    expect(b.absent).toEqual(a.absent);
    const before = builtAt();
    expect(before).toHaveLength(1);
    loadPatientGrid(service.store, p.id, { maxGapMin: 60 });
    expect(service.store.grids.settingsHash(p.id, 5)).not.toBe(hashA);
    loadPatientGrid(service.store, p.id);
    const hashBack = service.store.grids.settingsHash(p.id, 5);
    expect(hashBack).toBe(hashA);
    // a changed input (a reading flagged removed) changes the fingerprint
    service.store.db.prepare('UPDATE readings SET flags = flags | 8 WHERE id = (SELECT MIN(id) FROM readings WHERE patient_id = ?)').run(p.id);
    loadPatientGrid(service.store, p.id);
    expect(service.store.grids.settingsHash(p.id, 5)).not.toBe(hashA);
    expect(loadPatientGrid(service.store, p.id).startTs).toBeGreaterThan(a.startTs);
  });
});

describe('quality fixes', () => {
  it('applies chosen fixes, records them, and the findings go away', async () => {
    const store = service.store;
    const T0 = Date.UTC(2024, 5, 1);
    const d = store.datasets.create({ name: 'messy' });
    const p = store.patients.ensure(d.id, 'm1');
    const readings = Array.from({ length: 10 * 288 }, (_, i) => ({
      patientId: p.id,
      importId: null,
      ts: T0 + i * 300_000,
      utcOffsetMin: 0,
      kind: 'cgm' as const,
      bgMm: 7 + Math.sin(i / 20),
      flags: 0,
      sourceRow: i,
    }));
    for (let i = 500; i < 520; i++) readings[i]!.bgMm *= 18.018; // a stretch exported in mg/dL
    readings[900]!.bgMm = 0; // an error code
    store.transaction(() => {
      store.readings.insertMany(readings);
      store.readings.insertMany([readings[1000]!, readings[1001]!]); // duplicates
    });
    const report = await service.invoke('quality.check', { dataset: 'messy', settings: { contextLength: 48, forecastLength: 12 } });
    const kinds = report.findings.map((f) => f.check).sort();
    // the duplicates were appended after the rest, so time also goes backwards in file order
    expect(kinds).toEqual(['duplicate_timestamps', 'error_codes', 'time_backwards', 'unit_mgdl_in_mmol']);
    const fixable = report.findings.flatMap((f, i) => (f.fix !== null ? [i] : []));
    expect(fixable).toHaveLength(3);
    const applied = await service.invoke('quality.fix', { dataset: 'messy', findings: fixable });
    expect(applied.map((a) => [a.fix.kind, a.affected]).sort()).toEqual([
      ['convert_units', 20],
      ['dedupe_readings', 2],
      ['remove_readings', 1],
    ]);
    const recorded = store.quality.fixes(d.id);
    expect(recorded).toHaveLength(3);
    expect(recorded.map((r) => r.result)).toEqual(applied.map((a) => ({ affected: a.affected })));
    const converted = store.readings.forPatient(p.id, { from: readings[500]!.ts, to: readings[500]!.ts })[0]!;
    expect(converted.bgMm).toBeCloseTo(7 + Math.sin(500 / 20), 5);
    const after = await service.invoke('quality.check', { dataset: 'messy', settings: { contextLength: 48, forecastLength: 12 } });
    // only the slot of the removed status code is left empty (and will be imputed)
    expect(after.findings.map((f) => [f.check, f.severity, f.count])).toEqual([['missing', 'info', 1]]);
    // fixes name findings of a report: without one, nothing happens
    const e = await service.invoke('quality.fix', { dataset: 'messy', findings: [0] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StudioError);
  });
});

describe('demo cohort', () => {
  it('is generated from the bundled recipe once', async () => {
    const first = await service.invoke('datasets.ensureDemo', {});
    expect(first.created).toBe(true);
    expect(first.dataset).toMatchObject({ source: 'demo', patientCount: 12 });
    expect(first.dataset.readingCount).toBeGreaterThan(12 * 30 * 288 * 0.85);
    const second = await service.invoke('datasets.ensureDemo', {});
    expect(second).toEqual({ dataset: first.dataset, created: false });
  });
});
