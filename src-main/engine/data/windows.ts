/**
 * Sliding windows (context + forecast) over patient grids, and batches of them as flat
 * Float32 tensors. A window lies inside one segment of one patient (never across a gap
 * too long to impute, never across patients); its targets that were imputed are masked out.
 */
import { StudioError } from '../errors.js';
import type { PatientGrid } from './grid/build.js';
import type { Channel } from './grid/channels.js';
import type { Segment } from './impute.js';

export interface WindowOptions {
  contextLength: number;
  forecastLength: number;
  /** Bins between consecutive window starts (default 1). */
  stride?: number;
  /**
   * Part of the series the forecast targets must fall in, [fromTs, toTs) in epoch ms
   * (a split part). Omitted bounds are open.
   */
  fromTs?: number;
  toTs?: number;
  /**
   * When true (validation/test parts), the context may start before `fromTs`: history
   * is known at forecast time, only targets must lie in the part. When false (training),
   * the whole window lies in the part.
   */
  contextMayPrecede?: boolean;
  /** Skip windows with fewer observed glucose targets than this (default 1). */
  minObservedTargets?: number;
}

export interface WindowDescriptor {
  patientId: number;
  /** First context bin. */
  start: number;
  /** Index of the segment in grid.segments. */
  segment: number;
  /** Observed (not imputed) glucose targets in the forecast part. */
  observedTargets: number;
}

function check(o: WindowOptions): { stride: number; minObserved: number } {
  const stride = o.stride ?? 1;
  for (const [k, v] of [
    ['contextLength', o.contextLength],
    ['forecastLength', o.forecastLength],
    ['stride', stride],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new StudioError('INVALID_INPUT', `${k} must be a whole number ≥ 1 (got ${v}).`);
  }
  return { stride, minObserved: o.minObservedTargets ?? 1 };
}

/** Window start bins of one grid for the options. Linear in the grid's length. */
export function buildWindows(grid: PatientGrid, options: WindowOptions): WindowDescriptor[] {
  const { stride, minObserved } = check(options);
  const c = options.contextLength;
  const h = options.forecastLength;
  const stepMs = grid.stepMin * 60_000;
  const partFrom = options.fromTs === undefined ? 0 : Math.ceil((options.fromTs - grid.startTs) / stepMs);
  const partTo = options.toTs === undefined ? grid.length : Math.ceil((options.toTs - grid.startTs) / stepMs);
  const mask = grid.masks.bg_mM;
  // prefix sums of observed glucose so each window's observed-target count is O(1)
  const prefix = new Int32Array(grid.length + 1);
  for (let i = 0; i < grid.length; i++) prefix[i + 1] = prefix[i]! + mask[i]!;
  const out: WindowDescriptor[] = [];
  grid.segments.forEach((seg: Segment, si) => {
    // forecast part [s + c, s + c + h) must lie in [partFrom, partTo) and in the segment;
    // the context [s, s + c) in the segment, and in the part unless it may precede it.
    const lo = Math.max(seg.start, options.contextMayPrecede === true ? partFrom - c : partFrom);
    const hi = Math.min(seg.end, partTo) - c - h; // last valid start
    for (let s = lo; s <= hi; s += stride) {
      const observed = prefix[s + c + h]! - prefix[s + c]!;
      if (observed >= minObserved) out.push({ patientId: grid.patientId, start: s, segment: si, observedTargets: observed });
    }
  });
  return out;
}

/** Number of windows a segment list allows, without building them (quality report). */
export function countWindows(segments: readonly Segment[], contextLength: number, forecastLength: number, stride = 1): number {
  let n = 0;
  for (const s of segments) {
    const len = s.end - s.start - contextLength - forecastLength;
    if (len >= 0) n += Math.floor(len / stride) + 1;
  }
  return n;
}

export interface Batch {
  size: number;
  contextLength: number;
  forecastLength: number;
  inputChannels: readonly Channel[];
  targetChannels: readonly Channel[];
  /** [B, contextLength, inputChannels.length], row-major. */
  past: Float32Array;
  /** 1 where the past value was observed: [B, contextLength, inputChannels.length]. */
  pastMask: Uint8Array;
  /** [B, forecastLength, targetChannels.length]. */
  future: Float32Array;
  /** 1 where a target was observed (score it), 0 where imputed: [B, forecastLength, targetChannels.length]. */
  futureMask: Uint8Array;
}

/** A value transform applied per patient and channel while copying (e.g. a fitted scaler). */
export type ValueTransform = (patientId: number, channel: Channel, value: number) => number;

/**
 * Copies windows into flat tensors. `grids` maps patient id → grid (the same grids the
 * windows were built from).
 */
export function materializeBatch(
  grids: ReadonlyMap<number, PatientGrid>,
  windows: readonly WindowDescriptor[],
  options: { contextLength: number; forecastLength: number; inputChannels: readonly Channel[]; targetChannels: readonly Channel[]; transform?: ValueTransform },
): Batch {
  const { contextLength: c, forecastLength: h, inputChannels, targetChannels, transform } = options;
  const B = windows.length;
  const ci = inputChannels.length;
  const ct = targetChannels.length;
  const past = new Float32Array(B * c * ci);
  const pastMask = new Uint8Array(B * c * ci);
  const future = new Float32Array(B * h * ct);
  const futureMask = new Uint8Array(B * h * ct);
  windows.forEach((w, b) => {
    const g = grids.get(w.patientId);
    if (g === undefined) throw new StudioError('INVALID_INPUT', `No grid given for patient ${w.patientId}.`);
    if (w.start < 0 || w.start + c + h > g.length)
      throw new StudioError('INVALID_INPUT', `Window at bin ${w.start} does not fit patient ${w.patientId}'s grid of ${g.length} bins.`);
    inputChannels.forEach((ch, k) => {
      const v = g.channels[ch];
      const m = g.masks[ch];
      for (let t = 0; t < c; t++) {
        const raw = v[w.start + t]!;
        past[(b * c + t) * ci + k] = transform === undefined ? raw : transform(w.patientId, ch, raw);
        pastMask[(b * c + t) * ci + k] = m[w.start + t]!;
      }
    });
    targetChannels.forEach((ch, k) => {
      const v = g.channels[ch];
      const m = g.masks[ch];
      for (let t = 0; t < h; t++) {
        const raw = v[w.start + c + t]!;
        future[(b * h + t) * ct + k] = transform === undefined ? raw : transform(w.patientId, ch, raw);
        futureMask[(b * h + t) * ct + k] = m[w.start + c + t]!;
      }
    });
  });
  return { size: B, contextLength: c, forecastLength: h, inputChannels, targetChannels, past, pastMask, future, futureMask };
}
