import { readdir, readFile, rm, writeFile, mkdir, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkWeightsMatchConfig, loadCheckpoint, saveCheckpoint, type RunInfo, type TrainingState } from '../../../src-main/engine/ttm/checkpoint.js';
import { parseHfConfig } from '../../../src-main/engine/ttm/hf-config.js';
import { initializeTtmWeights } from '../../../src-main/engine/ttm/init.js';
import { trainableParameterSpecs } from '../../../src-main/engine/ttm/parameter-shapes.js';
import { parseSafetensors, serializeSafetensors } from '../../../src-main/engine/ttm/safetensors.js';
import { FIXTURE_CASES, fixtureBytes, fixtureConfigRaw, fixturePath, samplePreprocessor } from '../../unit/ttm/fixtures.js';
import { rejection } from '../../helpers/rejection.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const scratch = useTempDir('ttm-ckpt-');

const preprocessor = samplePreprocessor();

const run: RunInfo = {
  formatVersion: 1,
  runId: 'run-1',
  createdAt: '2026-11-29T03:00:00.000Z',
  seed: 42,
  splitId: 'split-7',
  dataHashes: { grid: 'sha256:abc' },
  versions: { app: '0.1.0', onnxruntime: '1.30.0' },
  extraField: 'kept',
};

describe('checkpoints', () => {
  for (const c of FIXTURE_CASES) {
    it(`${c}: loads the granite-tsfm directory and saves model.safetensors byte-identically`, async () => {
      const ckpt = await loadCheckpoint(fixturePath(c, ''));
      expect(ckpt.preprocessor).toBeNull();
      expect(ckpt.trainingState).toBeNull();
      const out = join(scratch.dir, `rt-${c}`);
      await saveCheckpoint(out, ckpt);
      expect(Buffer.from(await readFile(join(out, 'model.safetensors'))).equals(Buffer.from(fixtureBytes(c, 'model.safetensors')))).toBe(true);
      expect(JSON.parse(await readFile(join(out, 'config.json'), 'utf8'))).toEqual(fixtureConfigRaw(c));
      expect((await readdir(out)).sort()).toEqual(['config.json', 'model.safetensors']);
    });
  }

  it('round-trips preprocessor, optimizer state and run metadata; refuses to clobber without overwrite', async () => {
    const config = parseHfConfig(fixtureConfigRaw('tiny'));
    const weights = initializeTtmWeights(config, 3);
    const trainable = trainableParameterSpecs(config, { freezeBackbone: true });
    const state: TrainingState = {
      step: 123,
      expAvg: new Map(trainable.map((s) => [s.name, new Float32Array(s.shape.reduce((a, b) => a * b, 1)).fill(0.5)])),
      expAvgSq: new Map(trainable.map((s) => [s.name, new Float32Array(s.shape.reduce((a, b) => a * b, 1)).fill(0.25)])),
      metadata: { beta1: '0.9' },
    };
    const dir = join(scratch.dir, 'full');
    await saveCheckpoint(dir, { config, weights, preprocessor, trainingState: state, run });
    const back = await loadCheckpoint(dir);
    expect(back.preprocessor).toEqual(preprocessor);
    expect(JSON.parse(await readFile(join(dir, 'preprocessor.json'), 'utf8'))).toMatchObject({ formatVersion: 2, forecastLength: 16 });
    expect(back.run).toEqual(run);
    expect(back.trainingState?.step).toBe(123);
    expect(back.trainingState?.metadata).toMatchObject({ format: 'ttm-studio-adamw', beta1: '0.9' });
    expect([...(back.trainingState?.expAvg.keys() ?? [])].sort()).toEqual(trainable.map((s) => s.name).sort());
    for (const [k, w] of weights) expect(back.weights.get(k)?.data).toEqual(w.data);

    const e = await rejection(saveCheckpoint(dir, { config, weights }));
    expect(e.code).toBe('CONFLICT');
    await saveCheckpoint(dir, { config, weights }, { overwrite: true });
    expect((await readdir(dir)).sort()).toEqual(['config.json', 'model.safetensors']);
    expect((await readdir(scratch.dir)).filter((n) => n.includes('.staging-') || n.includes('.old-'))).toEqual([]);
  });

  it('rejects weights that do not match the config, naming each tensor with expected vs actual', async () => {
    const config = parseHfConfig(fixtureConfigRaw('tiny'));
    const file = parseSafetensors(fixtureBytes('tiny', 'model.safetensors'));
    const tensors = new Map([...file.tensors.values()].map((t) => [t.name, { dtype: t.dtype, shape: t.shape, data: t.data() }]));
    tensors.delete('head.base_forecast_block.bias');
    tensors.set('head.extra.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) });
    const patcher = tensors.get('backbone.encoder.patcher.weight');
    if (patcher === undefined) throw new Error('fixture lacks the patcher');
    tensors.set('backbone.encoder.patcher.weight', { ...patcher, shape: [8, 16] });
    const dir = join(scratch.dir, 'bad');
    await mkdir(dir);
    await copyFile(fixturePath('tiny', 'config.json'), join(dir, 'config.json'));
    await writeFile(join(dir, 'model.safetensors'), serializeSafetensors(tensors));
    const e = await rejection(loadCheckpoint(dir));
    expect(e.code).toBe('MODEL');
    expect(e.message).toMatch(/missing weight "head.base_forecast_block.bias" \(expected shape \[16\]\)/);
    expect(e.message).toMatch(/"backbone.encoder.patcher.weight" has shape \[8, 16\], expected \[16, 8\]/);
    expect(e.message).toMatch(/unexpected weight "head.extra.weight"/);
    // The r2 weights under the tiny config: many problems, listed with a count.
    expect(() => checkWeightsMatchConfig(config, parseSafetensors(fixtureBytes('r2_512_96', 'model.safetensors')).tensors)).toThrow(/and \d+ more/);
  });

  it('reports missing files, bad JSON and inconsistent app files clearly', async () => {
    const empty = join(scratch.dir, 'empty');
    await mkdir(empty);
    expect((await rejection(loadCheckpoint(empty))).message).toMatch(/config.json is missing/);
    await copyFile(fixturePath('tiny', 'config.json'), join(empty, 'config.json'));
    expect((await rejection(loadCheckpoint(empty))).message).toMatch(/has no model.safetensors/);
    await copyFile(fixturePath('tiny', 'model.safetensors'), join(empty, 'model.safetensors'));
    await writeFile(join(empty, 'preprocessor.json'), '{"formatVersion": 1');
    expect((await rejection(loadCheckpoint(empty))).code).toBe('PARSE');
    await writeFile(join(empty, 'preprocessor.json'), JSON.stringify({ ...preprocessor, scaler: { type: 'standard', mean: [1], std: [1] } }));
    expect((await rejection(loadCheckpoint(empty))).message).toMatch(/scaler.mean: has 1 values for 2 channels/);
    // A checkpoint trained before the rename (version 1, `predictionLength`) still loads.
    const { forecastLength, ...shared } = preprocessor;
    await writeFile(join(empty, 'preprocessor.json'), JSON.stringify({ ...shared, formatVersion: 1, predictionLength: forecastLength }));
    expect((await loadCheckpoint(empty)).preprocessor).toEqual(preprocessor);
    await rm(join(empty, 'preprocessor.json'));
    await writeFile(
      join(empty, 'training_state.safetensors'),
      serializeSafetensors({
        step: { dtype: 'I64', shape: [], data: new BigInt64Array([1n]) },
        'exp_avg.head.base_forecast_block.bias': { dtype: 'F32', shape: [3], data: new Float32Array(3) },
      }),
    );
    const e = await rejection(loadCheckpoint(empty));
    expect(e.message).toMatch(/moment "exp_avg.head.base_forecast_block.bias" has shape \[3\], expected \[16\]/);
  });

  it('a failed save leaves nothing behind', async () => {
    const config = parseHfConfig(fixtureConfigRaw('tiny'));
    const weights = initializeTtmWeights(config, 1);
    weights.delete('head.base_forecast_block.weight');
    const dir = join(scratch.dir, 'never');
    const e = await rejection(saveCheckpoint(dir, { config, weights }));
    expect(e.message).toMatch(/missing weight "head.base_forecast_block.weight"/);
    expect((await readdir(scratch.dir)).filter((n) => n.includes('never'))).toEqual([]);
  });
});
