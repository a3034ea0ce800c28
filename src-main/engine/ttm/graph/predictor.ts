/**
 * A ready-to-run forecaster session around the inference graph, with the input rules the
 * reference enforces or assumes: the last context_length steps are used (shorter input is
 * refused, never zero-padded — zeros would count as observations in the scaler), values must
 * be finite (NaN poisons the scaler even where masked), frequency tokens must be in the
 * vocabulary, and models with known-future covariates need future values.
 *
 * session.run blocks the calling thread: use this from a worker, or the UI and API stall.
 */
import { cpus } from 'node:os';
import { SessionPool, concatBatch, createSession, splitBatch, type EngineSession, type SessionOptions, type TensorData } from '../../onnx/index.js';
import { StudioError } from '../../errors.js';
import { checkFrequencyToken, effectiveContextLength, outputLength, type HfTtmConfig } from '../hf-config.js';
import type { ModelWeights } from '../init.js';
import { TTM_IO, buildTtmInferenceModel, needsFutureValues } from './inference.js';

export interface TtmPredictInput {
  /** Row-major [batch, steps, C] raw values; steps ≥ context_length (the last ones are used). */
  pastValues: Float32Array;
  batch: number;
  steps: number;
  /** Same layout as pastValues, 1 = observed (needs a predictor created with observedMask). */
  pastObservedMask?: Float32Array;
  /** Row-major [batch, P_out, C]; only the exogenous channels are read. */
  futureValues?: Float32Array;
  /** One token for the whole batch or one per sample (resolution prefix tuning). */
  freqToken?: number | readonly number[];
}

export interface TtmPrediction {
  /** Row-major [batch, P_out, C_out], data units. */
  predictions: Float32Array;
  dims: [number, number, number];
  /** [batch, 1, C_out] scaler statistics. */
  loc: Float32Array;
  scale: Float32Array;
}

export interface TtmPredictorOptions extends SessionOptions {
  observedMask?: boolean;
  /**
   * Data parallelism on the CPU: this many worker threads, each with a 1-thread session, run
   * slices of a batch of at least 2 × minWorkerBatch windows at once (smaller batches use the
   * main session). Faster than intra-op threads for TTM, whose small ops barely scale. Default:
   * the thread count when it is ≥ 2 and the provider is the CPU; 0 or 1 turns it off.
   */
  workers?: number;
  /** Smallest slice per worker; default 16. */
  minWorkerBatch?: number;
}

const DEFAULT_MIN_WORKER_BATCH = 16;

/**
 * Most window×channel rows one CPU run takes (a worker's or the main session's): larger runs
 * spill the activations out of the CPU caches. Measured on 2 cores, batch 512, windows/s with
 * 2 workers: 4 channels 1,795 in runs of 32 windows vs 1,658 (64), 1,450 (128), 1,295 (256);
 * 1 channel flat from 64 to 256 windows per run, lower at 512.
 */
const ROWS_PER_WORKER_RUN = 128;

/** Windows per worker run for a model with this many channels (see ROWS_PER_WORKER_RUN). */
export function windowsPerWorkerRun(cfg: HfTtmConfig): number {
  return Math.max(1, Math.floor(ROWS_PER_WORKER_RUN / cfg.num_input_channels));
}

function invalid(message: string): StudioError {
  return new StudioError('INVALID_INPUT', message);
}

export class TtmPredictor {
  private constructor(
    readonly config: HfTtmConfig,
    readonly session: EngineSession,
    private readonly observedMask: boolean,
    /** Worker sessions for large batches (CPU data parallelism), if any. */
    readonly pool: SessionPool | undefined,
    private readonly minWorkerBatch: number,
  ) {}

  static async create(model: { config: HfTtmConfig; weights: ModelWeights }, options: TtmPredictorOptions = {}): Promise<TtmPredictor> {
    const { observedMask = false, workers, minWorkerBatch = DEFAULT_MIN_WORKER_BATCH, ...session } = options;
    const built = buildTtmInferenceModel(model.config, model.weights, { observedMask });
    const main = await createSession(built.model, session);
    const n = workers ?? (main.provider === 'cpu' ? main.threads : 0);
    let pool: SessionPool | undefined;
    if (main.provider === 'cpu' && n >= 2) {
      if (!Number.isInteger(n) || n > cpus().length * 4) {
        await main.release();
        throw invalid(`workers must be an integer from 0 to ${cpus().length * 4}, got ${n}.`);
      }
      try {
        pool = await SessionPool.create(built.model, {
          workers: n,
          allowSpinning: session.allowSpinning,
          optimizationLevel: session.optimizationLevel,
          disabledOptimizers: session.disabledOptimizers,
        });
      } catch (e) {
        await main.release();
        throw e;
      }
    }
    return new TtmPredictor(model.config, main, observedMask, pool, Math.max(1, minWorkerBatch));
  }

  /** A message for the UI when CUDA was requested but the CPU is used. */
  get fallbackMessage(): string | undefined {
    return this.session.fallbackMessage;
  }

  async predict(input: TtmPredictInput): Promise<TtmPrediction> {
    const cfg = this.config;
    const L = effectiveContextLength(cfg);
    const C = cfg.num_input_channels;
    const P = outputLength(cfg);
    const { batch: B, steps: T } = input;
    if (!Number.isInteger(B) || B < 1) throw invalid(`batch must be a positive integer, got ${B}.`);
    if (!Number.isInteger(T) || T < L) {
      throw invalid(`The model needs ${L} past steps per window but got ${T}; provide more history (windows are never zero-padded).`);
    }
    if (input.pastValues.length !== B * T * C) throw invalid(`pastValues has ${input.pastValues.length} values; [${B}, ${T}, ${C}] needs ${B * T * C}.`);
    const window = (src: Float32Array, what: string): Float32Array => {
      const out = T === L ? src : new Float32Array(B * L * C);
      if (T !== L) for (let b = 0; b < B; b++) out.set(src.subarray((b * T + T - L) * C, (b + 1) * T * C), b * L * C);
      for (let i = 0; i < out.length; i++) {
        if (!Number.isFinite(out[i])) {
          const b = Math.floor(i / (L * C));
          throw invalid(`${what} of sample ${b} contains ${out[i]} at step ${Math.floor(i / C) % L}, channel ${i % C}: impute gaps before forecasting.`);
        }
      }
      return out;
    };
    const feeds: Record<string, TensorData> = { [TTM_IO.pastValues]: { data: window(input.pastValues, 'pastValues'), dims: [B, L, C] } };
    if (this.observedMask) {
      if (!input.pastObservedMask || input.pastObservedMask.length !== B * T * C)
        throw invalid(`pastObservedMask must have the shape of pastValues ([${B}, ${T}, ${C}]).`);
      feeds[TTM_IO.pastObservedMask] = { data: window(input.pastObservedMask, 'pastObservedMask'), dims: [B, L, C] };
    } else if (input.pastObservedMask) {
      throw invalid('This predictor was created without observedMask; recreate it with observedMask: true to pass a mask.');
    }
    if (needsFutureValues(cfg)) {
      if (!input.futureValues) {
        throw invalid(
          `This model mixes in known future values of channels ${cfg.exogenous_channel_indices?.join(', ')}; provide futureValues [${B}, ${P}, ${C}].`,
        );
      }
      if (input.futureValues.length !== B * P * C)
        throw invalid(`futureValues has ${input.futureValues.length} values; [${B}, ${P}, ${C}] needs ${B * P * C}.`);
      feeds[TTM_IO.futureValues] = { data: input.futureValues, dims: [B, P, C] };
    }
    if (cfg.resolution_prefix_tuning) {
      if (input.freqToken === undefined) throw invalid('This model needs the data frequency token (resolution prefix tuning); 5-minute data is token 3.');
      const tokens = typeof input.freqToken === 'number' ? new Array<number>(B).fill(input.freqToken) : [...input.freqToken];
      if (tokens.length !== B) throw invalid(`freqToken has ${tokens.length} entries for a batch of ${B}.`);
      tokens.forEach((t) => checkFrequencyToken(cfg, t));
      feeds[TTM_IO.freqToken] = { data: BigInt64Array.from(tokens, (t) => BigInt(t)), dims: [B] };
    }
    const names = [TTM_IO.predictionOutputs, TTM_IO.loc, TTM_IO.scale];
    const perRun = windowsPerWorkerRun(cfg);
    const out = this.pool && B >= 2 * this.minWorkerBatch ? await this.pool.run(feeds, B, names, perRun) : await this.runInChunks(feeds, B, names, perRun);
    const pred = out[TTM_IO.predictionOutputs];
    return {
      predictions: pred.data as Float32Array,
      dims: pred.dims as [number, number, number],
      loc: out[TTM_IO.loc].data as Float32Array,
      scale: out[TTM_IO.scale].data as Float32Array,
    };
  }

  /** One session, in runs of at most `perRun` windows on the CPU (see ROWS_PER_WORKER_RUN). */
  private async runInChunks(feeds: Record<string, TensorData>, batch: number, names: readonly string[], perRun: number): Promise<Record<string, TensorData>> {
    if (this.session.provider !== 'cpu' || batch <= perRun) return this.session.run(feeds, names);
    const parts: Record<string, TensorData>[] = [];
    for (const slice of splitBatch(feeds, batch, Math.ceil(batch / perRun))) parts.push(await this.session.run(slice, names));
    return Object.fromEntries(names.map((n) => [n, concatBatch(parts.map((p) => p[n]!))]));
  }

  async release(): Promise<void> {
    await this.pool?.release();
    await this.session.release();
  }
}
