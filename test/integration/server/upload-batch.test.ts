/**
 * Files picked together in the browser form one batch on the web host, so a Nightscout
 * export's entries, treatments and profile import together in any order (each
 * upload imported alone would say "no profile imported" and leave out the basal).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importFiles } from '../../../src-main/engine/data/import-service.js';
import { SHARED_FIXTURES } from '../../helpers/tmp.js';
import { callResult, upload as uploadFile, useWebHost } from './helpers.js';

const NS = join(SHARED_FIXTURES, 'formats/nightscout');
const FILES = ['nightscout_entries.json', 'nightscout_treatments.json', 'nightscout_profiles.json'];

const web = useWebHost();
const upload = (name: string, batch?: string): Promise<{ status: number; path: string }> => uploadFile(web.host, name, readFileSync(join(NS, name)), batch);
const call = <T>(method: string, body: unknown): Promise<T> => callResult<T>(web.host, method, body);

interface Report {
  readings: number;
  events: number;
  files: { file: string; warnings: { code: string; message: string }[]; notes: string[] }[];
}

describe('upload batches', () => {
  it('a Nightscout export picked together imports as the CLI imports its folder, in every order', async () => {
    const cli = await importFiles(join(web.dir, 'cli.sqlite'), { paths: [NS], dataset: 'cli', create: true });
    expect(cli.events).toBeGreaterThan(0);
    const orders = [
      [0, 1, 2],
      [1, 0, 2],
      [2, 1, 0],
      [1, 2, 0],
    ];
    for (const [k, order] of orders.entries()) {
      const batch = `batch-${k}-abcdefgh`;
      const paths: string[] = [];
      for (const i of order) paths.push((await upload(FILES[i]!, batch)).path);
      expect(new Set(paths.map((p) => dirname(p))).size).toBe(1);
      const r = await call<Report>('datasets.import', { paths, dataset: `ns-${k}`, create: true });
      expect({ readings: r.readings, events: r.events }, `order ${order.join(',')}`).toEqual({ readings: cli.readings, events: cli.events });
      const said = r.files.flatMap((f) => [...f.warnings.map((w) => w.message), ...f.notes]).join(' ');
      expect(said).not.toMatch(/no profile/i);
      // The batch folder goes with the import.
      expect(existsSync(dirname(paths[0]!))).toBe(false);
    }
    // Delivered basal rebuilt from the profile is among the events, as from the command line.
    const basal = (name: string): number =>
      (
        web.service.store.db
          .prepare(
            "SELECT COUNT(*) AS n FROM events e JOIN patients p ON p.id = e.patient_id JOIN datasets d ON d.id = p.dataset_id WHERE d.name = ? AND e.kind IN ('basal_rate', 'basal_dose')",
          )
          .get(name) as { n: number }
      ).n;
    expect(basal('ns-0')).toBeGreaterThan(0);
    expect(basal('ns-2')).toBe(basal('ns-0'));
  });

  it('two files of the same name in one batch keep both; a bad batch id is refused', async () => {
    const a = await upload(FILES[0]!, 'same-name-batch');
    const b = await upload(FILES[0]!, 'same-name-batch');
    expect(dirname(a.path)).toBe(dirname(b.path));
    expect(b.path).toMatch(/nightscout_entries-2\.json$/);
    expect((await upload(FILES[0]!, '../evil')).status).toBe(400);
    expect((await upload(FILES[0]!, 'short')).status).toBe(400);
  });
});
