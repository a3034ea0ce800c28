/**
 * Per-channel scalers (standard / minmax / robust), global or per patient, fitted on the
 * training part only (statistics from validation or test data would leak into training) and saved with the model as JSON (`ScalerStateSchema`).
 * Fitting uses observed values only: imputed bins would pull the statistics toward the
 * imputation strategy.
 */
import { z } from 'zod';
import { StudioError } from '../errors.js';
import type { PatientGrid } from './grid/build.js';
import { binRange } from './grid/build.js';
import { CHANNELS, type Channel } from './grid/channels.js';

export const SCALER_KINDS = ['standard', 'minmax', 'robust'] as const;
export type ScalerKind = (typeof SCALER_KINDS)[number];

const ChannelParams = z.object({ loc: z.number(), scale: z.number().positive() });
export const ScalerStateSchema = z.object({
  kind: z.enum(SCALER_KINDS),
  perPatient: z.boolean(),
  channels: z.array(z.enum(CHANNELS)),
  /** Group key ('global' or the patient id as a string) → channel → parameters. */
  groups: z.record(z.string(), z.record(z.string(), ChannelParams)),
});
export type ScalerState = z.infer<typeof ScalerStateSchema>;

/** The part of one patient's grid a scaler may see: the training range of a split. */
export interface TrainingPart {
  grid: PatientGrid;
  fromTs?: number;
  toTs?: number;
}

// Below this scale a channel is treated as constant: dividing by ~0 would blow values up.
const MIN_SCALE = 1e-6;

function fitOne(kind: ScalerKind, values: Float64Array): { loc: number; scale: number } {
  const n = values.length;
  if (n === 0) return { loc: 0, scale: 1 };
  let loc: number;
  let scale: number;
  if (kind === 'standard') {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[i]!;
    loc = sum / n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (values[i]! - loc) ** 2;
    scale = Math.sqrt(ss / n);
  } else {
    const sorted = values.slice().sort();
    const q = (p: number): number => {
      const pos = (n - 1) * p;
      const lo = Math.floor(pos);
      const hi = Math.ceil(pos);
      return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
    };
    if (kind === 'minmax') {
      loc = sorted[0]!;
      scale = sorted[n - 1]! - sorted[0]!;
    } else {
      loc = q(0.5);
      scale = q(0.75) - q(0.25);
    }
  }
  return { loc, scale: scale > MIN_SCALE ? scale : 1 };
}

function collect(parts: readonly TrainingPart[], channel: Channel): Float64Array {
  const out: number[] = [];
  for (const p of parts) {
    const { from, to } = binRange(p.grid, p.fromTs, p.toTs);
    const v = p.grid.channels[channel];
    const m = p.grid.masks[channel];
    for (let i = from; i < to; i++) if (m[i] === 1 && Number.isFinite(v[i]!)) out.push(v[i]!);
  }
  return Float64Array.from(out);
}

/** Fits a scaler on training parts only. Per patient: one group per patient seen in `parts`. */
export function fitScaler(kind: ScalerKind, channels: readonly Channel[], parts: readonly TrainingPart[], options: { perPatient?: boolean } = {}): ScalerState {
  if (parts.length === 0) throw new StudioError('INVALID_INPUT', 'Cannot fit a scaler without training data: the split has no training part.');
  const perPatient = options.perPatient === true;
  const groups: ScalerState['groups'] = {};
  const byGroup = new Map<string, TrainingPart[]>();
  for (const p of parts) {
    const key = perPatient ? String(p.grid.patientId) : 'global';
    byGroup.set(key, [...(byGroup.get(key) ?? []), p]);
  }
  for (const [key, ps] of byGroup) {
    groups[key] = {};
    for (const c of channels) groups[key][c] = fitOne(kind, collect(ps, c));
  }
  return { kind, perPatient, channels: [...channels], groups };
}

function paramsFor(state: ScalerState, patientId: number, channel: Channel): { loc: number; scale: number } {
  const group = state.perPatient ? state.groups[String(patientId)] : state.groups.global;
  if (group === undefined) {
    throw new StudioError(
      'INVALID_INPUT',
      `The scaler was fitted per patient and has no statistics for patient ${patientId}: use a global scaler for patients outside the training set.`,
    );
  }
  return group[channel] ?? { loc: 0, scale: 1 };
}

export function scaleValue(state: ScalerState, patientId: number, channel: Channel, value: number): number {
  const p = paramsFor(state, patientId, channel);
  return (value - p.loc) / p.scale;
}

export function unscaleValue(state: ScalerState, patientId: number, channel: Channel, value: number): number {
  const p = paramsFor(state, patientId, channel);
  return value * p.scale + p.loc;
}
