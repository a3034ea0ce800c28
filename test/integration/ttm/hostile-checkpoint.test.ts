/**
 * A model folder is untrusted: devices, FIFOs, oversized configs and damaged weights must be
 * refused quickly with a clear message (never a hang or gigabytes of memory).
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_MODEL_PARAMETERS, checkModelSize, loadCheckpoint, maxWeightsFileBytes } from '../../../src-main/engine/ttm/checkpoint.js';
import { parseHfConfig } from '../../../src-main/engine/ttm/hf-config.js';
import { parseSafetensors, serializeSafetensors } from '../../../src-main/engine/ttm/safetensors.js';
import { fixtureBytes, fixtureConfigRaw, fixturePath } from '../../unit/ttm/fixtures.js';
import { rejection } from '../../helpers/rejection.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const scratch = useTempDir('ttm-hostile-');
let n = 0;

/** A folder holding the tiny fixture's config.json; the caller adds model.safetensors. */
async function folder(config: unknown = fixtureConfigRaw('tiny')): Promise<string> {
  const dir = join(scratch.dir, `m${n++}`);
  await mkdir(dir);
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

describe('hostile model folders', () => {
  it('refuses a FIFO as model.safetensors without blocking', async () => {
    const dir = await folder();
    execFileSync('mkfifo', [join(dir, 'model.safetensors')]);
    const e = await rejection(loadCheckpoint(dir));
    expect(e.message).toMatch(/model\.safetensors is a FIFO \(named pipe\), not a regular file/);
  }, 5000);

  it('refuses config.json or model.safetensors symlinked to /dev/zero', async () => {
    const a = await folder();
    await symlink('/dev/zero', join(a, 'model.safetensors'));
    expect((await rejection(loadCheckpoint(a))).message).toMatch(/model\.safetensors is a device, not a regular file/);
    const b = join(scratch.dir, `m${n++}`);
    await mkdir(b);
    await symlink('/dev/urandom', join(b, 'config.json'));
    expect((await rejection(loadCheckpoint(b))).message).toMatch(/config\.json is a device, not a regular file/);
  }, 5000);

  it('refuses an oversized config.json unread', async () => {
    const dir = await folder({ ...(fixtureConfigRaw('tiny') as object), padding: 'x'.repeat(2 * 1024 * 1024) });
    expect((await rejection(loadCheckpoint(dir))).message).toMatch(/config\.json is 2,09\d,\d+ bytes; at most 1,048,576/);
  });

  it('refuses num_layers: 1000000 and too many parameters before building anything', async () => {
    const huge = await folder({ ...(fixtureConfigRaw('tiny') as object), num_layers: 1_000_000 });
    const e = await rejection(loadCheckpoint(huge));
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toMatch(/num_layers/);

    const wide = { ...(fixtureConfigRaw('tiny') as object), d_model: 4096, expansion_factor: 8, num_layers: 8 };
    expect(() => checkModelSize(parseHfConfig(wide), 'config.json')).toThrow(/parameters; TTM Studio loads models up to 50,000,000/);
    const dir = await folder(wide);
    const e2 = await rejection(loadCheckpoint(dir));
    expect(e2.code).toBe('MODEL');
    expect(e2.details).toMatchObject({ limit: MAX_MODEL_PARAMETERS });
  }, 5000);

  it('refuses weights larger than the config can justify', async () => {
    const dir = await folder();
    const limit = maxWeightsFileBytes(parseHfConfig(fixtureConfigRaw('tiny')));
    await writeFile(join(dir, 'model.safetensors'), Buffer.alloc(limit + 1));
    expect((await rejection(loadCheckpoint(dir))).message).toMatch(/do not match its config\.json: the file is [\d,]+ bytes, more than/);
  });

  it('refuses NaN and Infinity weights, naming the tensor', async () => {
    const file = parseSafetensors(fixtureBytes('tiny', 'model.safetensors'));
    const tensors = new Map([...file.tensors.values()].map((t) => [t.name, { dtype: t.dtype, shape: t.shape, data: t.data().slice() }]));
    const name = 'head.base_forecast_block.bias';
    const bias = tensors.get(name);
    if (bias === undefined) throw new Error('fixture lacks the head bias');
    (bias.data as Float32Array)[2] = Number.NaN;
    const dir = await folder();
    await writeFile(join(dir, 'model.safetensors'), serializeSafetensors(tensors));
    const e = await rejection(loadCheckpoint(dir));
    expect(e.code).toBe('MODEL');
    expect(e.message).toMatch(/Weight "head\.base_forecast_block\.bias" in .* contains NaN \(at element 2\)/);

    (bias.data as Float32Array)[2] = Number.POSITIVE_INFINITY;
    await writeFile(join(dir, 'model.safetensors'), serializeSafetensors(tensors));
    expect((await rejection(loadCheckpoint(dir))).message).toMatch(/contains Infinity/);
  });

  it('still loads the fixture through a symlink to a regular file', async () => {
    const dir = join(scratch.dir, `m${n++}`);
    await mkdir(dir);
    await copyFile(fixturePath('tiny', 'config.json'), join(dir, 'config.json'));
    await symlink(fixturePath('tiny', 'model.safetensors'), join(dir, 'model.safetensors'));
    const ck = await loadCheckpoint(dir);
    expect(ck.weights.size).toBeGreaterThan(0);
    expect((await readFile(join(dir, 'config.json'))).length).toBeGreaterThan(0);
  });
});
