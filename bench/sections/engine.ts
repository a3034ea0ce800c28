/**
 * ONNX engine benchmarks: training-step rate of a ~1M-parameter MLP (batch 256) at 1 and
 * 2 threads, how much of a step is parameter/moment transfer rather than graph work, and
 * the GFLOP/s of one large MatMul ([4096,512]×[512,512]) as the machine's reference rate
 * (model throughput is reported as a fraction of it). Everything is measured in one run;
 * only ratios are meant for comparisons.
 */
import { rateRow, median, spreadOf, type BenchRow, type BenchSection } from '../harness.js';
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

/** Times each function once per round, interleaved, so every figure sees the same machine load. */
async function interleaved(fns: readonly (() => Promise<unknown>)[], rounds: number, warmup: number): Promise<number[][]> {
  for (let w = 0; w < warmup; w++) for (const f of fns) await f();
  const out = fns.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < fns.length; i++) {
      const t0 = performance.now();
      await fns[i]!();
      out[i]!.push(performance.now() - t0);
    }
  }
  return out;
}

async function matmulSession(threads: number) {
  const [M, K, N] = [4096, 512, 512];
  const rng = new Rng(1);
  const b = new GraphBuilder('matmul');
  const a = b.input('a', 'float32', [M, K]);
  const w = b.constant('float32', [K, N], rng.fillUniform(new Float32Array(K * N)));
  // Reduce the product so the 8 MB result is not copied back to JS: pure MatMul throughput.
  b.output(b.reduceSum(b.matmul(a, w), [0]), 'y');
  const s = await createSession(b.toModel(), { threads });
  const feeds = { a: toOrtTensor({ data: rng.fillUniform(new Float32Array(M * K)), dims: [M, K] }) };
  return { run: () => s.session.run(feeds), release: () => s.release(), gflop: (2 * M * K * N) / 1e9 };
}

const ratioRow = (name: string, xs: readonly number[], note?: string): BenchRow => {
  const row: BenchRow = { section: SECTION, name, value: median(xs), unit: 'ratio', spread: spreadOf(xs), repeats: xs.length };
  if (note !== undefined) row.note = note;
  return row;
};

export const engineBench: BenchSection = async (ctx) => {
  const rows: BenchRow[] = [];
  const rounds = ctx.quick ? 5 : 20;
  const graph = mlpGraph();
  const n = graph.layout.total;
  ctx.log(`MLP ${DIMS.join('-')}: ${n} parameters, batch ${BATCH}, ${graph.builder.liveNodes().length} nodes`);
  const rng = new Rng(7);
  const init = new Float32Array(n);
  for (const e of graph.layout.entries) {
    const bound = e.shape.length === 2 ? 1 / Math.sqrt(e.shape[1]!) : 0.01;
    for (let i = 0; i < e.size; i++) init[e.offset + i] = rng.uniform(-bound, bound);
  }
  const data = {
    x: { data: rng.fillUniform(new Float32Array(BATCH * DIMS[0]!)), dims: [BATCH, DIMS[0]!] },
    y: { data: rng.fillUniform(new Float32Array(BATCH * DIMS[DIMS.length - 1]!)), dims: [BATCH, DIMS[DIMS.length - 1]!] },
  };
  const t1 = await Trainer.create(graph, Float32Array.from(init), { threads: 1 });
  const t2 = await Trainer.create(graph, Float32Array.from(init), { threads: 2 });
  // Transfer: the same feeds and fetches through a graph that does no work.
  const io = await createSession(transferGraph(n), { threads: 1 });
  const zeros = new Float32Array(n);
  const ioFeeds = {
    params: toOrtTensor({ data: init, dims: [n] }),
    adam_m: toOrtTensor({ data: zeros, dims: [n] }),
    adam_v: toOrtTensor({ data: zeros, dims: [n] }),
    x: toOrtTensor(data.x),
    y: toOrtTensor(data.y),
  };
  const [s1, s2, tio] = await interleaved([() => t1.step(data, { lr: 1e-4 }), () => t2.step(data, { lr: 1e-4 }), () => io.session.run(ioFeeds)], rounds, 3);
  await Promise.all([t1.release(), t2.release(), io.release()]);
  rows.push(rateRow(SECTION, `MLP 1M params train step, batch ${BATCH}, 1 thread`, 'steps/s', 1, s1!));
  rows.push(rateRow(SECTION, `MLP 1M params train step, batch ${BATCH}, 2 threads`, 'steps/s', 1, s2!));
  rows.push({
    section: SECTION,
    name: 'parameter + moment transfer per step',
    value: median(tio!),
    unit: 'ms',
    spread: spreadOf(tio!),
    repeats: tio!.length,
    note: `3 flat buffers of ${n} float32 in and out`,
  });
  const shares = tio!.map((t, i) => t / s1![i]!);
  rows.push(ratioRow('transfer share of a 1-thread step', shares, 'transfer / whole step, per interleaved round; small is good'));
  rows.push(
    ratioRow(
      'graph-run share of a 1-thread step',
      shares.map((x) => 1 - x),
    ),
  );
  rows.push(
    ratioRow(
      '2-thread speed-up of a train step',
      s1!.map((t, i) => t / s2![i]!),
    ),
  );
  ctx.log(
    `step ${median(s1!).toFixed(1)} ms (1 thread), ${median(s2!).toFixed(1)} ms (2 threads); transfer ${median(tio!).toFixed(2)} ms = ${(median(shares) * 100).toFixed(1)} % of a 1-thread step`,
  );

  const m1 = await matmulSession(1);
  const m2 = await matmulSession(2);
  const [mm1, mm2] = await interleaved([m1.run, m2.run], ctx.quick ? 5 : 15, 2);
  await Promise.all([m1.release(), m2.release()]);
  const mmRow1 = rateRow(SECTION, 'matmul [4096,512]x[512,512], 1 thread', 'GFLOP/s', m1.gflop, mm1!);
  rows.push(mmRow1, rateRow(SECTION, 'matmul [4096,512]x[512,512], 2 threads', 'GFLOP/s', m2.gflop, mm2!));
  // A training step costs about 6 FLOPs per parameter per sample (forward 2, backward 4).
  const stepGflop = (6 * n * BATCH) / 1e9;
  const achieved = stepGflop / (median(s1!) / 1000);
  rows.push(
    ratioRow('MLP train step throughput / matmul rate, 1 thread', [achieved / mmRow1.value], `${achieved.toFixed(1)} GFLOP/s of ~6·params·batch per step`),
  );
  ctx.log(
    `matmul ${mmRow1.value.toFixed(1)} GFLOP/s (1 thread); MLP step ${achieved.toFixed(1)} GFLOP/s = ${((achieved / mmRow1.value) * 100).toFixed(0)} % of it`,
  );
  return rows;
};
