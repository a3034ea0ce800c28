/**
 * The data report of a dataset (or one patient): overview table, time in ranges, per
 * patient the clinical summary with its AGP, the quality findings, and how each figure is
 * defined. Every number comes from metrics/clinical.ts; this file only lays them out.
 */
import type { ClinicalSummary, TimeInRanges } from '../metrics/clinical.js';
import type { GlucoseUnit } from '../units.js';
import { agpChart, resetChartIds, tirBars } from './charts.js';
import type { DataReportInput, PatientClinical } from './data-input.js';
import { dataTable, figure, keyValueTable, renderDocument, unavailable, type Column, type ReportSection } from './document.js';
import { consensusTargets, DASH, errorDecimals, glucose, int, localTime, num, offsetName, pct, rangeLabels, toUnit } from './format.js';
import { markup, type SafeHtml } from './html.js';
import { RANGE_COLORS } from './theme.js';

/** Section ids of a data report (patients add `patient-<id>`). */
export const DATA_REPORT_SECTIONS = ['overview', 'time-in-ranges', 'quality', 'methods'] as const;

function gmiText(s: ClinicalSummary): string {
  return s.gmi.available ? `${s.gmi.percent.toFixed(1)} % (${s.gmi.mmolPerMol.toFixed(0)} mmol/mol)` : DASH;
}

function sd(s: ClinicalSummary, unit: GlucoseUnit): string {
  return s.sdMgdl === null ? DASH : num(toUnit(s.sdMgdl, unit), errorDecimals(unit));
}

function swatch(color: string): SafeHtml {
  return markup`<span class="swatch" style="background:${color}"></span>`;
}

function tirColumns(unit: GlucoseUnit): Column[] {
  const l = rangeLabels(unit);
  return [
    { label: `Very low ${l.veryLow}`, num: true, unit: '%' },
    { label: `Low ${l.low}`, num: true, unit: '%' },
    { label: `In range ${l.inRange}`, num: true, unit: '%' },
    { label: `High ${l.high}`, num: true, unit: '%' },
    { label: `Very high ${l.veryHigh}`, num: true, unit: '%' },
  ];
}

const tirCells = (t: TimeInRanges): string[] => [pct(t.veryLow), pct(t.low), pct(t.inRange), pct(t.high), pct(t.veryHigh)];

/** Readings-weighted pooling of the patients' figures (the same as pooling all readings). */
function pooled(patients: readonly PatientClinical[]): { readings: number; mean: number | null; tir: TimeInRanges } {
  let n = 0;
  let sum = 0;
  const acc = { veryLow: 0, low: 0, inRange: 0, high: 0, veryHigh: 0, below70: 0, above180: 0 };
  for (const p of patients) {
    const s = p.summary;
    if (s === null || s.validReadings === 0 || s.meanMgdl === null) continue;
    n += s.validReadings;
    sum += s.meanMgdl * s.validReadings;
    for (const k of Object.keys(acc) as (keyof typeof acc)[]) acc[k] += (s.timeInRanges[k] ?? 0) * s.validReadings;
  }
  const f = (v: number): number | null => (n === 0 ? null : v / n);
  return {
    readings: n,
    mean: f(sum),
    tir: {
      veryLow: f(acc.veryLow),
      low: f(acc.low),
      inRange: f(acc.inRange),
      high: f(acc.high),
      veryHigh: f(acc.veryHigh),
      below70: f(acc.below70),
      above180: f(acc.above180),
    },
  };
}

function overview(input: DataReportInput): SafeHtml {
  const u = input.unit;
  const cols: Column[] = [
    { label: 'Patient' },
    { label: 'Days', num: true, unit: 'd' },
    { label: 'Wear', num: true, unit: '%' },
    { label: 'Readings', num: true },
    { label: 'Mean', num: true, unit: u },
    { label: 'SD', num: true, unit: u },
    { label: 'CV', num: true, unit: '%' },
    { label: 'GMI', num: true, unit: '%' },
    ...tirColumns(u),
  ];
  const rows = input.patients.map((p) => {
    const s = p.summary;
    if (s === null) return [p.externalId, DASH, DASH, int(p.readings), DASH, DASH, DASH, DASH, DASH, DASH, DASH, DASH, DASH];
    return [
      p.externalId,
      num(s.daysOfData, 1),
      pct(s.sensorWearPercent),
      int(s.validReadings),
      glucose(s.meanMgdl, u),
      sd(s, u),
      pct(s.cvPercent),
      s.gmi.available ? num(s.gmi.percent, 1) : DASH,
      ...tirCells(s.timeInRanges),
    ];
  });
  const all = pooled(input.patients);
  const totalRow =
    input.patients.length > 1 ? [`All (pooled)`, DASH, DASH, int(all.readings), glucose(all.mean, u), DASH, DASH, DASH, ...tirCells(all.tir)] : undefined;
  const d = input.dataset;
  return markup`${keyValueTable([
    ['Dataset', `${d.name} (id ${d.id}, ${d.source})`],
    ['Description', d.description === '' ? DASH : d.description],
    ['Grid resolution', `${d.resolutionMin} min`],
    ['Patients in this report', `${input.patients.length}${input.patientFilter !== null ? ` (filtered to "${input.patientFilter}")` : ''}`],
    ['Glucose unit', u],
  ])} ${dataTable(cols, rows, { caption: 'Clinical CGM summary per patient', ...(totalRow !== undefined ? { totalRow } : {}) })}<p class="note">GMI is shown only where at least 14 days with ≥ 70 % sensor wear support it; “${DASH}” marks a figure that is withheld or undefined (see each patient's page for the reason). SD and CV: sample SD over valid readings.</p>`;
}

function tirSection(input: DataReportInput): SafeHtml {
  const rows = input.patients.filter((p) => p.summary !== null).map((p) => ({ label: p.externalId, tir: p.summary!.timeInRanges }));
  if (rows.length === 0) return unavailable('Time in ranges', 'no patient has valid CGM readings.');
  const c = consensusTargets(input.unit);
  return markup`${figure(tirBars(rows, input.unit, 'Time in ranges per patient'), `Share of valid CGM readings in each consensus range (${input.unit}); consensus targets: in range ${c.inRange}, ${c.high}, ${c.veryHigh}, ${c.low}, ${c.veryLow}.`)}`;
}

function patientSection(p: PatientClinical, input: DataReportInput): SafeHtml {
  const u = input.unit;
  const s = p.summary;
  if (s === null) return unavailable('The clinical summary', p.reason ?? 'the patient has no readings.');
  const zone = offsetName(p.utcOffsetMin, p.timeZone);
  const l = rangeLabels(u);
  const c = consensusTargets(u);
  const t = s.timeInRanges;
  const facts = keyValueTable([
    ['Period', `${localTime(s.periodStartMs, p.utcOffsetMin)} to ${localTime(s.periodEndMs, p.utcOffsetMin)} (${zone})`],
    ['Days of data', `${num(s.daysOfData, 1)} d (${s.daysWithHourOfData} local days with ≥ 1 h of data)`],
    ['Sensor wear', `${pct(s.sensorWearPercent)} %`],
    ['Valid readings', int(s.validReadings)],
    ['Mean glucose', `${glucose(s.meanMgdl, u)} ${u}`],
    ['GMI', s.gmi.available ? gmiText(s) : markup`withheld: ${s.gmi.reason}`],
    ['SD', `${sd(s, u)} ${u}`],
    ['CV', s.cvPercent === null ? DASH : `${pct(s.cvPercent)} % (target ≤ 36 %)`],
  ]);
  const ranges = dataTable(
    [{ label: 'Range' }, { label: `Glucose (${u})` }, { label: 'Time', num: true, unit: '%' }, { label: 'Consensus target' }],
    [
      [markup`${swatch(RANGE_COLORS.veryHigh)}Very high`, l.veryHigh, pct(t.veryHigh), c.veryHigh],
      [markup`${swatch(RANGE_COLORS.high)}High`, l.high, pct(t.high), c.high],
      [markup`${swatch(RANGE_COLORS.inRange)}In range`, l.inRange, pct(t.inRange), c.inRange],
      [markup`${swatch(RANGE_COLORS.low)}Low`, l.low, pct(t.low), c.low],
      [markup`${swatch(RANGE_COLORS.veryLow)}Very low`, l.veryLow, pct(t.veryLow), c.veryLow],
    ],
    { caption: 'Time in ranges' },
  );
  const agp = s.agp.available
    ? figure(
        agpChart(s.agp, u, `Ambulatory glucose profile of ${p.externalId}`),
        `Ambulatory glucose profile: 5th, 25th, 50th, 75th and 95th percentiles by local hour of day (${zone}) over all ${num(s.daysOfData, 1)} days, hourly bins smoothed 1-4-1 with wrap-around; target band ${l.inRange} ${u} shaded.`,
      )
    : markup`<h3>Ambulatory glucose profile</h3><p class="unavailable"><strong>AGP withheld:</strong> ${s.agp.reason}</p>`;
  return markup`<div class="grid2"><div>${facts}</div><div>${ranges}</div></div>${agp}`;
}

function qualitySection(input: DataReportInput): SafeHtml {
  const q = input.quality;
  if (q === null) return unavailable('Quality findings', input.qualityNote ?? 'no quality report is stored.');
  const ids = input.patientFilter === null ? null : new Set(input.patients.map((p) => p.patientId));
  const findings = q.findings.filter((f) => ids === null || f.patientId === null || ids.has(f.patientId));
  const zoneOf = new Map(input.patients.map((p) => [p.patientId, p.utcOffsetMin]));
  const when = (ts: number | null, pid: number | null): string => (ts === null ? '' : localTime(ts, pid === null ? 0 : (zoneOf.get(pid) ?? 0)));
  const s = q.summary;
  const rows = findings.map((f) => [
    markup`<span class="sev-${f.severity}">${f.severity}</span>`,
    f.check.replace(/_/g, ' '),
    f.externalId ?? 'cohort',
    f.from === null ? DASH : `${when(f.from, f.patientId)} – ${when(f.to, f.patientId)}`,
    int(f.count),
    f.message,
    f.fix === null ? DASH : f.fix.kind.replace(/_/g, ' '),
  ]);
  const perPatient = q.patients
    .filter((p) => ids === null || ids.has(p.patientId))
    .map((p) => [
      p.externalId,
      num(p.days, 1),
      pct(p.wearPercent),
      pct(p.missingPercent),
      p.modalIntervalMin === null ? DASH : num(p.modalIntervalMin, 0),
      int(p.segments),
      int(p.usableWindows),
    ]);
  return markup`<p>Quality report ${q.reportId ?? DASH} of ${q.createdAt.slice(0, 16).replace('T', ' ')} UTC: ${s.errors} error(s), ${s.warnings} warning(s), ${s.infos} note(s); grid ${q.settings.resolutionMin} min, gaps ≤ ${q.settings.maxGapMin} min imputed, usable windows counted for context ${q.settings.contextLength} + forecast ${q.settings.forecastLength} steps.</p>${input.qualityNote !== null ? markup`<p class="note">${input.qualityNote}</p>` : ''} ${dataTable(
    [
      { label: 'Patient' },
      { label: 'Days', num: true, unit: 'd' },
      { label: 'Wear', num: true, unit: '%' },
      { label: 'Missing', num: true, unit: '%' },
      { label: 'Interval', num: true, unit: 'min' },
      { label: 'Segments', num: true },
      { label: 'Usable windows', num: true },
    ],
    perPatient,
    { caption: 'Per patient' },
  )} ${rows.length === 0 ? markup`<p>No findings.</p>` : dataTable([{ label: 'Severity' }, { label: 'Check' }, { label: 'Patient' }, { label: 'When (local)' }, { label: 'Count', num: true }, { label: 'Finding' }, { label: 'Fix' }], rows, { caption: 'Findings' })}`;
}

function methodsSection(input: DataReportInput): SafeHtml {
  const l = rangeLabels(input.unit);
  return markup`<ul><li><strong>Data:</strong> raw CGM readings as imported (converted to ${input.unit}), excluding readings removed by a quality fix; imputed grid values are never counted. Sensor “Low”/“High” readings count at their clamped value.</li><li><strong>Days of data</strong> = (last reading + one ${input.dataset.resolutionMin}-min step − first reading) / 24 h. <strong>Sensor wear</strong> = ${input.dataset.resolutionMin}-min slots holding a valid reading / slots in the period.</li><li><strong>Mean, SD, CV:</strong> over valid readings; SD is the sample SD (n − 1); CV = SD / mean.</li><li><strong>GMI</strong> (%) = 3.31 + 0.02392 × mean (mg/dL); (mmol/mol) = 12.71 + 4.70587 × mean (mmol/L). Withheld with fewer than 14 days of data or under 70 % wear.</li><li><strong>Time in ranges:</strong> share of valid readings, each rounded to whole mg/dL before binning: very low ${l.veryLow}, low ${l.low}, in range ${l.inRange} (inclusive), high ${l.high}, very high ${l.veryHigh} ${input.unit}.</li><li><strong>AGP:</strong> readings binned by local hour of day; per hour the 5/25/50/75/95th percentiles (linear interpolation), each curve smoothed 1-4-1 over neighbouring hours with wrap-around. Withheld with fewer than 7 local days holding ≥ 1 h of data, or under 70 % wear.</li><li><strong>Limits:</strong> a summary describes the recorded period only; low wear or short records make every figure less representative, and sensor readings differ from laboratory glucose. Not for diagnosis or treatment decisions.</li></ul>`;
}

export function renderDataReport(input: DataReportInput): string {
  resetChartIds();
  const sections: ReportSection[] = [
    { id: 'overview', title: 'Overview', body: overview(input) },
    { id: 'time-in-ranges', title: 'Time in ranges', body: tirSection(input) },
    ...input.patients.map((p) => ({ id: `patient-${p.patientId}`, title: `Patient ${p.externalId}`, body: patientSection(p, input), newPage: true })),
    { id: 'quality', title: 'Data quality findings', body: qualitySection(input), newPage: true },
    { id: 'methods', title: 'Definitions and limits', body: methodsSection(input) },
  ];
  const title =
    input.patientFilter !== null
      ? `CGM data report: ${input.dataset.name}, patient ${input.patients[0]?.externalId ?? input.patientFilter}`
      : `CGM data report: ${input.dataset.name}`;
  return renderDocument({
    title,
    subtitle: 'Clinical CGM summary (international consensus metrics), ambulatory glucose profiles and data quality',
    meta: [
      ['Dataset', input.dataset.name],
      ['Patients', String(input.patients.length)],
      ['Glucose unit', input.unit],
      ['Generated', `${input.generatedAt.slice(0, 16).replace('T', ' ')} UTC`],
      ['Software', `TTM Studio ${input.appVersion}`],
      ['Resolution', `${input.dataset.resolutionMin} min`],
    ],
    sections,
    footer: `TTM Studio ${input.appVersion} · generated ${input.generatedAt} · research use only, not a medical device.`,
  });
}
