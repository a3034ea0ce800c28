/** The onnxruntime wrapper: option validation, provider fallback, reuse, zero-copy feeds, errors, export. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../../src-main/engine/errors.js';
import { EngineSession, GraphBuilder, createSession, saveModel, validateThreads } from '../../../src-main/engine/onnx/index.js';

function scaleGraph(): GraphBuilder {
  const b = new GraphBuilder('scale');
  const x = b.input('x', 'float32', ['batch', 3]);
  b.output(b.mul(x, b.constant('float32', [3], [1, 2, 3])), 'y');
  return b;
}

const tmp = mkdtempSync(join(tmpdir(), 'ttm-onnx-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('runtime wrapper', () => {
  it('validates the thread count: integer in 1 .. 4 × CPUs', async () => {
    const max = cpus().length * 4;
    expect(validateThreads(1)).toBe(1);
    expect(validateThreads(max)).toBe(max);
    for (const bad of [0, -1, 1.5, max + 1, Number.NaN]) {
      expect(() => validateThreads(bad)).toThrow(StudioError);
      expect(() => validateThreads(bad)).toThrow(/Thread count .* is not valid: use an integer from 1 to/);
    }
    await expect(createSession(scaleGraph().toModel(), { threads: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('falls back from CUDA to CPU with a message when CUDA cannot be used', async () => {
    const s = await createSession(scaleGraph().toModel(), { executionProvider: 'cuda', threads: 1 });
    if (s.provider === 'cpu') expect(s.fallbackMessage).toMatch(/CUDA was requested but could not be used .*running on the CPU instead/);
    else expect(s.fallbackMessage).toBeUndefined();
    const r = await s.run({ x: { data: new Float32Array([1, 1, 1]), dims: [1, 3] } });
    expect(Array.from(r.y!.data as Float32Array)).toEqual([1, 2, 3]);
    await s.release();
  });

  it('reuses one session across batch sizes (symbolic batch dim) and accepts subarray views', async () => {
    const s = await createSession(scaleGraph().toModel(), { threads: 2, optimizationLevel: 'extended', allowSpinning: false });
    const big = new Float32Array([9, 9, 1, 2, 3, 4, 5, 6, 9]);
    const view = big.subarray(2, 8); // byteOffset 8: no copy needed by the caller
    const r2 = await s.run({ x: { data: view, dims: [2, 3] } });
    expect(Array.from(r2.y!.data as Float32Array)).toEqual([1, 4, 9, 4, 10, 18]);
    const r1 = await s.run({ x: { data: view.subarray(3), dims: [1, 3] } });
    expect(r1.y!.dims).toEqual([1, 3]);
    expect(Array.from(r1.y!.data as Float32Array)).toEqual([4, 10, 18]);
    expect(s.inputNames).toEqual(['x']);
    expect(s.outputNames).toEqual(['y']);
    await s.release();
  });

  it('turns onnxruntime failures into RUNTIME errors', async () => {
    await expect(createSession(new Uint8Array([1, 2, 3, 4]))).rejects.toMatchObject({ code: 'RUNTIME' });
    const s = await createSession(scaleGraph().toModel(), { threads: 1 });
    await expect(s.run({ x: { data: new Float32Array(4), dims: [1, 4] } })).rejects.toMatchObject({ code: 'RUNTIME' });
    await expect(s.run({})).rejects.toThrow(/onnxruntime run failed/);
    await s.release();
  });

  it('exports an inference-only model to an .onnx file that loads back', async () => {
    const path = join(tmp, 'nested', 'scale.onnx');
    const n = await saveModel(scaleGraph(), path, { docString: 'test export' });
    const bytes = readFileSync(path);
    expect(bytes.length).toBe(n);
    const s = await EngineSession.create(new Uint8Array(bytes), { threads: 1 });
    const r = await s.run({ x: { data: new Float32Array([2, 2, 2]), dims: [1, 3] } });
    expect(Array.from(r.y!.data as Float32Array)).toEqual([2, 4, 6]);
    await s.release();
  });

  it('leaves worker threads idle after a run by default (allow_spinning = 0)', async () => {
    // With spinning allowed, 2 intra-op threads burned ~28 ms of CPU in the 300 ms after a
    // run on the development VM; with the default it is ~1 ms.
    const b = new GraphBuilder('spin');
    const a = b.input('a', 'float32', [512, 256]);
    b.output(b.reduceSum(b.matmul(a, b.constant('float32', [256, 256], new Float32Array(256 * 256).fill(0.01)))), 'y');
    const s = await createSession(b.toModel(), { threads: 2 });
    const feeds = { a: { data: new Float32Array(512 * 256).fill(0.5), dims: [512, 256] } };
    for (let i = 0; i < 20; i++) await s.run(feeds);
    const before = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 300));
    const used = process.cpuUsage(before);
    expect((used.user + used.system) / 1000).toBeLessThan(15);
    await s.release();
  });

  it('passes disabled optimizers through (float64 x·sigmoid(x) needs QuickGeluFusion off)', async () => {
    const b = new GraphBuilder('silu64');
    const x = b.input('x', 'float64', [2]);
    b.output(b.mul(x, b.sigmoid(x)), 'y');
    await expect(createSession(b.toModel(), { threads: 1 })).rejects.toThrow(/QuickGelu/);
    const s = await createSession(b.toModel(), { threads: 1, disabledOptimizers: ['QuickGeluFusion'] });
    const r = await s.run({ x: { data: new Float64Array([1, -2]), dims: [2] } });
    const y = r.y!.data as Float64Array;
    expect(y[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 14);
    expect(y[1]).toBeCloseTo(-2 / (1 + Math.exp(2)), 14);
    await s.release();
  });

  it('reports an unwritable export path as an IO error', async () => {
    const blocker = join(tmp, 'a-file');
    await saveModel(scaleGraph(), blocker);
    await expect(saveModel(scaleGraph(), join(blocker, 'inside.onnx'))).rejects.toMatchObject({ code: 'IO' });
  });

  it('rejects an unknown execution provider', async () => {
    await expect(createSession(scaleGraph().toModel(), { executionProvider: 'tpu' as 'cpu' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
