import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replaceDirectory, writeFileAtomic, writeFileAtomicSync, writeStreamAtomic } from '../../../src-main/engine/util/atomic-write.js';

describe('atomic writes', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'atomic-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('replaces a file and leaves no temp file, async and sync', async () => {
    const f = join(root, 'a.json');
    await writeFileAtomic(f, 'one');
    await writeFileAtomic(f, 'two');
    writeFileAtomicSync(join(root, 'b.json'), 'three');
    expect(await readFile(f, 'utf8')).toBe('two');
    expect((await readdir(root)).sort()).toEqual(['a.json', 'b.json']);
  });

  it('streams a file into place, and leaves neither it nor a temp file when the writer fails', async () => {
    const f = join(root, 'forecasts.csv');
    await writeStreamAtomic(f, async (write) => {
      for (let i = 0; i < 1000; i++) await write(`${i},${'x'.repeat(100)}\n`);
    });
    expect((await readFile(f, 'utf8')).split('\n')).toHaveLength(1001);
    const g = join(root, 'broken.csv');
    await expect(
      writeStreamAtomic(g, async (write) => {
        await write('a,b\n');
        throw new Error('cut');
      }),
    ).rejects.toThrow('cut');
    expect((await readdir(root)).sort()).toEqual(['forecasts.csv']);
  });

  it('swaps a directory in and removes the previous copy', async () => {
    const dir = join(root, 'model');
    const staging = join(root, '.model.staging');
    await mkdir(dir);
    await writeFile(join(dir, 'v'), 'old');
    await mkdir(staging);
    await writeFile(join(staging, 'v'), 'new');
    await replaceDirectory(staging, dir);
    expect(await readFile(join(dir, 'v'), 'utf8')).toBe('new');
    expect(await readdir(root)).toEqual(['model']);
  });

  it('puts the previous directory back when the swap fails', async () => {
    const dir = join(root, 'model');
    await mkdir(dir);
    await writeFile(join(dir, 'v'), 'old');
    await expect(replaceDirectory(join(root, '.missing-staging'), dir)).rejects.toThrow();
    expect(await readFile(join(dir, 'v'), 'utf8')).toBe('old');
    expect(await readdir(root)).toEqual(['model']);
  });
});
