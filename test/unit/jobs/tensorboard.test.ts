import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { maskedCrc32c } from '../../../src-main/engine/jobs/crc32c.js';
import { TensorBoardWriter } from '../../../src-main/engine/jobs/tensorboard.js';
import { tempDir } from '../../helpers/tmp.js';

interface ParsedEvent {
  wallTime?: number;
  step?: bigint;
  fileVersion?: string;
  values: { tag: string; simpleValue: number }[];
}

/** Minimal protobuf field reader: [field, wire type, value] triples. */
function* fields(buf: Uint8Array): Generator<[number, number, bigint | Uint8Array]> {
  let i = 0;
  const varint = (): bigint => {
    let shift = 0n;
    let out = 0n;
    for (;;) {
      const b = buf[i++]!;
      out |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return out;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wt = key & 7;
    if (wt === 0) yield [field, wt, varint()];
    else if (wt === 1) {
      yield [field, wt, buf.subarray(i, i + 8)];
      i += 8;
    } else if (wt === 5) {
      yield [field, wt, buf.subarray(i, i + 4)];
      i += 4;
    } else if (wt === 2) {
      const len = Number(varint());
      yield [field, wt, buf.subarray(i, i + len)];
      i += len;
    } else throw new Error(`unexpected wire type ${wt}`);
  }
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

function parseEvent(data: Uint8Array): ParsedEvent {
  const ev: ParsedEvent = { values: [] };
  for (const [f, wt, v] of fields(data)) {
    if (f === 1 && wt === 1) ev.wallTime = view(v as Uint8Array).getFloat64(0, true);
    else if (f === 2 && wt === 0) ev.step = BigInt.asIntN(64, v as bigint);
    else if (f === 3 && wt === 2) ev.fileVersion = new TextDecoder().decode(v as Uint8Array);
    else if (f === 5 && wt === 2) {
      for (const [sf, , sv] of fields(v as Uint8Array)) {
        expect(sf).toBe(1);
        let tag = '';
        let simpleValue = Number.NaN;
        for (const [vf, vwt, vv] of fields(sv as Uint8Array)) {
          if (vf === 1 && vwt === 2) tag = new TextDecoder().decode(vv as Uint8Array);
          if (vf === 2 && vwt === 5) simpleValue = view(vv as Uint8Array).getFloat32(0, true);
        }
        ev.values.push({ tag, simpleValue });
      }
    } else throw new Error(`unexpected field ${f}/${wt}`);
  }
  return ev;
}

/** Reads TFRecords, checking both CRCs of every record; stops at a truncated tail like TensorBoard. */
function readRecords(bytes: Uint8Array): { events: ParsedEvent[]; truncatedTail: boolean } {
  const events: ParsedEvent[] = [];
  let off = 0;
  while (off < bytes.length) {
    if (off + 12 > bytes.length) return { events, truncatedTail: true };
    const lenBytes = bytes.subarray(off, off + 8);
    expect(view(bytes).getUint32(off + 8, true)).toBe(maskedCrc32c(lenBytes));
    const len = Number(view(lenBytes).getBigUint64(0, true));
    if (off + 12 + len + 4 > bytes.length) return { events, truncatedTail: true };
    const data = bytes.subarray(off + 12, off + 12 + len);
    expect(view(bytes).getUint32(off + 12 + len, true)).toBe(maskedCrc32c(data));
    events.push(parseEvent(data));
    off += 12 + len + 4;
  }
  return { events, truncatedTail: false };
}

describe('TensorBoard event writer', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('writes a file that parses back with valid CRCs, tags, steps and values', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    let clock = 1_700_000_000_123;
    const w = TensorBoardWriter.open(join(t.dir, 'run'), { host: 'my host', now: () => clock, flushEveryMs: 0 });
    expect(w.path).toBe(join(t.dir, 'run', 'events.out.tfevents.1700000000.my_host'));
    w.addScalar('loss/train', 0.1, 0);
    clock += 500;
    w.addScalar('loss/val', 2.5, 1, 1_700_000_100_000);
    w.addScalar('lr', 4e-5, 1234567890123);
    w.addScalar('neg', -1, -3);
    w.close();
    const { events, truncatedTail } = readRecords(readFileSync(w.path));
    expect(truncatedTail).toBe(false);
    expect(events).toHaveLength(5);
    expect(events[0]).toEqual({ wallTime: 1_700_000_000.123, fileVersion: 'brain.Event:2', values: [] });
    expect(events[1]).toEqual({ wallTime: 1_700_000_000.123, step: 0n, values: [{ tag: 'loss/train', simpleValue: Math.fround(0.1) }] });
    expect(events[2]).toEqual({ wallTime: 1_700_000_100, step: 1n, values: [{ tag: 'loss/val', simpleValue: 2.5 }] });
    expect(events[3]!.step).toBe(1234567890123n);
    expect(events[3]!.values[0]!.simpleValue).toBe(Math.fround(4e-5));
    expect(events[3]!.wallTime).toBe(1_700_000_000.623);
    expect(events[4]!.step).toBe(-3n);
  });

  it('flushes every N records and on close; appends only, a cut tail leaves earlier records intact', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const w = TensorBoardWriter.open(t.dir, { now: () => 1e12, flushEveryRecords: 3, flushEveryMs: 0 });
    for (let i = 0; i < 4; i++) w.addScalar('x', i, i);
    // version record + 3 scalars are on disk, the 4th is pending
    const mid = readRecords(readFileSync(w.path));
    expect(mid.events.map((e) => e.values[0]?.simpleValue ?? null)).toEqual([null, 0, 1, 2]);
    w.close();
    const full = readFileSync(w.path);
    expect(readRecords(full).events).toHaveLength(5);
    // simulate a kill mid-write of the last record
    const cut = join(t.dir, 'cut');
    copyFileSync(w.path, cut);
    writeFileSync(cut, full.subarray(0, full.length - 7));
    const r = readRecords(readFileSync(cut));
    expect(r.truncatedTail).toBe(true);
    expect(r.events).toHaveLength(4);
    expect(() => w.addScalar('x', 1, 1)).toThrow(/closed/);
  });

  it('flushes pending records on its timer', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const w = TensorBoardWriter.open(t.dir, { flushEveryMs: 20, flushEveryRecords: 1000 });
    w.addScalar('a', 1, 1);
    expect(readRecords(readFileSync(w.path)).events).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 80));
    expect(readRecords(readFileSync(w.path)).events).toHaveLength(2);
    w.close();
  });

  it('never reuses an existing file name', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const a = TensorBoardWriter.open(t.dir, { host: 'h', now: () => 5000 });
    const b = TensorBoardWriter.open(t.dir, { host: 'h', now: () => 5000 });
    a.close();
    b.close();
    expect(readdirSync(t.dir).sort()).toEqual(['events.out.tfevents.5.h', 'events.out.tfevents.5.h.1']);
  });
});
