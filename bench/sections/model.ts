/**
 * TTM r2 512-96 speed: zero-shot forecast windows per second (1 and 4 channels; batch 1, 64,
 * 512; 1 and 2 threads; and at 2 threads, 2 one-thread worker sessions splitting the batch, as
 * TtmPredictor does by default; large batches in runs of at most 128 window-channels, as the
 * predictor runs them) and training samples per second at batch 64 (frozen backbone
 * and full fine-tuning; 1 and 2 threads, and 2 one-thread gradient workers as the training
 * loop does by default), each as GFLOP/s and as a share of one large MatMul's rate measured in the same
 * rounds (interleaved, same thread count), so machine load cancels out of the ratios.
 *
 * FLOPs are counted from the graph: 2·M·K·N for every MatMul/Gemm node (the static shapes at the
 * measured batch); elementwise work is not counted, as in the usual MFLOP figures (r2 512-96:
 * ~15.6 MFLOP per window and channel). Targets: inference ≥ 60 % of the MatMul rate at batch
 * ≥ 64, training ≥ 40 %. Weights are freshly initialised (speed does not depend on their values).
 */
import { median, spreadOf, type BenchRow, type BenchSection } from '../harness.js';
import {
  DataParallelTrainer,
  GraphBuilder,
  Rng,
  SessionPool,
  Trainer,
  createSession,
  toOrtTensor,
  type Dim,
  type GraphNode,
  type Value,
} from '../../src-main/engine/onnx/index.js';
import {
  buildTtmForward,
  buildTtmShardedTrainingGraphs,
  buildTtmTrainingGraph,
  initializeTtmWeights,
  r2TtmConfig,
  ttmParameterSpecs,
  windowsPerWorkerRun,
  type HfTtmConfig,
  type ModelWeights,
} from '../../src-main/engine/ttm/index.js';

const SECTION = 'model';

/** granite-timeseries-ttm-r2 `main` (512-96) architecture, the bundled model's network. */
export function r2Config(channels = 1): HfTtmConfig {
  return r2TtmConfig(512, 96, { num_input_channels: channels });
}

function evalDim(d: Dim, batch: number): number {
  if (typeof d === 'number') return d;
  let p = 1;
  for (const t of d.split('*')) p *= /^\d+$/.test(t) ? Number(t) : t === 'batch' ? batch : NaN;
  return p;
}

/** 2·M·K·N summed over MatMul/Gemm nodes (honouring Gemm's transA); symbolic dims are evaluated at `batch`. */
export function matmulFlops(nodes: readonly GraphNode[], batch: number): number {
  let total = 0;
  for (const n of nodes) {
    if (n.opType !== 'MatMul' && n.opType !== 'Gemm') continue;
    // A vector operand is a sum written as a product with ones (bias gradients): not counted,
    // as the ReduceSum it replaces was not.
    if (n.inputs[0]!.rank === 1 || n.inputs[1]!.rank === 1) continue;
    const a = n.inputs[0]!;
    const out = n.outputs[0]!;
    // Gemm with transA reads A as [K, M]; MatMul and plain Gemm have K last.
    const transA = n.opType === 'Gemm' && n.attributes.transA?.kind === 'int' && n.attributes.transA.value === 1;
    const K = evalDim((transA ? a.shape[0] : a.shape[a.rank - 1])!, batch);
    const outElems = out.shape.reduce<number>((p, d) => p * evalDim(d, batch), 1);
    total += 2 * outElems * K;
  }
  return total;
}

/** The inference graph at a fixed batch, built here so its nodes can be counted. */
function inferenceModel(cfg: HfTtmConfig, weights: ModelWeights, batch: number): { model: Uint8Array; flops: number } {
  const b = new GraphBuilder('ttm_bench');
  const past = b.input('past_values', 'float32', [batch, cfg.context_length, cfg.num_input_channels]);
  const params: Record<string, Value> = {};
  for (const s of ttmParameterSpecs(cfg)) params[s.name] = b.constant('float32', s.shape, weights.get(s.name)!.data, s.name);
  const out = buildTtmForward(b, cfg, params, { pastValues: past });
  b.output(out.predictionOutputs, 'prediction_outputs');
  b.output(out.loc, 'loc');
  b.output(out.scale, 'scale');
  return { model: b.toModel(), flops: matmulFlops(b.liveNodes(), batch) };
}

/** Glucose-like input: a slow sine plus noise per window and channel. */
function windows(rng: Rng, batch: number, L: number, C: number): Float32Array {
  const x = new Float32Array(batch * L * C);
  for (let w = 0; w < batch; w++) {
    const phase = rng.uniform(0, 6.28);
    for (let t = 0; t < L; t++) for (let c = 0; c < C; c++) x[(w * L + t) * C + c] = 140 + 40 * Math.sin(phase + t / 30 + c) + rng.uniform(-3, 3);
  }
  return x;
}

const [MM_M, MM_K, MM_N] = [4096, 512, 512];
const MATMUL_FLOPS = 2 * MM_M * MM_K * MM_N;

/** The reference rate: one [4096,512]×[512,512] MatMul, as in the engine section. */
async function matmulRunner(threads: number, allowSpinning: boolean) {
  const [M, K, N] = [MM_M, MM_K, MM_N];
  const rng = new Rng(1);
  const b = new GraphBuilder('matmul');
  const a = b.input('a', 'float32', [M, K]);
  const w = b.constant('float32', [K, N], rng.fillUniform(new Float32Array(K * N)));
  b.output(b.reduceSum(b.matmul(a, w), [0]), 'y');
  const s = await createSession(b.toModel(), { threads, allowSpinning });
  const feeds = { a: toOrtTensor({ data: rng.fillUniform(new Float32Array(M * K)), dims: [M, K] }) };
  return { run: () => s.session.run(feeds), release: () => s.release() };
}

interface Measured {
  ms: number[];
  mmMs: number[];
}

/**
 * Rounds of [model, matmul] back to back; returns both duration lists. Each round starts
 * with one untimed model run: the MatMul's 9 MB of operands evict the model's weights and
 * activations from the caches, a cold start a forecast or training job (runs back to back)
 * does not have. The MatMul streams its operands and is not sensitive to that.
 */
async function interleaved(model: () => Promise<unknown>, mm: () => Promise<unknown>, rounds: number, warmup: number, runsPerRound: number): Promise<Measured> {
  for (let i = 0; i < warmup; i++) {
    await model();
    await mm();
  }
  const out: Measured = { ms: [], mmMs: [] };
  for (let r = 0; r < rounds; r++) {
    await model();
    let t0 = performance.now();
    for (let i = 0; i < runsPerRound; i++) await model();
    out.ms.push((performance.now() - t0) / runsPerRound);
    t0 = performance.now();
    await mm();
    out.mmMs.push(performance.now() - t0);
  }
  return out;
}

function rows(name: string, unit: string, workPerRun: number, flops: number, m: Measured, mmFlops: number, note?: string): BenchRow[] {
  const rates = m.ms.map((ms) => (workPerRun * 1000) / ms);
  const gflops = m.ms.map((ms) => flops / 1e6 / ms);
  const ratios = m.ms.map((ms, i) => flops / ms / (mmFlops / m.mmMs[i]!));
  const mk = (suffix: string, u: string, xs: number[], n?: string): BenchRow => {
    const row: BenchRow = { section: SECTION, name: `${name}${suffix}`, value: median(xs), unit: u, spread: spreadOf(xs), repeats: xs.length };
    if (n !== undefined) row.note = n;
    return row;
  };
  return [mk('', unit, rates, note), mk(' GFLOP/s', 'GFLOP/s', gflops), mk(' / matmul rate', 'ratio', ratios)];
}

export const modelBench: BenchSection = async (ctx) => {
  const out: BenchRow[] = [];
  const quick = ctx.quick;
  const rounds = quick ? 5 : 15;
  const rng = new Rng(3);
  const threadsList = [1, 2];
  const batches = [1, 64, 512];
  const mmFlops = MATMUL_FLOPS;

  // No spinning intra-op threads (the product's default): with spinning, the model's and the
  // reference MatMul's thread pools spin against each other between the interleaved runs, so
  // neither figure would mean anything.
  const spin = false;
  const forecastCases: { threads: number; C: number; B: number }[] = [];
  for (const threads of threadsList) for (const C of [1, 4]) for (const B of batches) forecastCases.push({ threads, C, B });
  const weightsFor = new Map<number, ModelWeights>();
  for (const { threads, C, B } of forecastCases) {
    const cfg = r2Config(C);
    let weights = weightsFor.get(C);
    if (weights === undefined) weightsFor.set(C, (weights = initializeTtmWeights(cfg, 7)));
    const mm = await matmulRunner(threads, spin);
    // Batches above windowsPerWorkerRun run in chunks of that size, as TtmPredictor does.
    const perRun = Math.min(B, windowsPerWorkerRun(cfg));
    const chunks = B / perRun;
    if (!Number.isInteger(chunks)) throw new Error(`batch ${B} does not split into runs of ${perRun}`);
    const chunk = inferenceModel(cfg, weights, perRun);
    const flops = chunks * chunk.flops;
    const s = await createSession(chunk.model, { threads, allowSpinning: spin });
    const feeds = { past_values: toOrtTensor({ data: windows(rng, perRun, 512, C), dims: [perRun, 512, C] }) };
    const perRound = B === 1 ? 20 : 1;
    const runAll = async () => {
      for (let i = 0; i < chunks; i++) await s.session.run(feeds);
    };
    const m = await interleaved(runAll, mm.run, B * C >= 2048 ? Math.max(3, rounds >> 1) : rounds, 2, perRound);
    await s.release();
    await mm.release();
    const name = `r2 512-96 forecast, ${C} ch, batch ${B}, ${threads} thr`;
    out.push(...rows(name, 'windows/s', B, flops, m, mmFlops, `${(flops / B / C / 1e6).toFixed(2)} MFLOP per window and channel`));
    ctx.log(
      `${name}: ${(B / (median(m.ms) / 1000)).toFixed(0)} windows/s, ${(flops / 1e6 / median(m.ms)).toFixed(1)} GFLOP/s, matmul ${(mmFlops / 1e6 / median(m.mmMs)).toFixed(1)} GFLOP/s`,
    );
  }

  // Data parallelism (TtmPredictor's default at ≥ 2 threads): 2 worker threads, each with a
  // 1-thread session, run slices of the batch (at most windowsPerWorkerRun windows per run, as
  // the predictor does); compared with the 2-thread MatMul rate.
  for (const C of [1, 4])
    for (const B of [64, 512]) {
      const cfg = r2Config(C);
      const weights = weightsFor.get(C)!;
      const mm = await matmulRunner(2, false);
      // The bench graphs have a static batch: each worker run's graph takes one slice.
      const perRun = Math.min(B / 2, windowsPerWorkerRun(cfg));
      if (!Number.isInteger(B / 2 / perRun)) throw new Error(`batch ${B} does not split into runs of ${perRun}`);
      const slice = inferenceModel(cfg, weights, perRun);
      const flops = (B / perRun) * slice.flops;
      const pool = await SessionPool.create(slice.model, { workers: 2 });
      const feeds = { past_values: { data: windows(rng, B, 512, C), dims: [B, 512, C] } };
      const outputs = ['prediction_outputs', 'loc', 'scale'];
      const m = await interleaved(() => pool.run(feeds, B, outputs, perRun), mm.run, B * C >= 2048 ? Math.max(3, rounds >> 1) : rounds, 2, 1);
      await pool.release();
      await mm.release();
      const name = `r2 512-96 forecast, ${C} ch, batch ${B}, 2 thr, 2×1-thread workers`;
      out.push(...rows(name, 'windows/s', B, flops, m, mmFlops, `${(flops / B / C / 1e6).toFixed(2)} MFLOP per window and channel`));
      ctx.log(
        `${name}: ${(B / (median(m.ms) / 1000)).toFixed(0)} windows/s, ${(flops / 1e6 / median(m.ms)).toFixed(1)} GFLOP/s, matmul ${(mmFlops / 1e6 / median(m.mmMs)).toFixed(1)} GFLOP/s`,
      );
    }

  // Training: batch 64, one channel, with a future observed mask and gradient clipping as the product trains.
  const B = 64;
  const cfg = r2Config(1);
  const weights = initializeTtmWeights(cfg, 7);
  const data = {
    past_values: { data: windows(rng, B, 512, 1), dims: [B, 512, 1] },
    future_values: { data: windows(rng, B, 96, 1), dims: [B, 96, 1] },
    future_observed_mask: { data: new Float32Array(B * 96).fill(1), dims: [B, 96, 1] },
  };
  for (const freezeBackbone of [true, false]) {
    const built = buildTtmTrainingGraph(cfg, weights, { freezeBackbone, futureObservedMask: true, optimizer: { maxGradNorm: 1 } });
    const flops = matmulFlops(built.graph.builder.liveNodes(), B);
    for (const threads of threadsList) {
      const mm = await matmulRunner(threads, spin);
      const trainer = await Trainer.create(built.graph, Float32Array.from(built.initialParams), { threads, allowSpinning: spin });
      const m = await interleaved(() => trainer.step(data, { lr: 1e-5 }), mm.run, rounds, 2, 1);
      await trainer.release();
      await mm.release();
      const name = `r2 512-96 train ${freezeBackbone ? 'frozen backbone' : 'full'}, batch ${B}, ${threads} thr`;
      out.push(...rows(name, 'samples/s', B, flops, m, mmFlops, `${(flops / B / 1e6).toFixed(1)} MFLOP per sample (forward + backward MatMuls)`));
      ctx.log(`${name}: ${(B / (median(m.ms) / 1000)).toFixed(0)} samples/s, ${(flops / 1e6 / median(m.ms)).toFixed(1)} GFLOP/s`);
    }
    // Data parallelism (the training loop's default at ≥ 2 CPU threads): 2 worker threads with
    // 1-thread gradient sessions, half the batch each, each applying AdamW to half the parameters.
    const sharded = buildTtmShardedTrainingGraphs(cfg, weights, { freezeBackbone, futureObservedMask: true, optimizer: { maxGradNorm: 1 } }, 2);
    const mm = await matmulRunner(2, false);
    const trainer = await DataParallelTrainer.create(sharded.graphs, Float32Array.from(sharded.initialParams));
    const m = await interleaved(() => trainer.step(data, { lr: 1e-5 }), mm.run, rounds, 2, 1);
    await trainer.release();
    await mm.release();
    const name = `r2 512-96 train ${freezeBackbone ? 'frozen backbone' : 'full'}, batch ${B}, 2 thr, 2×1-thread workers`;
    out.push(...rows(name, 'samples/s', B, flops, m, mmFlops, `${(flops / B / 1e6).toFixed(1)} MFLOP per sample (forward + backward MatMuls)`));
    ctx.log(`${name}: ${(B / (median(m.ms) / 1000)).toFixed(0)} samples/s, ${(flops / 1e6 / median(m.ms)).toFixed(1)} GFLOP/s`);
  }
  return out;
};
