/**
 * The dataset quality report: per-patient checks on raw readings and grids,
 * cohort checks, stored in quality_reports; and explicit fixes, recorded in quality_fixes.
 */
import { QualityFixSchema, QualityReportSchema, QualitySettingsSchema, type QualityFinding, type QualityFix, type QualityReport } from './schema.js';
import { StudioError } from '../../errors.js';
import type { Store } from '../../store/index.js';
import { nowIso } from '../../util/json.js';
import { loadPatientGrid } from '../grid/access.js';
import { resolveConflicts } from './conflicts.js';
import { checkCohort, checkPatient, type PatientCheckResult, type QualityEvent, type QualityReading, type QualitySettings } from './checks.js';

export { checkCohort, checkPatient, type QualitySettings } from './checks.js';

export interface CheckProgress {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

export function qualitySettingsFor(store: Store, datasetId: number, input: unknown = {}): QualitySettings {
  const parsed = QualitySettingsSchema.parse(input ?? {});
  const dataset = store.datasets.get(datasetId);
  return {
    resolutionMin: parsed.resolutionMin ?? dataset.resolutionMin,
    maxGapMin: parsed.maxGapMin ?? 30,
    contextLength: parsed.contextLength,
    forecastLength: parsed.forecastLength,
  };
}

/** Runs every check on a dataset and stores the report. Yields to the event loop between patients. */
export async function runQualityCheck(store: Store, datasetId: number, settings: QualitySettings, progress: CheckProgress = {}): Promise<QualityReport> {
  const dataset = store.datasets.get(datasetId);
  const patients = store.patients.list(datasetId);
  const results: PatientCheckResult[] = [];
  for (const [i, p] of patients.entries()) {
    if (progress.signal?.aborted === true) throw new StudioError('CANCELLED', 'Quality check was cancelled.');
    const readings: QualityReading[] = store.readings.inFileOrder(p.id);
    const grid = loadPatientGrid(store, p.id, { resolutionMin: settings.resolutionMin, maxGapMin: settings.maxGapMin });
    const events: QualityEvent[] = store.events.inFileOrder(p.id);
    results.push(checkPatient({ patientId: p.id, externalId: p.externalId, timeZone: p.timeZone }, readings, grid, settings, events));
    progress.onProgress?.(i + 1, patients.length);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const findings: QualityFinding[] = [...results.flatMap((r) => r.findings), ...checkCohort(results)];
  if (patients.length === 0) {
    findings.push({
      check: 'no_readings',
      severity: 'error',
      count: 0,
      patientId: null,
      externalId: null,
      channel: null,
      from: null,
      to: null,
      fix: null,
      message: `Dataset "${dataset.name}" has no patients. Import data or simulate a cohort first.`,
    });
  }
  findings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  const report: QualityReport = {
    reportId: null,
    datasetId,
    datasetName: dataset.name,
    createdAt: nowIso(),
    settings,
    summary: {
      patients: patients.length,
      readings: results.reduce((a, r) => a + r.summary.readings, 0),
      errors: findings.filter((f) => f.severity === 'error').length,
      warnings: findings.filter((f) => f.severity === 'warning').length,
      infos: findings.filter((f) => f.severity === 'info').length,
      usableWindows: results.reduce((a, r) => a + r.summary.usableWindows, 0),
    },
    patients: results.map((r) => r.summary),
    findings,
  };
  const id = store.transaction(() => store.quality.saveReport(datasetId, settings, report));
  return { ...report, reportId: id };
}

export function latestQualityReport(store: Store, datasetId: number): QualityReport | null {
  const id = store.quality.latestReportId(datasetId);
  if (id === undefined) return null;
  const parsed = QualityReportSchema.safeParse(store.quality.report(id).report);
  if (!parsed.success) return null; // written by an older version: run the check again
  return { ...parsed.data, reportId: id };
}

function applyOne(store: Store, datasetId: number, fix: QualityFix): number {
  if (fix.kind !== 'drop_channel') {
    const patient = store.patients.get(fix.patientId);
    if (patient.datasetId !== datasetId) throw new StudioError('INVALID_INPUT', `Patient ${fix.patientId} does not belong to this dataset.`);
  }
  switch (fix.kind) {
    case 'dedupe_readings':
      return store.quality.dedupeReadings(
        fix.patientId,
        fix.by === 'bin' ? (fix.resolutionMin ?? store.datasets.get(datasetId).resolutionMin) * 60_000 : null,
        fix.from,
        fix.to,
      );
    case 'remove_readings':
      if (fix.timestamps !== undefined) return store.quality.markReadingsRemovedAt(fix.patientId, fix.timestamps);
      if (fix.below === undefined && fix.above === undefined) throw new StudioError('INVALID_INPUT', 'remove_readings needs timestamps, below or above.');
      return store.quality.markReadingsRemovedWhere(fix.patientId, fix.below ?? null, fix.above ?? null, fix.from, fix.to);
    case 'convert_units':
      return store.quality.convertReadings(fix.patientId, fix.factor, fix.min, fix.max, fix.from, fix.to);
    case 'shift_time':
      return store.quality.shiftTime(fix.patientId, fix.from, fix.to, fix.offsetMin * 60_000);
    case 'drop_channel':
      return store.quality.dropChannel(datasetId, fix.channel);
    case 'resolve_conflicts':
      return resolveConflicts(store, fix.patientId, fix.strategy, fix.from, fix.to, fix.timestamps);
  }
}

/** Applies fixes in order, all or none, recording each in quality_fixes. Grids rebuild on next use. */
export function applyQualityFixes(store: Store, datasetId: number, fixes: readonly QualityFix[]): { fixId: number; fix: QualityFix; affected: number }[] {
  const checked = fixes.map((f) => QualityFixSchema.parse(f));
  return store.transaction(() =>
    checked.map((fix) => {
      const affected = applyOne(store, datasetId, fix);
      const fixId = store.quality.recordFix(datasetId, fix, { affected });
      return { fixId, fix, affected };
    }),
  );
}

/** The fixes of a stored report's findings chosen by index (all fixable findings when `indices` is undefined). */
export function fixesFromReport(report: QualityReport, indices?: readonly number[]): QualityFix[] {
  const chosen = indices ?? report.findings.map((_, i) => i).filter((i) => report.findings[i]!.fix !== null);
  return chosen.map((i) => {
    const f = report.findings[i];
    if (f === undefined) throw new StudioError('INVALID_INPUT', `The report has no finding #${i} (it has ${report.findings.length}).`);
    if (f.fix === null) throw new StudioError('INVALID_INPUT', `Finding #${i} (${f.check}) has no automatic fix: ${f.message}`);
    return f.fix;
  });
}
