/**
 * What the web host lets a request name on the server's disk. The CLI and the desktop app run
 * as the user and pass paths through unchanged; anyone holding the web token, though, must not
 * read /proc/self/environ or list /etc through an import preview. So before a request reaches
 * the StudioService, every server-side path in it is checked here:
 *
 * - files read (datasets.detect / preview / import, models.import, a local modelPath) must lie
 *   inside the upload area (`<dataDir>/uploads`, where POST /api/upload puts files);
 * - files written (reports.generate out, forecast.predict out, models.exportOnnx path, a
 *   training loggingDir) must lie inside the data directory's reports folder;
 * - cluster jobs are written (jobs.export out) and read back (jobs.import dir) only inside the
 *   data directory's cluster-jobs folder: a job folder holds patient data and a script.
 *
 * Paths are compared after resolving symlinks (of the path itself, or of its deepest existing
 * ancestor for files still to be written), so a link inside the upload area cannot point out.
 */
import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { StudioError } from '../engine/errors.js';

export interface PathPolicy {
  /** Folders whose contents may be read (the upload area). */
  readRoots: readonly string[];
  /** Folders a request may write into (the reports folder). */
  writeRoots: readonly string[];
  /** Folders cluster jobs are exported to and imported from (`<dataDir>/cluster-jobs`). */
  jobRoots: readonly string[];
}

/** realpath of the path, or of its deepest existing ancestor joined with the rest. */
function realish(p: string): string {
  let cur = resolve(p);
  const rest: string[] = [];
  for (;;) {
    try {
      const real = realpathSync(cur);
      return rest.length === 0 ? real : resolve(real, ...rest.reverse());
    } catch {
      const parent = dirname(cur);
      if (parent === cur) return resolve(p);
      rest.push(cur.slice(parent.length).replace(/^[/\\]+/, ''));
      cur = parent;
    }
  }
}

export function isInside(root: string, p: string): boolean {
  const rel = relative(realish(root), realish(p));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

const REFUSALS = {
  read: (method: string) =>
    `${method} through the web host reads uploaded files only: upload the file (the import wizard does) and use the path it returns. Use the ttm-studio command line on the server for other folders.`,
  write: (method: string) =>
    `${method} through the web host writes into the data directory's reports folder only; leave the output path out to use the default.`,
  job: (method: string) =>
    `${method} through the web host works in the data directory's cluster-jobs folder only: leave the folder out to use the default, and copy a finished job back into that folder to import it. Use the ttm-studio command line on the server for other folders.`,
} as const;

function refuse(kind: keyof typeof REFUSALS, method: string): StudioError {
  return new StudioError('INVALID_INPUT', REFUSALS[kind](method), { httpStatus: 403 });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A TTM config's modelPath is a hub repo id (owner/name) or a local directory. */
const looksLikeRepo = (s: string): boolean => /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s) && !s.startsWith('.');

/** Throws StudioError (HTTP 403) when `payload` names a server path the web host does not allow. */
export function checkWebRequestPaths(method: string, payload: unknown, policy: PathPolicy): void {
  if (!isObject(payload)) return;
  const read = (p: unknown): void => {
    if (typeof p !== 'string') return; // the request schema reports the type error
    if (!policy.readRoots.some((r) => isInside(r, p))) throw refuse('read', method);
  };
  const write = (p: unknown): void => {
    if (typeof p !== 'string') return;
    if (!policy.writeRoots.some((r) => isInside(r, p))) throw refuse('write', method);
  };
  const job = (p: unknown): void => {
    if (typeof p !== 'string') return;
    if (!policy.jobRoots.some((r) => isInside(r, p))) throw refuse('job', method);
  };
  /** A training config's local base model is read, its logging folder written. */
  const trainingConfig = (config: unknown): void => {
    if (!isObject(config)) return;
    for (const key of ['modelPath', 'model_path']) {
      const v = config[key];
      if (typeof v === 'string' && !looksLikeRepo(v)) read(v);
    }
    for (const key of ['loggingDir', 'logging_dir']) {
      if (config[key] !== undefined && config[key] !== null) write(config[key]);
    }
  };
  switch (method) {
    case 'datasets.detect':
    case 'datasets.import':
      if (Array.isArray(payload.paths)) payload.paths.forEach(read);
      break;
    case 'datasets.preview':
    case 'models.import':
      read(payload.path);
      break;
    case 'models.exportOnnx':
      write(payload.path);
      break;
    case 'reports.generate':
    case 'forecast.predict':
      if (payload.out !== undefined) write(payload.out);
      break;
    case 'train.start':
      trainingConfig(payload.config);
      break;
    case 'jobs.export':
      trainingConfig(payload.config);
      if (payload.out !== undefined) job(payload.out);
      break;
    case 'jobs.import':
      job(payload.dir);
      break;
    default:
      break;
  }
}
