/**
 * Learning-rate (and Adam β1) schedules computed in TypeScript and fed to the training graph
 * each step, so a schedule never needs a graph rebuild. Step indexing follows the reference implementations: `step` is the
 * number of optimizer steps already taken, so step 0 is the value used for the first update.
 *
 * - constant: lr.
 * - warmup + linear / cosine decay: as HF transformers' get_linear_schedule_with_warmup /
 *   get_cosine_schedule_with_warmup (lr·step/warmup during warm-up, then decay to 0 at
 *   totalSteps; cosine with half a cycle).
 * - one-cycle: PyTorch's OneCycleLR (two phases, three_phase=False), see `oneCycleAt`.
 */
import { z } from 'zod';
import { StudioError } from '../errors.js';
import { formatZodIssues } from '../util/json.js';

export const ScheduleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('constant'), lr: z.number().positive() }),
  z.object({
    kind: z.literal('warmup-linear'),
    lr: z.number().positive(),
    warmupSteps: z.number().int().nonnegative(),
    totalSteps: z.number().int().positive(),
  }),
  z.object({
    kind: z.literal('warmup-cosine'),
    lr: z.number().positive(),
    warmupSteps: z.number().int().nonnegative(),
    totalSteps: z.number().int().positive(),
  }),
  z.object({
    kind: z.literal('one-cycle'),
    maxLr: z.number().positive(),
    totalSteps: z.number().int().positive(),
    pctStart: z.number().gt(0).lt(1).default(0.3),
    anneal: z.enum(['cos', 'linear']).default('cos'),
    divFactor: z.number().positive().default(25),
    finalDivFactor: z.number().positive().default(1e4),
    cycleMomentum: z.boolean().default(true),
    baseMomentum: z.number().min(0).max(1).default(0.85),
    maxMomentum: z.number().min(0).max(1).default(0.95),
  }),
]);
export type ScheduleConfig = z.input<typeof ScheduleSchema>;
export type Schedule = z.output<typeof ScheduleSchema>;
export type OneCycleConfig = Extract<Schedule, { kind: 'one-cycle' }>;

export interface ScheduleValue {
  lr: number;
  /** Adam β1 for this step when the schedule cycles momentum; null = keep the optimizer's β1. */
  beta1: number | null;
}

/** Validates a schedule and fills its defaults; the result keeps the kind of the input. */
export function parseSchedule<C extends ScheduleConfig>(config: C): Extract<Schedule, { kind: C['kind'] }> {
  const r = ScheduleSchema.safeParse(config);
  if (!r.success) throw new StudioError('INVALID_INPUT', `Invalid learning-rate schedule: ${formatZodIssues(r.error)}`);
  // The discriminated union parses to the member named by `kind`, which the input fixed.
  return r.data as Extract<Schedule, { kind: C['kind'] }>;
}

function checkStep(step: number, max: number): void {
  if (!Number.isInteger(step) || step < 0 || step > max) {
    throw new StudioError('INVALID_INPUT', `Schedule step must be an integer in [0, ${max}], got ${step}.`);
  }
}

/** torch.optim.lr_scheduler.OneCycleLR._annealing_cos */
function annealCos(start: number, end: number, pct: number): number {
  const cosOut = Math.cos(Math.PI * pct) + 1;
  return end + ((start - end) / 2) * cosOut;
}

function annealLinear(start: number, end: number, pct: number): number {
  return (end - start) * pct + start;
}

/**
 * OneCycleLR.get_lr at `last_epoch = step`, transcribed from the formulas (not the code):
 *   initial_lr = max_lr / div_factor, min_lr = initial_lr / final_div_factor
 *   phase 1 ends at step pct_start·total − 1 (a float, as in torch), lr initial → max,
 *     momentum max → base;
 *   phase 2 ends at total − 1, lr max → min, momentum base → max;
 *   pct = (step − phase start) / (phase end − phase start), phase 2 starting at phase 1's end.
 * Step 0 is the lr of the first optimizer step (torch applies it at construction); torch
 * accepts step = total (the value after the final scheduler.step()), and so do we.
 */
export function oneCycleAt(s: OneCycleConfig, step: number): ScheduleValue {
  checkStep(step, s.totalSteps);
  const initialLr = s.maxLr / s.divFactor;
  const minLr = initialLr / s.finalDivFactor;
  const end1 = s.pctStart * s.totalSteps - 1;
  const end2 = s.totalSteps - 1;
  const anneal = s.anneal === 'cos' ? annealCos : annealLinear;
  let lr: number;
  let mom: number;
  if (step <= end1) {
    if (!(end1 > 0)) throw new StudioError('INVALID_INPUT', `One-cycle needs pctStart·totalSteps > 1 (got ${s.pctStart}·${s.totalSteps}).`);
    const pct = step / end1;
    lr = anneal(initialLr, s.maxLr, pct);
    mom = anneal(s.maxMomentum, s.baseMomentum, pct);
  } else {
    if (!(end2 > end1)) throw new StudioError('INVALID_INPUT', `One-cycle has an empty annealing phase (totalSteps ${s.totalSteps}, pctStart ${s.pctStart}).`);
    const pct = (step - end1) / (end2 - end1);
    lr = anneal(s.maxLr, minLr, pct);
    mom = anneal(s.baseMomentum, s.maxMomentum, pct);
  }
  return { lr, beta1: s.cycleMomentum ? mom : null };
}

/** The schedule's value for optimizer step `step` (0-based). */
export function scheduleAt(schedule: Schedule, step: number): ScheduleValue {
  switch (schedule.kind) {
    case 'constant':
      if (!Number.isInteger(step) || step < 0) throw new StudioError('INVALID_INPUT', `Schedule step must be a non-negative integer, got ${step}.`);
      return { lr: schedule.lr, beta1: null };
    case 'warmup-linear':
    case 'warmup-cosine': {
      checkStep(step, schedule.totalSteps);
      const { warmupSteps: w, totalSteps: t, lr } = schedule;
      if (w > t) throw new StudioError('INVALID_INPUT', `Warm-up (${w} steps) is longer than training (${t} steps).`);
      if (step < w) return { lr: (lr * step) / Math.max(1, w), beta1: null };
      if (schedule.kind === 'warmup-linear') return { lr: lr * Math.max(0, (t - step) / Math.max(1, t - w)), beta1: null };
      const progress = (step - w) / Math.max(1, t - w);
      return { lr: lr * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress))), beta1: null };
    }
    case 'one-cycle':
      return oneCycleAt(schedule, step);
  }
}

/** Values for steps 0 … totalSteps − 1 (constant: `steps` values). */
export function scheduleValues(schedule: Schedule, steps?: number): { lr: Float64Array; beta1: Float64Array | null } {
  const n = steps ?? (schedule.kind === 'constant' ? 0 : schedule.totalSteps);
  const lr = new Float64Array(n);
  const beta1 = schedule.kind === 'one-cycle' && schedule.cycleMomentum ? new Float64Array(n) : null;
  for (let i = 0; i < n; i++) {
    const v = scheduleAt(schedule, i);
    lr[i] = v.lr;
    if (beta1 !== null) beta1[i] = v.beta1!;
  }
  return { lr, beta1 };
}
