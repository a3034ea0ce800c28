/**
 * Crash-safe writes. A file goes to a temp file in the same directory (same filesystem, so
 * rename is atomic), is fsynced, then renamed over the target: a crash leaves either the old
 * file or the new one, never half of one; a stray `.tmp-*` file at worst. A directory (a
 * checkpoint, a downloaded model) is staged in full beside its target and swapped in by
 * rename, the previous copy moved aside first and put back if the swap fails.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StudioError } from '../errors.js';

export function tempSiblingPath(path: string, tag = 'tmp'): string {
  return join(dirname(path), `.${basename(path)}.${tag}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = tempSiblingPath(path);
  try {
    await mkdir(dirname(path), { recursive: true });
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    if (e instanceof StudioError) throw e;
    throw new StudioError('IO', `Cannot write ${path}: ${(e as Error).message}`, { path }, { cause: e });
  }
}

/**
 * The synchronous form, for writes that must finish before the process exits (the app's
 * window position at shutdown); no fsync, since a lost write there costs nothing.
 */
export function writeFileAtomicSync(path: string, data: Uint8Array | string): void {
  const tmp = tempSiblingPath(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * A file too large to build in memory (a forecast CSV), written chunk by chunk through a temp
 * sibling and renamed into place when `fill` is done; on any error the temp file is removed.
 */
export async function writeStreamAtomic(path: string, fill: (write: (chunk: string) => Promise<void>) => Promise<void>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempSiblingPath(path);
  const out = createWriteStream(tmp);
  try {
    const write = (chunk: string): Promise<void> => (out.write(chunk) ? Promise.resolve() : new Promise((res) => out.once('drain', () => res())));
    await fill(write);
    await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
    await rename(tmp, path);
  } catch (e) {
    out.destroy();
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

/** fsyncs a directory so a rename inside it survives power loss (no-op where unsupported). */
export async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some platforms (Windows) cannot open or fsync a directory; the rename is still atomic there.
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Puts the complete directory `staging` (a sibling of `dir`) in place of `dir`. The previous
 * `dir`, if any, is renamed aside first and deleted only once the new one is in place; if the
 * swap fails it is renamed back, so `dir` is never left missing. Both directories are fsynced
 * so the swap survives power loss. The caller removes `staging` if this throws.
 */
export async function replaceDirectory(staging: string, dir: string): Promise<void> {
  await syncDir(staging);
  const old = tempSiblingPath(dir, 'old');
  const hadOld = await exists(dir);
  if (hadOld) await rename(dir, old);
  try {
    await rename(staging, dir);
    await syncDir(dirname(dir));
  } catch (e) {
    if (hadOld && !(await exists(dir))) await rename(old, dir).catch(() => undefined);
    throw e;
  }
  if (hadOld) await rm(old, { recursive: true, force: true });
}
