/**
 * Random corruptions of every format either import cleanly or fail with a StudioError, and
 * a failed import leaves the database exactly as it was (real SQLite files).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { importFiles } from '../../../src-main/engine/data/import-service.js';
import { GenericMappingSchema } from '../../../src-main/engine/data/importers/mapping.js';
import type { FormatId } from '../../../src-main/engine/data/importers/types.js';
import { StudioError } from '../../../src-main/engine/errors.js';
import { Store } from '../../../src-main/engine/store/store.js';
import { tempDir } from '../../helpers/tmp.js';
import { LOCAL, SHARED, snapshot } from './import-helpers.js';

const SOURCES: [string, FormatId][] = [
  [join(LOCAL, 'clarity-12col-mmol.csv'), 'dexcom-clarity'],
  [join(LOCAL, 'clarity-14col-bom-dst.csv'), 'dexcom-clarity'],
  [join(LOCAL, 'libreview-us.csv'), 'libreview'],
  [join(LOCAL, 'libreview-eu-mmol.csv'), 'libreview'],
  [join(LOCAL, 'tidepool.json'), 'tidepool'],
  [join(LOCAL, 'ohio-559.xml'), 'ohiot1dm-xml'],
  [join(LOCAL, 'seed-combined.csv'), 'seed-csv'],
  [join(LOCAL, 'generic-semicolon.csv'), 'generic-csv'],
  [join(LOCAL, 'carelink-780g-eu.csv'), 'medtronic-carelink'],
  [join(LOCAL, 'nightscout_entries.csv'), 'nightscout-csv'],
  [join(LOCAL, 'glucose-ml-markers.csv'), 'glucose-ml'],
  [join(SHARED, 'nightscout', 'nightscout_treatments.json'), 'nightscout'],
  [join(SHARED, 'd1namo-glucose-ml', '009.csv'), 'glucose-ml'],
];
const outcomes = { imported: 0, failed: 0 };
const mapping = GenericMappingSchema.parse(JSON.parse(readFileSync(join(LOCAL, 'generic-mapping.json'), 'utf8')));

type Corruption =
  | { op: 'flip'; at: number; byte: number }
  | { op: 'truncate'; at: number }
  | { op: 'deleteLine'; line: number }
  | { op: 'duplicateLine'; line: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'swapLines'; a: number; b: number };

const corruption: fc.Arbitrary<Corruption> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('deleteLine' as const), line: fc.nat() }),
  fc.record({ op: fc.constant('duplicateLine' as const), line: fc.nat() }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.constantFrom('"', ',', '\n', '<', '>', '{', '}', ']', 'NaN', '-5', '9999', 'Low', '\u00ef\u00bb\u00bf', '\ufeff', '\r', ';', '0x1f'),
  }),
  fc.record({ op: fc.constant('swapLines' as const), a: fc.nat(), b: fc.nat() }),
);

function corrupt(buf: Buffer, cs: readonly Corruption[]): Buffer {
  let b = Buffer.from(buf);
  for (const c of cs) {
    if (b.length === 0) break;
    if (c.op === 'flip') {
      b[c.at % b.length] = c.byte;
    } else if (c.op === 'truncate') {
      b = b.subarray(0, c.at % b.length);
    } else if (c.op === 'insert') {
      const at = c.at % b.length;
      b = Buffer.concat([b.subarray(0, at), Buffer.from(c.text), b.subarray(at)]);
    } else {
      const lines = b.toString('latin1').split('\n');
      if (c.op === 'deleteLine') lines.splice(c.line % lines.length, 1);
      else if (c.op === 'duplicateLine') lines.splice(c.line % lines.length, 0, lines[c.line % lines.length]!);
      else {
        const i = c.a % lines.length;
        const j = c.b % lines.length;
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      }
      b = Buffer.from(lines.join('\n'), 'latin1');
    }
  }
  return b;
}

let tmp: { dir: string; cleanup: () => void };
let db: string;
beforeAll(async () => {
  tmp = tempDir();
  db = join(tmp.dir, 'studio.sqlite');
  Store.open(db).close();
  // the database already holds data that a failed import must not touch
  await importFiles(db, { paths: [join(LOCAL, 'ohio-559.xml')], dataset: 'base', create: true });
});
afterAll(() => tmp.cleanup());

describe('corrupted files', () => {
  let case_ = 0;
  for (const [source, format] of SOURCES) {
    it(`${basename(source)}: a StudioError and an untouched database, or a valid import`, async () => {
      const original = readFileSync(source);
      await fc.assert(
        fc.asyncProperty(fc.array(corruption, { minLength: 1, maxLength: 4 }), fc.boolean(), async (cs, forceFormat) => {
          const dir = join(tmp.dir, `case-${case_++}`);
          mkdirSync(dir);
          const path = join(dir, basename(source));
          writeFileSync(path, corrupt(original, cs));
          const before = snapshot(db);
          const isGeneric = format === 'generic-csv';
          try {
            const r = await importFiles(db, {
              paths: [path],
              dataset: 'fuzz',
              create: true,
              timeZone: 'Europe/Oslo',
              dateOrder: 'dmy',
              mapping: isGeneric ? mapping : null,
              // forced: the importer meets content detection would have rejected
              format: forceFormat ? format : null,
            });
            // a valid import wrote exactly what it reports
            const after = snapshot(db);
            const added = (t: string): number => Number(after[t]!.split('/')[0]) - Number(before[t]!.split('/')[0]);
            expect(added('readings')).toBe(r.readings);
            expect(added('events')).toBe(r.events);
            outcomes.imported++;
          } catch (e) {
            outcomes.failed++;
            expect(e).toBeInstanceOf(StudioError);
            expect((e as StudioError).message.length).toBeGreaterThan(10);
            expect(snapshot(db)).toEqual(before);
          }
        }),
        { numRuns: 40, seed: 20261129 },
      );
    });
  }

  it('the corruptions exercised both outcomes', () => {
    expect(outcomes.imported).toBeGreaterThan(20);
    expect(outcomes.failed).toBeGreaterThan(20);
  });
});
