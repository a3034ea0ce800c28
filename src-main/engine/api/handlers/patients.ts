/** `patients.trace`: a patient's grid over a time range, for the trace chart. */
import { StudioError } from '../../errors.js';
import { loadPatientGrid, sliceGrid } from '../../data/grid/access.js';
import { binRange } from '../../data/grid/build.js';
import { CHANNELS } from '../../data/grid/channels.js';
import type { PatientRow, Store } from '../../store/index.js';
import type { PatientTrace } from '../contract.js';
import type { Handlers } from './context.js';

/** Most grid points one trace request returns (70 days at 5 min). */
const MAX_TRACE_POINTS = 20_160;

function resolvePatient(store: Store, datasetId: number, ref: string | number): PatientRow {
  if (typeof ref === 'string') {
    const p = store.patients.find(datasetId, ref);
    if (p !== undefined) return p;
    if (!/^\d+$/.test(ref)) throw new StudioError('NOT_FOUND', `No patient "${ref}" in this dataset. List them with \`ttm-studio datasets show\`.`);
    ref = Number(ref);
  }
  const found = store.patients.list(datasetId).find((p) => p.id === ref);
  if (found === undefined) throw new StudioError('NOT_FOUND', `No patient ${ref} in this dataset.`);
  return found;
}

const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;

export const patientHandlers = {
  'patients.trace': (req, ctx) => {
    const dataset = ctx.store.datasets.resolve(req.dataset);
    const patient = resolvePatient(ctx.store, dataset.id, req.patient);
    const grid = loadPatientGrid(ctx.store, patient.id, {
      resolutionMin: req.grid?.resolutionMin ?? dataset.resolutionMin,
      maxGapMin: req.grid?.maxGapMin,
      imputation: req.grid?.imputation,
    });
    // default view: the last 7 days
    const stepMs = grid.stepMin * 60_000;
    const to = req.to ?? grid.startTs + grid.length * stepMs;
    const from = req.from ?? to - 7 * 86_400_000;
    const range = binRange(grid, from, to);
    if (range.to - range.from > MAX_TRACE_POINTS) {
      throw new StudioError(
        'INVALID_INPUT',
        `That range has ${range.to - range.from} grid points; ask for at most ${MAX_TRACE_POINTS} (${Math.floor((MAX_TRACE_POINTS * grid.stepMin) / 1440)} days at ${grid.stepMin} min).`,
      );
    }
    const slice = sliceGrid(grid, range.from, range.to);
    const channels = req.channels ?? CHANNELS.filter((c) => !grid.absent.includes(c));
    const trace: PatientTrace = {
      patientId: patient.id,
      externalId: patient.externalId,
      startTs: slice.startTs,
      stepMin: slice.stepMin,
      length: slice.length,
      channels: {},
      masks: {},
      segments: slice.segments,
      absent: slice.absent,
    };
    for (const c of channels) {
      trace.channels[c] = Array.from(slice.channels[c], (v) => (Number.isFinite(v) ? round4(v) : null));
      trace.masks[c] = Array.from(slice.masks[c]);
    }
    return trace;
  },
} satisfies Partial<Handlers>;
