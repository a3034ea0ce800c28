/**
 * Every automatic quality fix does what it says: for each finding that offers a fix, a
 * dataset with only that defect is checked, the finding's fix applied through the service,
 * and the re-check no longer reports it (a fix that answers "1 record changed" while
 * the finding stays is the failure this guards against). A dropped channel is also gone from the
 * modelling view (grids) and from the patient trace.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QualityFix } from '../../../src-main/engine/api/contract.js';
import { StudioService } from '../../../src-main/engine/api/service.js';
import { loadPatientGrid } from '../../../src-main/engine/data/grid/access.js';
import { silentLogger } from '../../../src-main/engine/logger.js';
import type { NewReading } from '../../../src-main/engine/store/index.js';
import { tempDir } from '../../helpers/tmp.js';

let tmp: { dir: string; cleanup: () => void };
let service: StudioService;

beforeAll(() => {
  tmp = tempDir();
  service = new StudioService({ dataDir: join(tmp.dir, 'data'), logger: silentLogger });
});
afterAll(() => {
  service.close();
  tmp.cleanup();
});

const T0 = Date.UTC(2024, 5, 1);
const STEP = 300_000;
const SETTINGS = { contextLength: 48, forecastLength: 12 };

/** Four clean days every 5 min (mmol/L); `edit` damages them. */
function readings(patientId: number, edit: (rs: NewReading[]) => NewReading[] = (rs) => rs): NewReading[] {
  const rs = Array.from({ length: 4 * 288 }, (_, i) => ({
    patientId,
    importId: null,
    ts: T0 + i * STEP,
    utcOffsetMin: 0,
    kind: 'cgm' as const,
    bgMm: 7 + Math.sin(i / 20),
    flags: 0,
    sourceRow: i,
  }));
  return edit(rs);
}

interface Case {
  check: string;
  fix: QualityFix['kind'];
  /** Patients' readings (and events) of a dataset with this defect only. */
  seed: (datasetId: number) => void;
}

const CASES: Case[] = [
  {
    check: 'non_finite',
    fix: 'remove_readings',
    seed: (d) => {
      const p = service.store.patients.ensure(d, 'p1');
      service.store.readings.insertMany(readings(p.id, (rs) => (rs.splice(100, 1, { ...rs[100]!, bgMm: Infinity }), rs)));
    },
  },
  {
    check: 'out_of_range',
    fix: 'remove_readings',
    seed: (d) => {
      const p = service.store.patients.ensure(d, 'p1');
      service.store.readings.insertMany(readings(p.id, (rs) => (rs.splice(100, 1, { ...rs[100]!, bgMm: 900 }), rs)));
    },
  },
  {
    check: 'error_codes',
    fix: 'remove_readings',
    seed: (d) => {
      const p = service.store.patients.ensure(d, 'p1');
      service.store.readings.insertMany(readings(p.id, (rs) => (rs.splice(100, 1, { ...rs[100]!, bgMm: 0 }), rs)));
    },
  },
  {
    check: 'unit_mgdl_in_mmol',
    fix: 'convert_units',
    seed: (d) => {
      const p = service.store.patients.ensure(d, 'p1');
      service.store.readings.insertMany(readings(p.id, (rs) => rs.map((r, i) => (i >= 200 && i < 220 ? { ...r, bgMm: r.bgMm * 18.018 } : r))));
    },
  },
  {
    check: 'unit_mmol_in_mgdl',
    fix: 'convert_units',
    seed: (d) => {
      const p = service.store.patients.ensure(d, 'p1');
      service.store.readings.insertMany(readings(p.id, (rs) => rs.map((r, i) => (i >= 300 && i < 320 ? { ...r, bgMm: r.bgMm / 18.018 } : r))));
    },
  },
  {
    check: 'duplicate_timestamps',
    fix: 'dedupe_readings',
    seed: (d) => {
      const p = service.store.patients.ensure(d, 'p1');
      const rs = readings(p.id);
      // Sorted by time, so only the duplicates are wrong (nothing goes backwards in file order).
      service.store.readings.insertMany([...rs.slice(0, 401), rs[400]!, rs[400]!, ...rs.slice(401)]);
    },
  },
  {
    check: 'dst_repeat',
    fix: 'dedupe_readings',
    seed: (d) => {
      // A DST hour only where the patient's zone changes: Europe/Oslo falls back at 2024-10-27 01:00 UTC.
      const p = service.store.patients.ensure(d, 'p1', { timeZone: 'Europe/Oslo' });
      const shift = Date.UTC(2024, 9, 27) - (T0 + 500 * STEP);
      const rs = readings(p.id).map((r) => ({ ...r, ts: r.ts + shift }));
      // One hour recorded twice, 2.5 min apart: two readings per 5-min slot.
      const extra = rs.slice(500, 512).map((r) => ({ ...r, ts: r.ts + STEP / 2, bgMm: r.bgMm + 0.2 }));
      service.store.readings.insertMany([...rs.slice(0, 512), ...extra, ...rs.slice(512)].sort((a, b) => a.ts - b.ts));
    },
  },
  {
    check: 'conflicting_duplicates',
    fix: 'resolve_conflicts',
    seed: (d) => {
      const p = service.store.patients.ensure(d, 'p1');
      const rs = readings(p.id);
      // Ten timestamps holding a second value 60 mg/dL higher.
      const out: NewReading[] = [];
      rs.forEach((r, i) => {
        out.push(r);
        if (i >= 400 && i < 500 && i % 10 === 0) out.push({ ...r, bgMm: r.bgMm + 60 / 18.018 });
      });
      service.store.readings.insertMany(out);
    },
  },
  {
    check: 'duplicate_uploads',
    fix: 'remove_readings',
    seed: (d) => {
      const p = service.store.patients.ensure(d, 'p1');
      const rs = readings(p.id);
      const extra = rs.slice(500, 512).map((r) => ({ ...r, ts: r.ts + 6000 }));
      service.store.readings.insertMany([...rs.slice(0, 512), ...extra, ...rs.slice(512)].sort((a, b) => a.ts - b.ts));
    },
  },
  {
    check: 'overlapping_sensors',
    fix: 'remove_readings',
    seed: (d) => {
      const p = service.store.patients.ensure(d, 'p1');
      const rs = readings(p.id);
      // The old sensor until 700, a new one 60 mg/dL higher and 8 s later from 660 on.
      const newer = rs.slice(660).map((r) => ({ ...r, ts: r.ts + 8000, bgMm: r.bgMm + 60 / 18.018 }));
      service.store.readings.insertMany([...rs.slice(0, 700), ...newer].sort((a, b) => a.ts - b.ts));
    },
  },
  {
    check: 'zero_variance',
    fix: 'drop_channel',
    seed: (d) => {
      for (const name of ['p1', 'p2']) {
        const p = service.store.patients.ensure(d, name);
        service.store.readings.insertMany(readings(p.id));
        // A step counter that never moves, in every patient.
        service.store.events.insertMany(
          Array.from({ length: 50 }, (_, i) => ({
            patientId: p.id,
            importId: null,
            ts: T0 + i * STEP,
            utcOffsetMin: 0,
            kind: 'steps' as const,
            value: 0,
            durationMin: null,
            flags: 0,
            meta: null,
            sourceRow: null,
          })),
        );
      }
    },
  },
];

describe('quality fixes: the finding is gone on re-check', () => {
  it.each(CASES)('$check → $fix', async (c) => {
    const name = `fix-${c.check}`;
    const d = service.store.datasets.create({ name });
    service.store.transaction(() => c.seed(d.id));
    const before = await service.invoke('quality.check', { dataset: name, settings: SETTINGS });
    const index = before.findings.findIndex((f) => f.check === c.check && f.fix !== null);
    expect(index, `findings: ${before.findings.map((f) => f.check).join(', ')}`).toBeGreaterThanOrEqual(0);
    expect(before.findings[index]!.fix!.kind).toBe(c.fix);
    const applied = await service.invoke('quality.fix', { dataset: name, findings: [index] });
    expect(applied[0]!.affected).toBeGreaterThan(0);
    const after = await service.invoke('quality.check', { dataset: name, settings: SETTINGS });
    expect(after.findings.filter((f) => f.check === c.check)).toEqual([]);
    // Nothing left to fix for it: no finding of the re-check offers the same fix again.
    expect(after.findings.filter((f) => f.fix?.kind === c.fix)).toEqual([]);
  });

  it('conflicting duplicates: neighbours keeps the consistent value, mean averages, drop removes both', async () => {
    const values = async (strategy: 'neighbours' | 'mean' | 'drop'): Promise<number[]> => {
      const name = `conflict-${strategy}`;
      const d = service.store.datasets.create({ name });
      const p = service.store.patients.ensure(d.id, 'p1');
      const rs = readings(p.id);
      const at = rs[400]!;
      service.store.transaction(() => service.store.readings.insertMany([...rs.slice(0, 401), { ...at, bgMm: at.bgMm + 3 }, ...rs.slice(401)]));
      const report = await service.invoke('quality.check', { dataset: name, settings: SETTINGS });
      const f = report.findings.find((x) => x.check === 'conflicting_duplicates')!;
      const fix = [f.fix!, ...(f.alternatives ?? [])].find((x) => x.kind === 'resolve_conflicts' && x.strategy === strategy)!;
      await service.invoke('quality.fix', { dataset: name, fixes: [fix] });
      const live = service.store.db.prepare('SELECT bg_mM AS v FROM readings WHERE patient_id = ? AND ts = ? AND (flags & 8) = 0').all(p.id, at.ts) as {
        v: number;
      }[];
      return live.map((x) => x.v);
    };
    const base = 7 + Math.sin(400 / 20);
    expect(await values('neighbours')).toEqual([base]);
    expect((await values('mean'))[0]).toBeCloseTo(base + 1.5, 5);
    expect(await values('drop')).toEqual([]);
  });

  it('a dropped channel is absent from the grids and the trace', async () => {
    const d = service.store.datasets.findByName('fix-zero_variance')!;
    const p = service.store.patients.list(d.id)[0]!;
    expect(loadPatientGrid(service.store, p.id).absent).toContain('steps');
    const trace = await service.invoke('patients.trace', { dataset: d.name, patient: p.externalId, channels: ['bg_mM', 'steps'] });
    expect(trace.masks.steps?.every((m) => m === 0) ?? true).toBe(true);
    // Other datasets keep the channel.
    const other = service.store.datasets.create({ name: 'keeps-steps' });
    const q = service.store.patients.ensure(other.id, 'q1');
    service.store.transaction(() => {
      service.store.readings.insertMany(readings(q.id));
      service.store.events.insertMany([
        { patientId: q.id, importId: null, ts: T0, utcOffsetMin: 0, kind: 'steps', value: 10, durationMin: null, flags: 0, meta: null, sourceRow: null },
      ]);
    });
    expect(loadPatientGrid(service.store, q.id).absent).not.toContain('steps');
  });
});
