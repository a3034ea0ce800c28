/**
 * Early stopping on validation loss (lower is better). An evaluation improves when
 * loss < best − minDelta (strict, absolute delta, like Keras/HF); training should stop after
 * `patience` consecutive evaluations without improvement. A non-finite loss never improves and
 * counts as a bad evaluation, so a diverged run stops instead of looping on NaN.
 */
import { z } from 'zod';
import { StudioError } from '../errors.js';

export const EarlyStoppingStateSchema = z.object({
  patience: z.number().int().positive(),
  minDelta: z.number().nonnegative(),
  bestValue: z.number().nullable(),
  bestStep: z.number().int().nullable(),
  badEvaluations: z.number().int().nonnegative(),
  stopped: z.boolean(),
});
export type EarlyStoppingState = z.infer<typeof EarlyStoppingStateSchema>;

export interface EarlyStoppingUpdate {
  /** This evaluation is the new best: save a checkpoint now. */
  improved: boolean;
  shouldStop: boolean;
  bestStep: number | null;
  bestValue: number | null;
  badEvaluations: number;
}

export class EarlyStopping {
  private state: EarlyStoppingState;

  constructor(options: { patience: number; minDelta?: number } | { state: EarlyStoppingState }) {
    if ('state' in options) {
      this.state = EarlyStoppingStateSchema.parse(options.state);
      return;
    }
    const minDelta = options.minDelta ?? 0;
    if (!Number.isInteger(options.patience) || options.patience < 1)
      throw new StudioError('INVALID_INPUT', `Early-stopping patience must be an integer ≥ 1, got ${options.patience}.`);
    if (!(minDelta >= 0)) throw new StudioError('INVALID_INPUT', `Early-stopping min_delta must be ≥ 0, got ${minDelta}.`);
    this.state = { patience: options.patience, minDelta, bestValue: null, bestStep: null, badEvaluations: 0, stopped: false };
  }

  /** Records the validation loss measured at training step `step`. */
  update(step: number, loss: number): EarlyStoppingUpdate {
    const s = this.state;
    const improved = Number.isFinite(loss) && (s.bestValue === null || loss < s.bestValue - s.minDelta);
    if (improved) {
      s.bestValue = loss;
      s.bestStep = step;
      s.badEvaluations = 0;
    } else {
      s.badEvaluations += 1;
    }
    if (s.badEvaluations >= s.patience) s.stopped = true;
    return { improved, shouldStop: s.stopped, bestStep: s.bestStep, bestValue: s.bestValue, badEvaluations: s.badEvaluations };
  }

  get shouldStop(): boolean {
    return this.state.stopped;
  }

  get bestStep(): number | null {
    return this.state.bestStep;
  }

  get bestValue(): number | null {
    return this.state.bestValue;
  }

  /** Serialisable state, so a resumed run continues counting where it stopped. */
  toJSON(): EarlyStoppingState {
    return { ...this.state };
  }
}
