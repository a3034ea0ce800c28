/**
 * Imports files and folders into one dataset. Safety properties:
 * - one transaction for the whole request, on a dedicated connection in a worker thread
 *   (the service's connection keeps serving reads from the last committed state and
 *   nothing it does can land inside, or be rolled back with, the import; parsing and
 *   inserting use both cores); any error rolls everything back;
 * - a file whose SHA-256 is already recorded for the dataset adds nothing ('already imported');
 * - files are streamed: memory is bounded by chunk size and batch size, not file size.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { StudioError, toStudioError } from '../errors.js';
import { Store } from '../store/store.js';
import { DATASET_NAME_PATTERN } from '../store/datasets.js';
import { DbSink, DiscardSink, PreviewSink, type PreviewRow } from './import-writer.js';
import { DbWorkerClient, type BegunImport } from '../store/import-db-worker.js';
import { decideFormat, importerFor, loadSourceFile, type FormatDecision } from './importers/index.js';
import type { GenericMapping } from './importers/mapping.js';
import type { FormatId, ImportContext, ImportOptions, ImportWarning, RecordSink, SourceFile } from './importers/types.js';
import { ZoneResolver, type DateOrder } from './time.js';

export interface ImportRequestOptions {
  format?: FormatId | null | undefined;
  timeZone?: string | null | undefined;
  dateOrder?: DateOrder | null | undefined;
  mapping?: GenericMapping | null | undefined;
}

export interface ImportRequest extends ImportRequestOptions {
  paths: readonly string[];
  /** Dataset name or id. */
  dataset: string | number;
  /** Create the dataset when it does not exist. */
  create?: boolean | undefined;
}

export interface ImportProgress {
  signal?: AbortSignal | undefined;
  update?(done: number, total: number | null, message?: string): void;
}

export type FileStatus = 'imported' | 'already imported' | 'duplicate' | 'skipped';

export interface FileReport {
  path: string;
  file: string;
  format: FormatId | null;
  status: FileStatus;
  /** Why the file was skipped or not imported again. */
  reason: string | null;
  detection: string[];
  bytes: number;
  fileHash: string | null;
  readings: number;
  events: number;
  patients: string[];
  warnings: ImportWarning[];
  notes: string[];
}

export interface ImportReport {
  dataset: string;
  datasetId: number;
  createdDataset: boolean;
  files: FileReport[];
  readings: number;
  events: number;
  warnings: number;
  durationMs: number;
}

interface Candidate {
  path: string;
  /** Named on the command line (true) or found in a folder (false). */
  explicit: boolean;
}

/** Files of the given paths; folders contribute their files (recursively, sorted, no dot-files). */
export async function expandPaths(paths: readonly string[]): Promise<Candidate[]> {
  if (paths.length === 0) throw new StudioError('INVALID_INPUT', 'No files or folders to import.');
  const out: Candidate[] = [];
  const seen = new Set<string>();
  const add = (p: string, explicit: boolean): void => {
    if (seen.has(p)) return;
    seen.add(p);
    out.push({ path: p, explicit });
  };
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.')).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) add(p, false);
    }
  };
  for (const raw of paths) {
    const p = resolve(raw);
    let s;
    try {
      s = await stat(p);
    } catch {
      throw new StudioError('NOT_FOUND', `${raw} does not exist.`, { file: p });
    }
    if (s.isDirectory()) await walk(p);
    else add(p, true);
  }
  if (out.length === 0) throw new StudioError('INVALID_INPUT', `No files found in ${paths.join(', ')}.`);
  return out;
}

export async function hashFile(path: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    if (signal?.aborted === true) throw signal.reason instanceof Error ? signal.reason : new StudioError('CANCELLED', 'Import was cancelled.');
    h.update(chunk);
  }
  return h.digest('hex');
}

function resolveOptions(o: ImportRequestOptions): { options: ImportOptions; zone: ZoneResolver } {
  const timeZone = o.timeZone ?? null;
  const zone = new ZoneResolver(timeZone ?? 'UTC');
  return { options: { timeZone, dateOrder: o.dateOrder ?? null, mapping: o.mapping ?? null }, zone };
}

export interface DetectedFile {
  path: string;
  file: string;
  bytes: number;
  decision: FormatDecision;
}

/** Detects the format of each file (folders expanded) without importing. */
export async function detectFiles(paths: readonly string[], o: ImportRequestOptions = {}): Promise<DetectedFile[]> {
  const files = await expandPaths(paths);
  const out: DetectedFile[] = [];
  for (const c of files) {
    const f = await loadSourceFile(c.path);
    out.push({ path: f.path, file: f.name, bytes: f.size, decision: decideFormat(f, o.format ?? null, o.mapping ?? null) });
  }
  return out;
}

export interface PreviewResult {
  path: string;
  file: string;
  decision: FormatDecision;
  rows: PreviewRow[];
  warnings: ImportWarning[];
  notes: string[];
}

/** The first `limit` records of a file mapped to canonical columns; nothing is written. */
export async function previewFile(path: string, o: ImportRequestOptions = {}, limit = 20, signal?: AbortSignal): Promise<PreviewResult> {
  const file = await loadSourceFile(resolve(path));
  const decision = decideFormat(file, o.format ?? null, o.mapping ?? null);
  if (decision.format === null)
    throw new StudioError('UNSUPPORTED', `${file.name}: the format was not recognised. ${decision.reasons.join('; ')}. Choose one with --format.`, {
      file: file.path,
    });
  const { options, zone } = resolveOptions(o);
  const sink = new PreviewSink(limit);
  const ctx: ImportContext = { options, zone, signal, sinkFor: () => sink, onBytes: () => undefined };
  await importerFor(decision.format).run([file], ctx);
  return { path: file.path, file: file.name, decision, rows: sink.rows, warnings: sink.list(), notes: sink.notes };
}

interface Planned {
  file: SourceFile;
  explicit: boolean;
  decision: FormatDecision;
  hash: string;
  report: FileReport;
}

function blankReport(f: SourceFile, decision: FormatDecision, status: FileStatus, reason: string | null, hash: string | null): FileReport {
  return {
    path: f.path,
    file: f.name,
    format: decision.format,
    status,
    reason,
    detection: decision.reasons,
    bytes: f.size,
    fileHash: hash,
    readings: 0,
    events: 0,
    patients: [],
    warnings: [],
    notes: [],
  };
}

/**
 * Step 1, before the database is touched: detect and hash every file. Unrecognised files found
 * in a folder and second copies are reported as skipped; an unrecognised file named explicitly,
 * or nothing to import at all, is an error.
 */
async function planImport(req: ImportRequest, options: ImportOptions, progress: ImportProgress): Promise<{ planned: Planned[]; skipped: FileReport[] }> {
  const planned: Planned[] = [];
  const skipped: FileReport[] = [];
  for (const c of await expandPaths(req.paths)) {
    const file = await loadSourceFile(c.path);
    const decision = decideFormat(file, req.format ?? null, options.mapping);
    if (decision.format === null) {
      if (c.explicit) {
        throw new StudioError(
          'UNSUPPORTED',
          `${file.name}: the format was not recognised from its content. ${decision.reasons.join('; ')}. Name it with --format (or give --mapping for a generic CSV).`,
          { file: file.path },
        );
      }
      skipped.push(blankReport(file, decision, 'skipped', 'format not recognised', null));
      continue;
    }
    progress.update?.(0, null, `checking ${file.name}`);
    const hash = await hashFile(file.path, progress.signal);
    const report = blankReport(file, decision, 'imported', null, hash);
    if (planned.some((p) => p.hash === hash)) {
      report.status = 'duplicate';
      report.reason = `same content as ${planned.find((p) => p.hash === hash)!.file.name}`;
      skipped.push(report);
      continue;
    }
    planned.push({ file, explicit: c.explicit, decision, hash, report });
  }
  if (planned.length === 0) {
    throw new StudioError(
      'UNSUPPORTED',
      `No file in ${req.paths.join(', ')} was recognised as a glucose export (${skipped.map((f) => f.file).join(', ')}). Name the format with --format, or give --mapping for a generic CSV.`,
    );
  }
  return { planned, skipped };
}

function checkNewDatasetName(req: ImportRequest): void {
  if (req.create === true && typeof req.dataset === 'string' && !/^\d+$/.test(req.dataset) && !DATASET_NAME_PATTERN.test(req.dataset)) {
    throw new StudioError(
      'INVALID_INPUT',
      `"${req.dataset}" is not a valid dataset name: use 1–100 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit.`,
    );
  }
}

type Sinks = Map<SourceFile, { sink: RecordSink; key: number | null }>;

/** A sink per file: the database for new content, a discarding one for files the dataset already holds. */
function sinksFor(
  planned: readonly Planned[],
  begun: BegunImport,
  client: DbWorkerClient,
  timeZone: string | null,
  latest: Map<number, { ts: number; off: number | null }>,
): Sinks {
  const sinks: Sinks = new Map();
  planned.forEach((p, key) => {
    const before = begun.existing.get(p.hash);
    if (before !== undefined) {
      p.report.status = 'already imported';
      p.report.reason = `already imported into "${begun.datasetName}" (as ${before}); nothing added`;
      sinks.set(p.file, { sink: new DiscardSink(), key: null });
      return;
    }
    client.addImport(key, p.file.name, p.hash, p.file.size, p.decision.format!);
    sinks.set(p.file, { sink: new DbSink(client, key, timeZone, latest), key });
  });
  return sinks;
}

/** Files that import together (a Nightscout export's collections), in order. */
function importGroups(planned: readonly Planned[]): Planned[][] {
  const groups = new Map<string, Planned[]>();
  for (const p of planned) {
    const imp = importerFor(p.decision.format!);
    const k = `${imp.id}\u0000${imp.groupKey?.(p.file) ?? p.file.path}`;
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [p]);
    else g.push(p);
  }
  return [...groups.values()];
}

/** Runs one group's importer; a parse error names the file where the importer did not. */
async function runGroup(group: readonly Planned[], ctx: ImportContext): Promise<void> {
  const imp = importerFor(group[0]!.decision.format!);
  try {
    await imp.run(
      group.map((p) => p.file),
      ctx,
    );
  } catch (e) {
    const err = toStudioError(e, 'PARSE');
    // Importers name the file in their messages; add it where a helper did not.
    if (group.length === 1 && !err.message.includes(group[0]!.file.name)) {
      throw new StudioError(err.code, `${group[0]!.file.name}: ${err.message}`, { ...(err.details ?? {}), file: group[0]!.file.path }, { cause: err });
    }
    throw err;
  }
}

/** Copies what each file of an imported group added into its report and its imports row; returns the rows added. */
function recordGroup(group: readonly Planned[], sinks: Sinks, client: DbWorkerClient): number {
  const imp = importerFor(group[0]!.decision.format!);
  let rows = 0;
  for (const p of group) {
    const s = sinks.get(p.file)!;
    if (s.sink instanceof DbSink && s.key !== null) {
      p.report.readings = s.sink.readings;
      p.report.events = s.sink.events;
      p.report.patients = [...s.sink.patientIds].sort();
      p.report.warnings = s.sink.list();
      p.report.notes = s.sink.notes;
      client.finishImport(s.key, s.sink.readings, s.sink.events, JSON.stringify(p.report.warnings));
      rows += s.sink.readings + s.sink.events;
      if (s.sink.readings + s.sink.events === 0 && p.report.notes.length === 0 && imp.id !== 'nightscout') {
        p.report.warnings.push({ code: 'empty', message: `${p.file.name} held no readings or events.`, count: 1, firstLine: null });
      }
    }
  }
  return rows;
}

/**
 * Imports `req.paths` into one dataset in one transaction on its own connection to
 * `databaseFile`. Throws (and writes nothing) on any error; the message names the file
 * and line.
 */
export async function importFiles(databaseFile: string, req: ImportRequest, progress: ImportProgress = {}): Promise<ImportReport> {
  const started = performance.now();
  const { options, zone } = resolveOptions(req);
  const signal = progress.signal;
  const { planned, skipped } = await planImport(req, options, progress);

  // 2. One transaction on the import's own connection, on a worker thread.
  checkNewDatasetName(req);
  // Migrates a new file (and refuses one written by a newer app) before the worker opens it.
  Store.open(databaseFile).close();
  const client = new DbWorkerClient(databaseFile);
  let begun: BegunImport | null = null;
  const latest = new Map<number, { ts: number; off: number | null }>();
  try {
    begun = await client.begin(
      req.dataset,
      req.create === true,
      planned.map((p) => p.hash),
    );
    const sinks = sinksFor(planned, begun, client, options.timeZone, latest);
    const total = planned.filter((p) => p.report.status === 'imported').reduce((a, p) => a + p.file.size, 0);
    let doneBefore = 0;
    let rows = 0;
    for (const group of importGroups(planned)) {
      if (group.every((p) => p.report.status !== 'imported')) continue;
      await runGroup(group, {
        options,
        zone,
        signal,
        sinkFor: (f) => {
          const s = sinks.get(f);
          if (s === undefined) throw new StudioError('INTERNAL', `no sink for ${f.name}`);
          return s.sink;
        },
        onBytes: (f, bytes) => {
          const s = sinks.get(f)?.sink;
          const current = s instanceof DbSink ? s.readings + s.events : 0;
          progress.update?.(doneBefore + Math.min(bytes, f.size), total, `${f.name} ${(rows + current).toLocaleString('en-US')} rows`);
        },
      });
      rows += recordGroup(group, sinks, client);
      for (const p of group) if (p.report.status === 'imported') doneBefore += p.file.size;
      if (signal?.aborted === true) throw signal.reason instanceof Error ? signal.reason : new StudioError('CANCELLED', 'Import was cancelled.');
      // surfaces a write error of the database thread at the group that caused it
      await client.sync();
    }
    client.setOffsets([...latest].filter(([, v]) => v.off !== null).map(([k, v]) => [k, v.off!]));
    await client.commit();
    if (total > 0) progress.update?.(total, total, `${rows.toLocaleString('en-US')} rows`);
  } catch (e) {
    await client.rollback();
    throw e;
  } finally {
    await client.close();
  }

  const files = [...planned.map((p) => p.report), ...skipped];
  return {
    dataset: begun.datasetName,
    datasetId: begun.datasetId,
    createdDataset: begun.created,
    files,
    readings: files.reduce((a, f) => a + f.readings, 0),
    events: files.reduce((a, f) => a + f.events, 0),
    warnings: files.reduce((a, f) => a + f.warnings.reduce((b, w) => b + w.count, 0), 0),
    durationMs: performance.now() - started,
  };
}
