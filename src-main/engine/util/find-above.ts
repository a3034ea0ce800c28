import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The first `relPath` that exists in the folder of `moduleUrl` or a folder above it (at most 8
 * up), or null. Shipped files are found this way because the source tree, build/ and the packaged
 * app put modules at different depths below them.
 */
export function findAbove(moduleUrl: string, relPath: string): string | null {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, relPath);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}
