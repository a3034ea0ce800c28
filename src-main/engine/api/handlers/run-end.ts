/**
 * What train.*, forecast.predict and forecast.evaluate answer: the run's status and result,
 * once the worker has ended or right after it started.
 */
import { StudioError } from '../../errors.js';
import type { JobEnd } from '../../jobs/host.js';
import type { RunRow } from '../../store/runs.js';
import type { CallContext } from './context.js';

export function runEnd(
  ctx: CallContext,
  runId: number,
): { runId: number; status: RunRow['status']; result: Record<string, unknown> | null; error: string | null } {
  const r = ctx.store.runs.get(runId);
  return { runId, status: r.status, result: r.result, error: r.error };
}

/** Waits for a job; a failure becomes an error a caller can act on, other ends are returned. */
export async function finished(ctx: CallContext, runId: number, done: Promise<JobEnd>): Promise<ReturnType<typeof runEnd>> {
  const end = await done;
  if (end.status === 'failed') throw new StudioError(end.code === 'INVALID_INPUT' || end.code === 'NOT_FOUND' ? end.code : 'RUNTIME', end.message, { runId });
  return runEnd(ctx, runId);
}
