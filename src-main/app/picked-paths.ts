/**
 * The desktop window's import allow-list. The renderer is sandboxed, but a compromised page
 * must still not read ~/.ssh through an import preview: the main process lets
 * `datasets.detect`, `datasets.preview` and `datasets.import` name only files and folders the
 * user picked since the app started, in the native open dialog (main process) or by choosing
 * or dropping a file into the window (the preload turns that File into its path with
 * webUtils.getPathForFile and registers it; a File the page makes itself has no path).
 *
 * A picked file allows itself; a picked folder allows everything inside it (the importer walks
 * it). Paths are compared after resolving symbolic links, so a link inside a picked folder
 * cannot point out of it. Plain Node: no Electron import, so it is unit-tested directly.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { StudioError } from '../engine/errors.js';
import { isInside } from '../server/path-policy.js';

/** Requests whose paths the desktop window may only take from the user's picks. */
export const PICKED_PATH_METHODS: ReadonlySet<string> = new Set(['datasets.detect', 'datasets.preview', 'datasets.import']);

export class PickedPaths {
  private readonly files = new Set<string>();
  private readonly folders = new Set<string>();

  /** Records paths the user picked; returns the absolute paths recorded (missing ones are skipped). */
  add(paths: readonly string[]): string[] {
    const out: string[] = [];
    for (const raw of paths) {
      if (typeof raw !== 'string' || raw === '') continue;
      const p = resolve(raw);
      let isDir: boolean;
      try {
        isDir = statSync(p).isDirectory();
      } catch {
        continue;
      }
      (isDir ? this.folders : this.files).add(p);
      out.push(p);
    }
    return out;
  }

  /** True when `path` is a picked file, or lies in (or is) a picked folder. */
  allows(path: string): boolean {
    if (typeof path !== 'string' || path === '') return false;
    const p = resolve(path);
    for (const f of this.files) if (isInside(f, p) && isInside(p, f)) return true;
    for (const d of this.folders) if (isInside(d, p)) return true;
    return false;
  }

  get size(): number {
    return this.files.size + this.folders.size;
  }
}

/** Throws UNAUTHORIZED when a request of the desktop window names a path the user did not pick. */
export function checkPickedPaths(method: string, payload: unknown, picked: PickedPaths): void {
  if (!PICKED_PATH_METHODS.has(method) || typeof payload !== 'object' || payload === null) return;
  const p = payload as { paths?: unknown; path?: unknown };
  const named = method === 'datasets.preview' ? [p.path] : Array.isArray(p.paths) ? p.paths : [];
  for (const x of named) {
    if (typeof x !== 'string') continue; // the request schema reports the type error
    if (!picked.allows(x)) {
      throw new StudioError(
        'UNAUTHORIZED',
        `${method} in the desktop window reads only files and folders you picked (Choose files…, Choose a folder…, or dropped into the window); pick ${x.length > 120 ? 'the file' : `"${x}"`} first.`,
      );
    }
  }
}
