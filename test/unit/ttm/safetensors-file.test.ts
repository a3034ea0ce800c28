import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensorsFile, readSafetensorsHeader, writeSafetensorsFile } from '../../../src-main/engine/ttm/safetensors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttm-st-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('safetensors files', () => {
  it('writes atomically and reads back; the header can be read alone', async () => {
    const path = join(dir, 'a.safetensors');
    await writeSafetensorsFile(path, { w: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) } }, { format: 'pt', step: '3' });
    expect(await readdir(dir)).toEqual(['a.safetensors']);
    const f = await readSafetensorsFile(path);
    expect(f.metadata).toEqual({ format: 'pt', step: '3' });
    expect([...f.get('w').toFloat32()]).toEqual([1, 2, 3, 4]);
    expect(await readSafetensorsHeader(path)).toEqual({ __metadata__: { format: 'pt', step: '3' }, w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } });
  });

  it('reports missing and truncated files clearly', async () => {
    await expect(readSafetensorsFile(join(dir, 'none.safetensors'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const bad = join(dir, 'bad.safetensors');
    await writeFile(bad, Buffer.from([200, 0, 0, 0, 0, 0, 0, 0, 123]));
    await expect(readSafetensorsFile(bad)).rejects.toMatchObject({
      code: 'PARSE',
      message: expect.stringMatching(/bad.safetensors: the header length 200 runs past the end/),
    });
    await expect(readSafetensorsHeader(bad)).rejects.toMatchObject({ code: 'PARSE' });
    const ok = await readSafetensorsFile(join(dir, 'a.safetensors'));
    expect(() => ok.get('nope')).toThrow(/Tensor "nope" is not in .*a.safetensors/);
  });
});
