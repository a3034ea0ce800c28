import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNumber, readSample, splitCsv, streamLines } from '../../../../src-main/engine/data/csv.js';
import { LOCAL_TIME_STATUS, ZoneResolver, civilMs, parseByOrder, parseIsoLike, possibleOrders } from '../../../../src-main/engine/data/time.js';
import { sampleJson, streamJson } from '../../../../src-main/engine/data/importers/json-stream.js';
import { StudioError } from '../../../../src-main/engine/errors.js';

function tmp(name: string, content: string | Buffer): string {
  const p = join(mkdtempSync(join(tmpdir(), 'ttm-text-')), name);
  writeFileSync(p, content);
  return p;
}

describe('time parsing', () => {
  it('matches Date.UTC for civil times over four centuries', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1900, max: 2199 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 28 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        (y, mo, d, h, mi) => {
          expect(civilMs(y, mo, d, h, mi, 0)).toBe(Date.UTC(y, mo - 1, d, h, mi, 0));
        },
      ),
    );
    expect(civilMs(2023, 2, 29, 0, 0, 0)).toBeNaN();
    expect(civilMs(2024, 2, 29, 0, 0, 0)).toBe(Date.UTC(2024, 1, 29));
  });

  it('parses ISO-like timestamps with and without zones', () => {
    expect(parseIsoLike('2024-03-01T10:20:30Z')).toEqual({ localMs: Date.UTC(2024, 2, 1, 10, 20, 30), offsetMin: 0 });
    expect(parseIsoLike('2024-03-01 10:20')).toEqual({ localMs: Date.UTC(2024, 2, 1, 10, 20), offsetMin: null });
    expect(parseIsoLike('2024-03-01T10:20:30.250+02:00')).toEqual({ localMs: Date.UTC(2024, 2, 1, 8, 20, 30, 250), offsetMin: 120 });
    expect(parseIsoLike('2024-03-01T10:20:30-0530')).toEqual({ localMs: Date.UTC(2024, 2, 1, 15, 50, 30), offsetMin: -330 });
    for (const bad of ['2024-13-01 10:20', '2024-02-30 10:00', 'yesterday at noon', '2024-03-01T10:20:30+2', '2024-03-01T25:00'])
      expect(parseIsoLike(bad)).toBeNull();
  });

  it('reads locale date orders with 12- and 24-hour clocks', () => {
    expect(parseByOrder('02-14-2024 11:45 PM', 'mdy')).toBe(Date.UTC(2024, 1, 14, 23, 45));
    expect(parseByOrder('02-14-2024 12:05 AM', 'mdy')).toBe(Date.UTC(2024, 1, 14, 0, 5));
    expect(parseByOrder('02-14-2024 12:05 PM', 'mdy')).toBe(Date.UTC(2024, 1, 14, 12, 5));
    expect(parseByOrder('14/02/2024 23:45', 'dmy')).toBe(Date.UTC(2024, 1, 14, 23, 45));
    expect(parseByOrder('07-12-2021 01:17:00', 'dmy')).toBe(Date.UTC(2021, 11, 7, 1, 17));
    expect(parseByOrder('14/02/2024 23:45', 'mdy')).toBeNaN();
    expect(possibleOrders('03-04-2024 08:00')).toEqual({ mask: 0b110, ampm: false });
    expect(possibleOrders('03-14-2024 08:00 PM')).toEqual({ mask: 0b100, ampm: true });
  });

  it('converts wall-clock times DST-correctly and reports ambiguity and gaps', () => {
    const z = new ZoneResolver('America/New_York');
    expect(z.toUtc(Date.UTC(2024, 0, 15, 12, 0))).toBe(Date.UTC(2024, 0, 15, 17, 0));
    expect(z.offsetMin).toBe(-300);
    expect(z.toUtc(Date.UTC(2024, 6, 15, 12, 0))).toBe(Date.UTC(2024, 6, 15, 16, 0));
    expect(z.offsetMin).toBe(-240);
    // 2024-11-03 01:30 happens twice in New York: first occurrence (EDT)
    expect(z.toUtc(Date.UTC(2024, 10, 3, 1, 30))).toBe(Date.UTC(2024, 10, 3, 5, 30));
    expect(z.status).toBe(LOCAL_TIME_STATUS.ambiguous);
    // 2024-03-10 02:30 does not exist
    expect(z.toUtc(Date.UTC(2024, 2, 10, 2, 30))).toBe(Date.UTC(2024, 2, 10, 7, 30));
    expect(z.status).toBe(LOCAL_TIME_STATUS.skipped);
    expect(z.offsetMin).toBe(-240);
    expect(() => new ZoneResolver('Mars/Olympus')).toThrow(StudioError);
  });

  it('round-trips every 7-minute instant of a year through Europe/Oslo wall-clock time', () => {
    const z = new ZoneResolver('Europe/Oslo');
    const start = Date.UTC(2023, 0, 1);
    for (let t = start; t < start + 365 * 86_400_000; t += 7 * 60_000) {
      const off = z.offsetAt(t);
      const back = z.toUtc(t + off * 60_000);
      if (z.status === LOCAL_TIME_STATUS.ok) expect(back).toBe(t);
      else expect(z.status).toBe(LOCAL_TIME_STATUS.ambiguous);
    }
  });
});

describe('text input', () => {
  it('splits CSV records: quotes, doubled quotes, empty fields, delimiters in quotes', () => {
    expect(splitCsv('a,b,,d')).toEqual(['a', 'b', '', 'd']);
    expect(splitCsv('"a,1","b ""x""",,"",e')).toEqual(['a,1', 'b "x"', '', '', 'e']);
    expect(splitCsv('x;"y;z"', ';')).toEqual(['x', 'y;z']);
    expect(splitCsv('"unterminated')).toEqual(['unterminated']);
  });

  it('agrees with a reference splitter on random quoted records', () => {
    const field = fc.string({ maxLength: 8 }).map((s) => s.replace(/\n|\r/g, ''));
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 8 }), (fields) => {
        const line = fields.map((f) => (/[",]/.test(f) || f === '' ? '"' + f.replace(/"/g, '""') + '"' : f)).join(',');
        expect(splitCsv(line)).toEqual(fields);
      }),
    );
  });

  it('parses numbers strictly, with a decimal comma', () => {
    expect(parseNumber('5.5')).toBe(5.5);
    expect(parseNumber('5,5')).toBe(5.5);
    expect(parseNumber('0')).toBe(0);
    for (const bad of ['', ' ', 'abc', '1,2,3', '1.2,3']) expect(parseNumber(bad)).toBeNaN();
  });

  it('streams lines across chunk boundaries, CRLF, BOM and quoted newlines', async () => {
    const body = '\ufeffh1,h2\r\n' + Array.from({ length: 500 }, (_, i) => `${i},"note ${i}\nsecond line"`).join('\r\n') + '\r\nlast,x';
    const p = tmp('lines.csv', body);
    const got: [string, number][] = [];
    await streamLines(p, (l, n) => void got.push([l, n]), { quotedNewlines: true, chunkBytes: 64 });
    expect(got[0]).toEqual(['h1,h2', 1]);
    expect(got[1]).toEqual(['0,"note 0\nsecond line"', 2]);
    expect(got[2]![1]).toBe(4);
    expect(got).toHaveLength(502);
    expect(got.at(-1)).toEqual(['last,x', 1002]);
  });

  it('decodes UTF-16LE files with a BOM', async () => {
    const p = tmp('u16.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\nc,d\n', 'utf16le')]));
    const s = await readSample(p);
    expect(s).toMatchObject({ encoding: 'utf16le', bom: 'utf16le', lines: ['a,b', 'c,d', ''] });
    const got: string[] = [];
    await streamLines(p, (l) => void got.push(l));
    expect(got).toEqual(['a,b', 'c,d']);
  });

  it('streams JSON array elements of any shape, and rejects a cut-off array', async () => {
    const values = [{ a: 1, s: 'x]},{' }, [1, [2]], 3, 'str', null, { nested: { deep: [{}] } }];
    const p = tmp('a.json', JSON.stringify(values, null, 1));
    const got: unknown[] = [];
    const top = await streamJson(p, 'a.json', (v) => void got.push(v));
    expect(top).toEqual({ kind: 'array', count: values.length });
    expect(got).toEqual(values);
    const cut = tmp('cut.json', JSON.stringify(values).slice(0, 20));
    await expect(streamJson(cut, 'cut.json', () => undefined)).rejects.toThrow(StudioError);
    expect(sampleJson('[{"sgv": 100}, {"sgv": 1').elements).toEqual([{ sgv: 100 }]);
  });
});
