/**
 * Writes TensorBoard event files (`events.out.tfevents.<seconds>.<host>`) with scalar
 * summaries, so a run can be inspected with stock TensorBoard.
 *
 * Format (protobuf wire primitives from util/proto-writer.ts, no protobuf dependency):
 *   record  = u64 LE length · u32 LE masked_crc32c(length bytes) · data · u32 LE masked_crc32c(data)
 *   Event   = wall_time (1: double) · step (2: int64 varint) · file_version (3: string, first
 *             record only, "brain.Event:2") · summary (5: Summary)
 *   Summary = repeated value (1: Value);  Value = tag (1: string) · simple_value (2: float)
 *
 * Durability: the file is opened for append and records are only ever added. Records are
 * buffered and written with one write call per flush (every `flushEveryMs`, every
 * `flushEveryRecords` records, and on close), so a killed process loses at most the unflushed
 * tail; a record cut mid-write at the end is skipped by TensorBoard's reader (bad CRC / short
 * read), never corrupting the records before it.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StudioError } from '../errors.js';
import { ProtoWriter } from '../util/proto-writer.js';
import { maskedCrc32c } from './crc32c.js';

export interface ScalarEvent {
  tag: string;
  value: number;
  step: number;
  /** Seconds since the epoch. */
  wallTime: number;
}

/** Serialised Event message holding one scalar. */
export function encodeScalarEvent(e: ScalarEvent): Uint8Array {
  const value = new ProtoWriter(64);
  value.string(1, e.tag);
  value.float(2, e.value);
  const summary = new ProtoWriter(64);
  summary.message(1, value);
  const event = new ProtoWriter(64);
  event.double(1, e.wallTime);
  event.int(2, e.step);
  event.message(5, summary);
  return event.finish();
}

/** The first record of every event file: its format version. */
export function encodeFileVersionEvent(wallTime: number): Uint8Array {
  const event = new ProtoWriter(64);
  event.double(1, wallTime);
  event.string(3, 'brain.Event:2');
  return event.finish();
}

/** TFRecord framing of one record. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

export interface TensorBoardWriterOptions {
  /** Defaults to os.hostname(). */
  host?: string;
  /** Clock in ms since the epoch (tests inject one); defaults to Date.now. */
  now?: () => number;
  /** Flush at least this often while records are pending; default 2000 ms. 0 disables the timer. */
  flushEveryMs?: number;
  /** Flush once this many records are pending; default 100. */
  flushEveryRecords?: number;
  /** fsync after each flush (slower, survives power loss); default false. */
  fsync?: boolean;
}

export class TensorBoardWriter {
  readonly path: string;
  private fd: number | null;
  private pending: Uint8Array[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;
  private readonly flushEveryMs: number;
  private readonly flushEveryRecords: number;
  private readonly fsync: boolean;

  private constructor(path: string, fd: number, options: TensorBoardWriterOptions) {
    this.path = path;
    this.fd = fd;
    this.now = options.now ?? Date.now;
    this.flushEveryMs = options.flushEveryMs ?? 2000;
    this.flushEveryRecords = options.flushEveryRecords ?? 100;
    this.fsync = options.fsync ?? false;
  }

  /** Creates `dir` if needed and a new event file in it, and writes the file-version record. */
  static open(dir: string, options: TensorBoardWriterOptions = {}): TensorBoardWriter {
    const now = options.now ?? Date.now;
    // Host names may contain characters that are awkward in file names.
    const host = (options.host ?? hostname()).replace(/[^A-Za-z0-9._-]/g, '_');
    const stamp = Math.floor(now() / 1000);
    let path: string;
    let fd: number;
    try {
      mkdirSync(dir, { recursive: true });
      path = join(dir, `events.out.tfevents.${stamp}.${host}`);
      // Two writers started in the same second must not interleave in one file.
      for (let k = 1; existsSync(path); k++) path = join(dir, `events.out.tfevents.${stamp}.${host}.${k}`);
      fd = openSync(path, 'a');
    } catch (e) {
      throw new StudioError('IO', `Cannot create a TensorBoard event file in ${dir}: ${(e as Error).message}. Check that the folder is writable.`, undefined, {
        cause: e,
      });
    }
    const w = new TensorBoardWriter(path, fd, options);
    w.pending.push(frameRecord(encodeFileVersionEvent(now() / 1000)));
    w.flush();
    return w;
  }

  /** Queues one scalar; `wallTimeMs` defaults to the clock. */
  addScalar(tag: string, value: number, step: number, wallTimeMs?: number): void {
    if (this.fd === null) throw new StudioError('INVALID_INPUT', `TensorBoard writer for ${this.path} is closed.`);
    if (!Number.isInteger(step)) throw new StudioError('INVALID_INPUT', `TensorBoard step must be an integer, got ${step}.`);
    if (tag.length === 0) throw new StudioError('INVALID_INPUT', 'TensorBoard scalar tag must not be empty.');
    this.pending.push(frameRecord(encodeScalarEvent({ tag, value, step, wallTime: (wallTimeMs ?? this.now()) / 1000 })));
    if (this.pending.length >= this.flushEveryRecords) this.flush();
    else if (this.timer === null && this.flushEveryMs > 0) {
      this.timer = setTimeout(() => this.flush(), this.flushEveryMs);
      // A pending flush must not keep a finished process alive; close() flushes anyway.
      this.timer.unref();
    }
  }

  /** Writes every queued record in one append. */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.fd === null || this.pending.length === 0) return;
    let total = 0;
    for (const r of this.pending) total += r.length;
    const chunk = new Uint8Array(total);
    let off = 0;
    for (const r of this.pending) {
      chunk.set(r, off);
      off += r.length;
    }
    this.pending = [];
    try {
      let written = 0;
      while (written < chunk.length) written += writeSync(this.fd, chunk, written, chunk.length - written);
      if (this.fsync) fsyncSync(this.fd);
    } catch (e) {
      throw new StudioError('IO', `Cannot write TensorBoard events to ${this.path}: ${(e as Error).message}.`, undefined, { cause: e });
    }
  }

  close(): void {
    if (this.fd === null) return;
    this.flush();
    closeSync(this.fd);
    this.fd = null;
  }
}
