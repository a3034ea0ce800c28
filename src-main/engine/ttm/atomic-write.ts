/**
 * Crash-safe file writes: data goes to a temp file in the same directory (same filesystem, so
 * rename is atomic), is fsynced, then renamed over the target. A crash leaves either the old
 * file or the new one, never half of one; a stray `.tmp-*` file at worst.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
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
