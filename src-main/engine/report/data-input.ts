/**
 * What a data report is made of, gathered from the store: per patient the clinical CGM
 * summary of metrics/clinical.ts over the raw CGM readings (not the imputed grid: imputed
 * values are not data), and the dataset's latest quality report.
 */
import type { QualityReport } from '../data/quality/schema.js';
import { latestQualityReport, qualitySettingsFor, runQualityCheck } from '../data/quality/index.js';
import { StudioError } from '../errors.js';
import { clinicalSummary, type ClinicalSummary } from '../metrics/clinical.js';
import type { GlucoseUnit } from '../units.js';
import type { Store } from '../store/index.js';
import { appVersion } from '../system.js';

export interface PatientClinical {
  patientId: number;
  externalId: string;
  /** Zone name shown with local times (IANA name, or the UTC offset). */
  timeZone: string | null;
  utcOffsetMin: number;
  readings: number;
  /** Null when the patient has no valid CGM reading (the reason says so). */
  summary: ClinicalSummary | null;
  reason: string | null;
}

export interface DataReportInput {
  dataset: { id: number; name: string; description: string; source: string; resolutionMin: number; createdAt: string };
  unit: GlucoseUnit;
  generatedAt: string;
  appVersion: string;
  /** Set when the report covers one patient only. */
  patientFilter: string | null;
  patients: PatientClinical[];
  quality: QualityReport | null;
  /** Why the quality findings are missing, when they are. */
  qualityNote: string | null;
}

export interface DataReportOptions {
  dataset: string | number;
  patient?: string;
  unit: GlucoseUnit;
  /** Run (and store) a quality check when the dataset has none yet; default true. */
  checkQualityIfMissing?: boolean;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, message: string) => void;
}

export async function buildDataReportInput(store: Store, o: DataReportOptions): Promise<DataReportInput> {
  const dataset = store.datasets.resolve(o.dataset);
  let patients = store.patients.list(dataset.id);
  if (o.patient !== undefined) {
    patients = patients.filter((p) => p.externalId === o.patient || String(p.id) === o.patient);
    if (patients.length === 0)
      throw new StudioError(
        'NOT_FOUND',
        `No patient "${o.patient}" in dataset "${dataset.name}". List them with \`ttm-studio datasets show ${dataset.name}\`.`,
      );
  }
  const total = patients.length + 1;
  const out: PatientClinical[] = [];
  for (const [i, p] of patients.entries()) {
    if (o.signal?.aborted === true) throw new StudioError('CANCELLED', 'Report generation was cancelled.');
    o.onProgress?.(i, total, `summarising ${p.externalId}`);
    // CGM readings only (scans and finger sticks are another measurement), without those a fix removed.
    const rows = store.readings.cgmSeries(p.id);
    const fallback = p.utcOffsetMin ?? 0;
    const base = { patientId: p.id, externalId: p.externalId, timeZone: p.timeZone, utcOffsetMin: fallback, readings: rows.length };
    if (rows.length === 0) {
      out.push({ ...base, summary: null, reason: 'the patient has no CGM readings.' });
      continue;
    }
    const summary = clinicalSummary(
      {
        timestampsMs: Float64Array.from(rows, (r) => r.ts),
        glucose: Float64Array.from(rows, (r) => r.bg),
        unit: 'mmol/L',
        utcOffsetMin: Float64Array.from(rows, (r) => r.off ?? fallback),
      },
      { resolutionMin: dataset.resolutionMin },
    );
    out.push({ ...base, summary, reason: summary.validReadings === 0 ? 'none of its CGM readings is a valid glucose value.' : null });
    // Large cohorts: let progress events and cancels through between patients.
    await new Promise((r) => setImmediate(r));
  }
  let quality = latestQualityReport(store, dataset.id);
  let qualityNote: string | null = null;
  if (quality === null && o.checkQualityIfMissing !== false) {
    o.onProgress?.(patients.length, total, 'checking data quality');
    quality = await runQualityCheck(store, dataset.id, qualitySettingsFor(store, dataset.id, {}), { ...(o.signal !== undefined ? { signal: o.signal } : {}) });
    qualityNote =
      'No stored quality report existed, so the default check (context 512, forecast 96, gaps ≤ 30 min imputed) was run for this report and stored.';
  } else if (quality === null) {
    qualityNote = `no quality check has been run on this dataset; run \`ttm-studio check ${dataset.name}\`.`;
  }
  o.onProgress?.(total, total, 'done');
  return {
    dataset: {
      id: dataset.id,
      name: dataset.name,
      description: dataset.description,
      source: dataset.source,
      resolutionMin: dataset.resolutionMin,
      createdAt: dataset.createdAt,
    },
    unit: o.unit,
    generatedAt: new Date().toISOString(),
    appVersion: appVersion(),
    patientFilter: o.patient ?? null,
    patients: out,
    quality,
    qualityNote,
  };
}
