/**
 * The streaming importer's memory stays bounded: in a clean child process, RSS growth while
 * importing a generated 3M-row Clarity CSV (~210 MB) is well below the file's size, barely
 * more than for a file six times smaller, and nothing stays on the heap afterwards.
 * The child's V8 heap is capped (old space 64 MB, small young generation): a 210 MB file
 * can only import if memory is bounded, and the cap keeps RSS peaks from depending on when
 * the garbage collector happens to run. No time assertions.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { z } from 'zod';
import { REPO_ROOT, tempDir } from '../../helpers/tmp.js';

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => tmp.cleanup());

const Result = z.object({
  smallBytes: z.number(),
  bigBytes: z.number(),
  smallEgv: z.number(),
  bigEgv: z.number(),
  readings: z.array(z.number()),
  growthSmall: z.number(),
  growthBig: z.number(),
  retained: z.number(),
});

it('imports a 3M-row CSV with RSS growth well below the file size and independent of it', async () => {
  // bundled inside the checkout (node_modules/.cache) so the native module and the
  // import's database thread resolve better-sqlite3 as in the app
  const out = join(REPO_ROOT, 'node_modules', '.cache', `ttm-import-memory-${process.pid}.mjs`);
  await build({
    entryPoints: [join(REPO_ROOT, 'test/integration/data/import-memory-child.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['better-sqlite3'],
    logLevel: 'error',
  });
  let stdout: string;
  try {
    stdout = execFileSync(process.execPath, ['--expose-gc', '--max-semi-space-size=4', '--max-old-space-size=64', out, '500000', '3000000'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
  } finally {
    rmSync(out, { force: true });
  }
  const r = Result.parse(JSON.parse(stdout.trim().split('\n').at(-1)!));
  expect(r.readings).toEqual([r.smallEgv, r.bigEgv]);
  expect(r.bigBytes).toBeGreaterThan(200 * 1024 * 1024);
  // page cache (16 MB), read chunks, insert batches and V8's young generation — not the file
  expect(r.growthBig).toBeLessThan(r.bigBytes / 2);
  // six times the bytes add less than an eighth of the extra bytes
  expect(r.growthBig - r.growthSmall).toBeLessThan((r.bigBytes - r.smallBytes) / 8);
  // nothing of the import stays reachable
  expect(r.retained).toBeLessThan(8 * 1024 * 1024);
});
