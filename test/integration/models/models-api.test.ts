import { copyFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../../src-main/engine/api/contract.js';
import { StudioService } from '../../../src-main/engine/api/service.js';
import { createLogger } from '../../../src-main/engine/logger.js';
import { parseSafetensors } from '../../../src-main/engine/ttm/safetensors.js';
import { tempDir } from '../../helpers/tmp.js';
import { FIXTURE_CASES, fixtureBytes, fixturePath, type FixtureCase } from '../../unit/ttm/fixtures.js';
import { R2_REPO, startHubServer, type HubServer } from './hub-server.js';
import { rejection } from '../../helpers/rejection.js';

let tmp: { dir: string; cleanup: () => void };
let hub: HubServer;
let n = 0;

function service(): { s: StudioService; events: ApiEvent[]; dataDir: string } {
  const dataDir = join(tmp.dir, `data-${n++}`);
  const s = new StudioService({ dataDir, logger: createLogger({ logsDir: join(dataDir, 'logs'), level: 'error' }) });
  const events: ApiEvent[] = [];
  s.subscribe((e) => events.push(e));
  return { s, events, dataDir };
}

beforeAll(async () => {
  tmp = tempDir('ttm-models-');
  hub = await startHubServer({ main: 'r2_512_96' });
});
afterAll(async () => {
  await hub.close();
  tmp.cleanup();
});

describe('models.pull', () => {
  it('resolves the revision from the model table, downloads with progress events and registers the model', async () => {
    const { s, events, dataDir } = service();
    try {
      hub.seen = [];
      const res = await s.invoke('models.pull', {
        repo: R2_REPO,
        contextLength: 512,
        forecastLength: 96,
        endpoint: hub.endpoint,
        operationId: 'pull-test-1',
      });
      expect(res.fromCache).toBe(false);
      expect(res.key).toBe('512-96-r2');
      expect(res.model).toMatchObject({
        name: 'ttm-r2-512-96',
        source: 'hub',
        repo: R2_REPO,
        revision: 'main',
        contextLength: 512,
        forecastLength: 96,
        channels: 1,
      });
      expect(res.model.path).toBe(join(dataDir, 'models', 'hub', 'ibm-granite', 'granite-timeseries-ttm-r2', 'main'));
      expect(res.model.parameters).toEqual({ total: 805_280, trainableFrozenBackbone: 289_696 });
      expect(hub.seen.map((r) => r.url)).toEqual([`/${R2_REPO}/resolve/main/config.json`, `/${R2_REPO}/resolve/main/model.safetensors`]);

      const progress = events.filter((e) => e.type === 'progress' && e.operationId === 'pull-test-1');
      expect(progress.length).toBeGreaterThan(0);
      const last = progress.at(-1)!;
      const size = hub.fileBytes('r2_512_96', 'model.safetensors').length + hub.fileBytes('r2_512_96', 'config.json').length;
      expect(last).toMatchObject({ type: 'progress', unit: 'bytes', done: size, total: size });
      for (let i = 1; i < progress.length; i++)
        expect((progress[i] as { done: number }).done).toBeGreaterThanOrEqual((progress[i - 1] as { done: number }).done);
      expect(events.find((e) => e.type === 'operation.end' && e.operationId === 'pull-test-1')).toMatchObject({ status: 'completed' });
      expect(events.some((e) => e.type === 'data.changed' && e.what === 'models')).toBe(true);

      expect((await s.invoke('models.list', {})).map((m) => m.name)).toEqual(['ttm-r2-512-96']);
      // Second pull: served from the cache, no requests.
      hub.seen = [];
      const again = await s.invoke('models.pull', { repo: R2_REPO, contextLength: 600, forecastLength: 96, endpoint: hub.endpoint });
      expect(again.fromCache).toBe(true);
      expect(hub.seen).toEqual([]);
      expect((await s.invoke('models.list', {})).length).toBe(1);
    } finally {
      s.close();
    }
  });

  it('honours HF_ENDPOINT and HF_TOKEN from the environment', async () => {
    const { s } = service();
    const saved = { e: process.env.HF_ENDPOINT, t: process.env.HF_TOKEN };
    process.env.HF_ENDPOINT = hub.endpoint;
    process.env.HF_TOKEN = 'hf_secret';
    try {
      hub.seen = [];
      const res = await s.invoke('models.pull', { revision: 'main', name: 'mine' });
      expect(res.model.name).toBe('mine');
      expect(hub.seen.length).toBe(2);
      expect(hub.seen.every((r) => r.auth === 'Bearer hf_secret')).toBe(true);
    } finally {
      if (saved.e === undefined) delete process.env.HF_ENDPOINT;
      else process.env.HF_ENDPOINT = saved.e;
      if (saved.t === undefined) delete process.env.HF_TOKEN;
      else process.env.HF_TOKEN = saved.t;
      s.close();
    }
  });

  it('is cancelled by operationId, keeps the partial download and resumes it with a Range request', async () => {
    const { s, events, dataDir } = service();
    try {
      hub.mode = 'stall';
      hub.stallAfter = 1 << 20;
      hub.seen = [];
      const pending = s.invoke('models.pull', { revision: 'main', endpoint: hub.endpoint, operationId: 'pull-cancel-1' });
      // Cancel once the first MiB is on disk (the server then stalls).
      const partial = join(dataDir, 'models', 'hub', 'ibm-granite', 'granite-timeseries-ttm-r2', '.main.download', 'model.safetensors.partial');
      for (let i = 0; i < 400; i++) {
        if (((await stat(partial).catch(() => null))?.size ?? 0) >= 1 << 20) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(events.some((e) => e.type === 'progress' && e.operationId === 'pull-cancel-1')).toBe(true);
      expect((await s.invoke('operations.cancel', { operationId: 'pull-cancel-1' })).cancelled).toBe(true);
      const err = await rejection(pending);
      expect(err.code).toBe('CANCELLED');
      expect(events.find((e) => e.type === 'operation.end' && e.operationId === 'pull-cancel-1')).toMatchObject({ status: 'cancelled' });
      expect(await s.invoke('models.list', {})).toEqual([]);

      hub.mode = 'normal';
      hub.seen = [];
      const res = await s.invoke('models.pull', { revision: 'main', endpoint: hub.endpoint });
      expect(res.fromCache).toBe(false);
      // config.json was complete; only the rest of model.safetensors is fetched.
      expect(hub.seen.map((r) => [r.url.split('/').at(-1), r.range])).toEqual([['model.safetensors', `bytes=${1 << 20}-`]]);
      const file = await stat(join(res.model.path, 'model.safetensors'));
      expect(file.size).toBe(hub.fileBytes('r2_512_96', 'model.safetensors').length);
      expect(res.model.available).toBe(true);
    } finally {
      hub.mode = 'normal';
      s.close();
    }
  });

  it('resumes by itself when the connection drops mid-file', async () => {
    const { s } = service();
    try {
      hub.mode = 'drop';
      hub.stallAfter = 1 << 20;
      hub.seen = [];
      const res = await s.invoke('models.pull', { revision: 'main', endpoint: hub.endpoint });
      expect(res.model.available).toBe(true);
      const safetensors = hub.seen.filter((r) => r.url.endsWith('/model.safetensors'));
      expect(safetensors.length).toBe(2);
      expect(safetensors[0]!.range).toBeUndefined();
      // Resumed where the partial file ended (all of the first MiB, unless the cut lost a tail).
      const from = Number(/^bytes=(\d+)-$/.exec(safetensors[1]!.range ?? '')?.[1]);
      expect(from).toBeGreaterThan(0);
      expect(from).toBeLessThanOrEqual(1 << 20);
    } finally {
      hub.mode = 'normal';
      s.close();
    }
  });

  it('reports a missing revision or an unmatched window clearly', async () => {
    const { s } = service();
    try {
      const e404 = await rejection(s.invoke('models.pull', { revision: '1536-720-r2', endpoint: hub.endpoint }));
      expect(e404.code).toBe('NOT_FOUND');
      expect(e404.message).toContain(R2_REPO);
      expect(e404.message).toContain('1536-720-r2');
      expect(e404.message).toContain('config.json');
      const short = await rejection(s.invoke('models.pull', { contextLength: 40, forecastLength: 16, endpoint: hub.endpoint }));
      expect(short.code).toBe('NOT_FOUND');
      expect(short.message).toMatch(/No TTM takes a context as short as 40/);
      const none = await rejection(s.invoke('models.pull', { endpoint: hub.endpoint }));
      expect(none.code).toBe('INVALID_INPUT');
      expect(none.message).toMatch(/--context 512 --forecast 96/);
      expect(await s.invoke('models.list', {})).toEqual([]);
    } finally {
      s.close();
    }
  });
});

describe('models.import / show / delete', () => {
  it('validates and registers a fixture directory without copying it', async () => {
    const { s } = service();
    try {
      const m = await s.invoke('models.import', { path: fixturePath('r2_mixchannel_exog', ''), name: 'exog' });
      expect(m).toMatchObject({ name: 'exog', source: 'local', contextLength: 512, forecastLength: 96, channels: 4, available: true, problem: null });
      expect(m.path).toBe(fixturePath('r2_mixchannel_exog', '').replace(/\/$/, ''));
      expect(m.files.map((f) => f.name)).toContain('model.safetensors');
      expect(m.config.exogenous_channel_indices).toEqual([1, 2]);
      const shown = await s.invoke('models.show', { model: m.id });
      expect(shown.parameters.total).toBe(m.parameters.total);
      // Re-importing the same directory under the same name is idempotent; another dir under that name is a conflict.
      await s.invoke('models.import', { path: fixturePath('r2_mixchannel_exog', ''), name: 'exog' });
      const conflict = await rejection(s.invoke('models.import', { path: fixturePath('tiny', ''), name: 'exog' }));
      expect(conflict.code).toBe('CONFLICT');
      // Deleting an imported model leaves the user's files alone.
      expect(await s.invoke('models.delete', { model: 'exog' })).toEqual({ deleted: 'exog', removedFiles: false });
      expect((await stat(fixturePath('r2_mixchannel_exog', 'model.safetensors'))).isFile()).toBe(true);
      expect(await s.invoke('models.list', {})).toEqual([]);
    } finally {
      s.close();
    }
  });

  it('refuses directories that are not consistent checkpoints, naming the problem', async () => {
    const { s } = service();
    try {
      const onlyConfig = join(tmp.dir, 'only-config');
      await mkdir(onlyConfig, { recursive: true });
      await copyFile(fixturePath('tiny', 'config.json'), join(onlyConfig, 'config.json'));
      expect((await rejection(s.invoke('models.import', { path: onlyConfig }))).message).toMatch(/no model\.safetensors/);
      const mixed = join(tmp.dir, 'mixed');
      await mkdir(mixed, { recursive: true });
      await copyFile(fixturePath('tiny', 'config.json'), join(mixed, 'config.json'));
      await copyFile(fixturePath('r2_512_96', 'model.safetensors'), join(mixed, 'model.safetensors'));
      const bad = await rejection(s.invoke('models.import', { path: mixed }));
      expect(bad.code).toBe('MODEL');
      expect(bad.message).toMatch(/do not match its config\.json/);
      expect((await rejection(s.invoke('models.import', { path: join(tmp.dir, 'nope') }))).code).toBe('NOT_FOUND');
      expect((await rejection(s.invoke('models.import', { path: fixturePath('tiny', ''), name: '42' }))).code).toBe('INVALID_INPUT');
      expect(await s.invoke('models.list', {})).toEqual([]);
    } finally {
      s.close();
    }
  });

  it('deletes a pulled model with its cached files, and never a bundled one', async () => {
    const { s } = service();
    try {
      const res = await s.invoke('models.pull', { revision: 'main', endpoint: hub.endpoint });
      expect(await s.invoke('models.delete', { model: res.model.name })).toEqual({ deleted: res.model.name, removedFiles: true });
      expect(await stat(res.model.path).catch(() => null)).toBeNull();
      s.store.models.upsert({ name: 'builtin', source: 'bundled', path: fixturePath('tiny', '') });
      expect((await rejection(s.invoke('models.delete', { model: 'builtin' }))).code).toBe('INVALID_INPUT');
      expect((await rejection(s.invoke('models.show', { model: 'missing' }))).code).toBe('NOT_FOUND');
    } finally {
      s.close();
    }
  });
});

describe('models.exportOnnx', () => {
  it.each(FIXTURE_CASES)('%s: the exported file runs in a bare onnxruntime session and matches the reference outputs', async (c: FixtureCase) => {
    const { s, dataDir } = service();
    try {
      await s.invoke('models.import', { path: fixturePath(c, ''), name: c });
      const file = join(dataDir, `${c}.onnx`);
      const res = await s.invoke('models.exportOnnx', { model: c, path: file });
      expect(res.bytes).toBe((await stat(file)).size);
      expect((await rejection(s.invoke('models.exportOnnx', { model: c, path: file }))).code).toBe('CONFLICT');

      const io = parseSafetensors(fixtureBytes(c, 'io.safetensors'));
      const session = await InferenceSession.create(file, { intraOpNumThreads: 1 });
      try {
        expect(session.inputNames).toEqual(res.inputs);
        expect(session.inputNames[0]).toBe('past_values');
        const feeds: Record<string, Tensor> = {};
        for (const name of session.inputNames) {
          const t = io.get(name);
          if (name === 'freq_token') {
            const tokens = t.data() as BigInt64Array;
            feeds[name] = new Tensor('int64', BigInt64Array.from(tokens), [tokens.length]);
          } else {
            feeds[name] = new Tensor('float32', t.toFloat32(), t.shape);
          }
        }
        const out = await session.run(feeds);
        const ref = io.get('prediction_outputs');
        const got = out.prediction_outputs;
        expect(got.dims).toEqual(ref.shape);
        const want = ref.toFloat32();
        const data = got.data as Float32Array;
        for (let i = 0; i < want.length; i++) expect(Math.abs(data[i] - want[i])).toBeLessThanOrEqual(1e-3 + 1e-5 * Math.abs(want[i]));
        const loc = io.get('loc').toFloat32();
        const gotLoc = out.loc.data as Float32Array;
        for (let i = 0; i < loc.length; i++) expect(Math.abs(gotLoc[i] - loc[i])).toBeLessThanOrEqual(1e-4);
      } finally {
        await session.release();
      }
    } finally {
      s.close();
    }
  });

  it('adds past_observed_mask on request', async () => {
    const { s, dataDir } = service();
    try {
      await s.invoke('models.import', { path: fixturePath('tiny', ''), name: 'tiny' });
      const res = await s.invoke('models.exportOnnx', { model: 'tiny', path: join(dataDir, 'm.onnx'), observedMask: true });
      expect(res.inputs).toEqual(['past_values', 'past_observed_mask']);
    } finally {
      s.close();
    }
  });
});
