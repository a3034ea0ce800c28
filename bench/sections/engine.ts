/**
 * ONNX engine benchmarks: training-step rate of a ~1M-parameter MLP (batch 256) at 1 and
 * 2 threads, how much of a step is parameter/moment transfer rather than graph work, and
 * the GFLOP/s of one large MatMul ([4096,512]×[512,512]) as the machine's reference rate
 * (model throughput is reported as a fraction of it). Everything is measured in one run;
 * only ratios are meant for comparisons.
 */
import { rateRow, median, spreadOf, timeRepeats, type BenchContext, type BenchRow, type BenchSection } from '../harness.js';
import {
  GraphBuilder,
  Rng,
  Trainer,
  buildTrainingGraph,
  createSession,
  gelu,
  linear,
  mseLoss,
  toOrtTensor,
  type ParamSpec,
} from '../../src-main/engine/onnx/index.js';

const SECTION = 'engine';
const BATCH = 256;
const DIMS = [128, 1024, 768, 128]; // 1,017,728 parameters

function mlpParams(): ParamSpec[] {
  const out: ParamSpec[] = [];
  for (let i = 0; i + 1 < DIMS.length; i++) {
    out.push({ name: `fc${i}.weight`, shape: [DIMS[i + 1]!, DIMS[i]!] }, { name: `fc${i}.bias`, shape: [DIMS[i + 1]!] });
  }
  return out;
}

function mlpGraph() {
  return buildTrainingGraph({
    params: mlpParams(),
    optimizer: { maxGradNorm: 1 },
    forward: (b, p) => {
      let h = b.input('x', 'float32', ['batch', DIMS[0]!]);
      const y = b.input('y', 'float32', ['batch', DIMS[DIMS.length - 1]!]);
      for (let i = 0; i + 1 < DIMS.length; i++) {
        h = linear(b, h, p[`fc${i}.weight`]!, p[`fc${i}.bias`]);
        if (i + 2 < DIMS.length) h = gelu(b, h);
      }
      return { loss: mseLoss(b, h, y) };
    },
  });
}

/** Same inputs and outputs as the training step, but no work: isolates tensor transfer. */
function transferGraph(n: number): Uint8Array {
  const b = new GraphBuilder('transfer');
  const p = b.input('params', 'float32', [n]);
  const m = b.input('adam_m', 'float32', [n]);
  const v = b.input('adam_v', 'float32', [n]);
  const x = b.input('x', 'float32', ['batch', DIMS[0]!]);
  const y = b.input('y', 'float32', ['batch', DIMS[DIMS.length - 1]!]);
  b.output(b.add(b.reduceSum(b.slice(x, [0], [1], [1])), b.reduceSum(b.slice(y, [0], [1], [1]))), 'loss');
  b.output(p, 'params_out');
  b.output(m, 'adam_m_out');
  b.output(v, 'adam_v_out');
  return b.toModel();
}

async function matmulRate(ctx: BenchContext, threads: number, repeats: number): Promise<BenchRow> {
  const [M, K, N] = [4096, 512, 512];
  const rng = new Rng(1);
  const b = new GraphBuilder('matmul');
  const a = b.input('a', 'float32', [M, K]);
  const w = b.constant('float32', [K, N], rng.fillUniform(new Float32Array(K * N)));
  // Reduce the product so the 8 MB result is not copied back to JS: pure MatMul throughput.
  b.output(b.reduceSum(b.matmul(a, w), [0]), 'y');
  const s = await createSession(b.toModel(), { threads });
  const feeds = { a: toOrtTensor({ data: rng.fillUniform(new Float32Array(M * K)), dims: [M, K] }) };
  const ms = await timeRepeats(() => s.session.run(feeds), repeats, 2);
  await s.release();
  const row = rateRow(SECTION, `matmul [4096,512]x[512,512], ${threads} thread${threads > 1 ? 's' : ''}`, 'GFLOP/s', (2 * M * K * N) / 1e9, ms);
  ctx.log(`${row.name}: ${row.value.toFixed(1)} GFLOP/s (spread ${(row.spread * 100).toFixed(0)} %)`);
  return row;
}

export const engineBench: BenchSection = async (ctx) => {
  const rows: BenchRow[] = [];
  const repeats = ctx.quick ? 5 : 20;
  const graph = mlpGraph();
  const n = graph.layout.total;
  ctx.log(`MLP ${DIMS.join('-')}: ${n} parameters, batch ${BATCH}, model ${(graph.model.length / 1e6).toFixed(1)} MB`);
  const rng = new Rng(7);
  const init = new Float32Array(n);
  for (const e of graph.layout.entries) {
    const bound = e.shape.length === 2 ? 1 / Math.sqrt(e.shape[1]!) : 0.01;
    for (let i = 0; i < e.size; i++) init[e.offset + i] = rng.range(-bound, bound);
  }
  const data = {
    x: { data: rng.fillUniform(new Float32Array(BATCH * DIMS[0]!)), dims: [BATCH, DIMS[0]!] },
    y: { data: rng.fillUniform(new Float32Array(BATCH * DIMS[DIMS.length - 1]!)), dims: [BATCH, DIMS[DIMS.length - 1]!] },
  };
  const stepMs: Record<number, number> = {};
  for (const threads of [1, 2]) {
    const trainer = await Trainer.create(graph, Float32Array.from(init), { threads });
    const ms = await timeRepeats(() => trainer.step(data, { lr: 1e-3 }), repeats, 3);
    await trainer.release();
    stepMs[threads] = median(ms);
    const row = rateRow(SECTION, `MLP 1M params train step, batch ${BATCH}, ${threads} thread${threads > 1 ? 's' : ''}`, 'steps/s', 1, ms);
    rows.push(row);
    ctx.log(`${row.name}: ${row.value.toFixed(1)} steps/s (${stepMs[threads]!.toFixed(2)} ms, spread ${(row.spread * 100).toFixed(0)} %)`);
  }

  // Transfer share: the same feeds and fetches through a graph that does no work.
  const io = await createSession(transferGraph(n), { threads: 1 });
  const pm = new Float32Array(n);
  const feeds = {
    params: toOrtTensor({ data: init, dims: [n] }),
    adam_m: toOrtTensor({ data: pm, dims: [n] }),
    adam_v: toOrtTensor({ data: pm, dims: [n] }),
    x: toOrtTensor(data.x),
    y: toOrtTensor(data.y),
  };
  const ioMs = await timeRepeats(() => io.session.run(feeds), repeats, 3);
  await io.release();
  const transfer = median(ioMs);
  const share = transfer / stepMs[1]!;
  rows.push({
    section: SECTION,
    name: 'parameter + moment transfer per step',
    value: transfer,
    unit: 'ms',
    spread: spreadOf(ioMs),
    repeats: ioMs.length,
    note: `3 flat buffers of ${n} float32 in and out`,
  });
  rows.push({
    section: SECTION,
    name: 'transfer share of a 1-thread step',
    value: share,
    unit: 'ratio',
    spread: 0,
    repeats: 1,
    note: 'transfer / (graph run + transfer); small is good',
  });
  rows.push({ section: SECTION, name: 'graph run per 1-thread step', value: stepMs[1]! - transfer, unit: 'ms', spread: 0, repeats: 1 });
  rows.push({ section: SECTION, name: '2-thread speed-up of a train step', value: stepMs[1]! / stepMs[2]!, unit: 'ratio', spread: 0, repeats: 1 });
  ctx.log(`transfer ${transfer.toFixed(3)} ms = ${(share * 100).toFixed(1)} % of a 1-thread step; 2-thread speed-up ${(stepMs[1]! / stepMs[2]!).toFixed(2)}x`);

  for (const threads of [1, 2]) rows.push(await matmulRate(ctx, threads, ctx.quick ? 5 : 15));
  // A training step costs about 6 FLOPs per parameter per sample (forward 2, backward 4).
  const stepGflop = (6 * n * BATCH) / 1e9;
  const mm1 = rows.find((r) => r.name.startsWith('matmul') && r.name.endsWith('1 thread'))!.value;
  const achieved = stepGflop / (stepMs[1]! / 1000);
  rows.push({
    section: SECTION,
    name: 'MLP train step throughput / matmul rate, 1 thread',
    value: achieved / mm1,
    unit: 'ratio',
    spread: 0,
    repeats: 1,
    note: `${achieved.toFixed(1)} GFLOP/s of ~6·params·batch per step`,
  });
  ctx.log(`MLP step reaches ${achieved.toFixed(1)} GFLOP/s = ${((achieved / mm1) * 100).toFixed(0)} % of the MatMul rate`);
  return rows;
};
