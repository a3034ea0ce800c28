/**
 * The open real-CGM protocol (../shared/fixtures/cgm-open, CC BY 4.0), shared by the bundled
 * model's training script and `npm run bench -- accuracy`, so both measure the same thing:
 *
 *  - BrisT1D-Open, 20 people, split `main` (hybrid): five people held out entirely (never
 *    trained on, scored over their whole record); the other 15 train on their first 80 %,
 *    validate on the next 10 % (early stopping, recipe choices) and test on the last 10 %.
 *  - HUPA-UCM (24 people) and D1NAMO (Glucose-ML sample, 9 people): left out of training
 *    altogether; temporal split `temporal`: HUPA-UCM 80/10/10, D1NAMO 40/10/50 (a few days a
 *    person); the ridge baseline fits on the first part (which favours the baseline), the
 *    last part is scored.
 *
 * Everything goes through the StudioApi, as a researcher would use it.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ApiRequest, ApiResponse } from '../../src-main/engine/api/contract.js';
import type { StudioService } from '../../src-main/engine/api/service.js';
import type { EvaluationReport, GroupReport, ModelSummary } from '../../src-main/engine/forecast/evaluation-report.js';
import { repoRoot } from './support.js';

/** ../shared/fixtures beside the repository; TTM_SHARED_FIXTURES overrides it. */
export function fixturesDir(): string {
  return resolve(process.env.TTM_SHARED_FIXTURES ?? join(repoRoot(), '..', 'shared', 'fixtures'));
}

/** BrisT1D-Open people never trained on (seeded choice: 4 of the Dexcom G6 wearers, 1 of the Libre 2 wearers). */
export const HELD_OUT_PEOPLE = ['P01', 'P03', 'P10', 'P17', 'P22'] as const;

export type CohortName = 'bris' | 'hupa' | 'd1namo';

interface CohortSource {
  folder: string;
  pattern: RegExp;
  timeZone: string;
  split: { name: string; spec: ApiRequest<'splits.create'>['spec'] };
  citation: string;
}

export const COHORTS: Record<CohortName, CohortSource> = {
  bris: {
    folder: 'cgm-open/Bris-T1D_Open',
    pattern: /^P\d+\.csv$/,
    timeZone: 'Europe/London',
    split: { name: 'main', spec: { kind: 'hybrid', holdoutPatients: [...HELD_OUT_PEOPLE], testFraction: 0.1, valFraction: 0.1 } },
    citation:
      'BrisT1D-Open: James, Armstrong, O’Kane, Emerson, Abdallah (2025), University of Bristol, doi 10.5523/bris.33z5jc8fa6tob21ptrugzqog08 (CC BY 4.0)',
  },
  hupa: {
    folder: 'cgm-open/HUPA-UCM',
    pattern: /^HUPA\d+P\.csv$/,
    timeZone: 'Europe/Madrid',
    split: { name: 'temporal', spec: { kind: 'temporal', testFraction: 0.1, valFraction: 0.1 } },
    citation:
      'HUPA-UCM Diabetes Dataset: Hidalgo, Alvarado, Botella, Aramendi, Velasco, Garnica (2024), Mendeley Data V1, doi 10.17632/3hbcscwz44.1 (CC BY 4.0)',
  },
  d1namo: {
    folder: 'formats/d1namo-glucose-ml',
    pattern: /^\d+\.csv$/,
    timeZone: 'Europe/Zurich',
    // A few days a person: the last half is scored (a 10 % test part holds almost no 512 + 96-step window).
    split: { name: 'temporal', spec: { kind: 'temporal', testFraction: 0.5, valFraction: 0.1 } },
    citation: 'D1NAMO: Dubosson et al. (2018), Informatics in Medicine Unlocked 13, doi 10.1016/j.imu.2018.09.003 (Glucose-ML harmonised sample)',
  },
};

/** The cohort's CSV files, sorted; [] when the fixtures are not there. */
export function cohortFiles(name: CohortName): string[] {
  const dir = join(fixturesDir(), COHORTS[name].folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => COHORTS[name].pattern.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** Imports a cohort as dataset `name` with its split, unless the data directory has it already. */
export async function ensureCohort(service: StudioService, name: CohortName): Promise<boolean> {
  const files = cohortFiles(name);
  if (files.length === 0) return false;
  const c = COHORTS[name];
  if (!service.store.datasets.list().some((d) => d.name === name)) {
    await service.invoke('datasets.import', { paths: files, dataset: name, create: true, format: 'glucose-ml', timeZone: c.timeZone });
  }
  const splits = await service.invoke('splits.list', { dataset: name });
  if (!splits.some((s) => s.name === c.split.name)) await service.invoke('splits.create', { dataset: name, name: c.split.name, spec: c.split.spec });
  return true;
}

export function reportOf(r: ApiResponse<'forecast.evaluate'>): EvaluationReport {
  const rep = r.result?.report as EvaluationReport | undefined;
  if (rep === undefined) throw new Error(`evaluation run ${r.runId} ended ${r.status}: ${r.error ?? ''}`);
  return rep;
}

/** One model's headline numbers on one set of windows (mg/dL, %). */
export interface AccuracyRow {
  row: string;
  model: string;
  windows: number;
  rmse30: number | null;
  rmse60: number | null;
  rmse120: number | null;
  mae30: number | null;
  mae60: number | null;
  mae120: number | null;
  clarkeAB30: number | null;
  clarkeAB60: number | null;
  hypoMcc30: number | null;
  hypoMcc60: number | null;
}

function summaryRow(row: string, windows: number, m: ModelSummary, resolutionMin: number, rename: (model: string) => string): AccuracyRow {
  const at = (min: number) => m.at.find((x) => x.minutes === min);
  const zoneAt = (min: number): number | null => m.full.clarke.perStep[Math.round(min / resolutionMin) - 1]?.aPlusB ?? null;
  const mccAt = (min: number): number | null => (m.hypoByHorizon ?? []).find((h) => h.level === 1 && h.minutes === min)?.mcc ?? null;
  return {
    row,
    model: rename(m.model),
    windows,
    rmse30: at(30)?.rmseMgdl ?? null,
    rmse60: at(60)?.rmseMgdl ?? null,
    rmse120: at(120)?.rmseMgdl ?? null,
    mae30: at(30)?.maeMgdl ?? null,
    mae60: at(60)?.maeMgdl ?? null,
    mae120: at(120)?.maeMgdl ?? null,
    clarkeAB30: zoneAt(30),
    clarkeAB60: zoneAt(60),
    hypoMcc30: mccAt(30),
    hypoMcc60: mccAt(60),
  };
}

/** The classical baselines every evaluation reports beside the model under test. */
const BASELINES = new Set(['persistence', 'ridge', 'ar2']);

/** Rows of one group of a report: the TTM (renamed) and every baseline, all on the same windows. */
export function accuracyRows(row: string, report: EvaluationReport, group: GroupReport['group'], ttmName: string, only?: 'ttm'): AccuracyRow[] {
  const g = report.groups.find((x) => x.group === group);
  if (g === undefined) return [];
  const isTtm = (model: string): boolean => !BASELINES.has(model);
  return g.models
    .filter((m) => only === undefined || isTtm(m.model))
    .map((m) => summaryRow(row, g.windows, m, report.resolutionMin, (model) => (isTtm(model) ? ttmName : model)));
}

/** The TTM's ratios to persistence and to the best classical baseline (lowest RMSE at that minute) of a row. */
export function ratios(
  rows: readonly AccuracyRow[],
  ttmName: string,
): { persistence30: number | null; persistence60: number | null; best30: number | null; best60: number | null; best30Name: string; best60Name: string } {
  const ttm = rows.find((r) => r.model === ttmName);
  const baselines = rows.filter((r) => BASELINES.has(r.model));
  const pers = baselines.find((r) => r.model === 'persistence');
  const best = (key: 'rmse30' | 'rmse60') => baselines.filter((r) => r[key] !== null).sort((a, b) => a[key]! - b[key]!)[0];
  const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
    a === null || a === undefined || b === null || b === undefined || b === 0 ? null : a / b;
  const b30 = best('rmse30');
  const b60 = best('rmse60');
  return {
    persistence30: ratio(ttm?.rmse30, pers?.rmse30),
    persistence60: ratio(ttm?.rmse60, pers?.rmse60),
    best30: ratio(ttm?.rmse30, b30?.rmse30),
    best60: ratio(ttm?.rmse60, b60?.rmse60),
    best30Name: b30?.model ?? '—',
    best60Name: b60?.model ?? '—',
  };
}

const f1 = (v: number | null): string => (v === null ? '—' : v.toFixed(1));
const f2 = (v: number | null): string => (v === null ? '—' : v.toFixed(2));

/** A markdown table of rows, with the ratio columns for the TTM rows. */
export function accuracyTable(rows: readonly AccuracyRow[]): string {
  const lines = [
    '| row | model | RMSE@30 | RMSE@60 | RMSE@120 | MAE@30 | MAE@60 | MAE@120 | Clarke A+B @30 | @60 | hypo MCC @30 | @60 | × persistence @30/@60 | × best baseline @30/@60 | windows |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const byRow = new Map<string, AccuracyRow[]>();
  for (const r of rows) byRow.set(r.row, [...(byRow.get(r.row) ?? []), r]);
  for (const r of rows) {
    const isTtm = !BASELINES.has(r.model);
    const q = isTtm ? ratios(byRow.get(r.row)!, r.model) : null;
    const rs = q === null ? '' : `${f2(q.persistence30)} / ${f2(q.persistence60)}`;
    const rb = q === null ? '' : `${f2(q.best30)} / ${f2(q.best60)}`;
    lines.push(
      `| ${r.row} | ${r.model} | ${f1(r.rmse30)} | ${f1(r.rmse60)} | ${f1(r.rmse120)} | ${f1(r.mae30)} | ${f1(r.mae60)} | ${f1(r.mae120)} | ${f1(r.clarkeAB30)} | ${f1(r.clarkeAB60)} | ${f2(r.hypoMcc30)} | ${f2(r.hypoMcc60)} | ${rs} | ${rb} | ${r.windows} |`,
    );
  }
  return lines.join('\n');
}
