/**
 * The TTM forward graph against IBM's reference outputs for every fixture case
 * (tolerances from the fixture README), with a symbolic batch.
 */
import { describe, expect, it } from 'vitest';
import { createSession, type TensorData } from '../../../src-main/engine/onnx/index.js';
import { loadCheckpoint } from '../../../src-main/engine/ttm/checkpoint.js';
import { buildTtmInferenceModel, TTM_IO } from '../../../src-main/engine/ttm/graph/inference.js';
import { parseSafetensors, type SafetensorsFile } from '../../../src-main/engine/ttm/safetensors.js';
import { FIXTURE_CASES, fixtureBytes, fixturePath } from '../../unit/ttm/fixtures.js';

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -Infinity;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - (atol + rtol * Math.abs(expected[i]));
    if (!(excess <= worst)) {
      worst = Number.isNaN(excess) ? Infinity : excess;
      at = i;
    }
  }
  if (worst > 0) expect.fail(`${what}: element ${at} is ${actual[at]}, expected ${expected[at]} (atol ${atol}, rtol ${rtol})`);
}

/** Feeds for samples [from, to) of the fixture batch. */
function feeds(io: SafetensorsFile, inputs: readonly string[], from: number, to: number): Record<string, TensorData> {
  const out: Record<string, TensorData> = {};
  for (const name of inputs) {
    const t = io.get(name);
    const per = t.size / t.shape[0];
    const data = name === TTM_IO.freqToken ? (t.data() as BigInt64Array).slice(from, to) : t.toFloat32().slice(from * per, to * per);
    out[name] = { data, dims: [to - from, ...t.shape.slice(1)] };
  }
  return out;
}

const TOL: Record<string, [number, number]> = {
  prediction_outputs: [1e-3, 1e-5],
  loc: [1e-4, 0],
  scale: [1e-4, 0],
  backbone_loc: [1e-4, 0],
  backbone_scale: [1e-4, 0],
  patch_input: [1e-5, 0],
  backbone_hidden_state: [1e-5, 0],
  decoder_hidden_state: [1e-5, 0],
  head_base_forecast: [1e-5, 0],
  head_output_normalized: [1e-5, 0],
};

describe('TTM forward graph vs granite-tsfm', () => {
  for (const c of FIXTURE_CASES) {
    it(`${c}: every output and intermediate within the README tolerances; batch is dynamic`, async () => {
      const ckpt = await loadCheckpoint(fixturePath(c, ''));
      const io = parseSafetensors(fixtureBytes(c, 'io.safetensors'));
      const built = buildTtmInferenceModel(ckpt.config, ckpt.weights, { intermediates: true });
      const session = await createSession(built.model, { threads: 2 });
      try {
        const B = io.get('past_values').shape[0];
        const res = await session.run(feeds(io, built.inputs, 0, B));
        for (const name of built.outputs) {
          const ref = io.get(name);
          expect(res[name].dims, name).toEqual(ref.shape);
          const [atol, rtol] = TOL[name];
          expectClose(res[name].data as Float32Array, ref.toFloat32(), atol, rtol, `${c} ${name}`);
        }
        // One sample through the same session: the batch axis is symbolic.
        const one = await session.run(feeds(io, built.inputs, B - 1, B), [TTM_IO.predictionOutputs]);
        const ref = io.get('prediction_outputs').toFloat32();
        const per = ref.length / B;
        expectClose(one[TTM_IO.predictionOutputs].data as Float32Array, ref.slice((B - 1) * per), 1e-3, 1e-5, `${c} batch of one`);
      } finally {
        await session.release();
      }
    });
  }
});
