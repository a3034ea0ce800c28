/**
 * The model report of one run: provenance, training curves, evaluation tables per horizon
 * and at 30/60/120 min beside the baselines, RMSE by horizon, Clarke and Parkes grids, hypo
 * detection, interval coverage, example forecasts, and the evaluation's limits in plain words.
 * Input is a validated ModelReportInput; a missing part renders as "not available because …".
 */
import type { GlucoseUnit } from '../units.js';
import { errorGridChart, forecastChart, lineChart, resetChartIds, type Series } from './charts.js';
import { dataTable, figure, keyValueTable, renderDocument, unavailable, type Column, type ReportSection } from './document.js';
import { DASH, duration, fractionPct, glucose, glucoseError, int, localTime, num, offsetName, pct, toUnit } from './format.js';
import { markup, type HtmlValue, type SafeHtml } from './html.js';
import { ModelReportInputSchema, type ModelEvaluation, type ModelReportInput, type ReportEvaluation } from './model-schema.js';
import { modelStyle } from './theme.js';

export const MODEL_REPORT_SECTIONS = [
  'summary',
  'provenance',
  'training',
  'evaluation',
  'rmse-by-horizon',
  'error-grids',
  'hypo',
  'coverage',
  'examples',
  'limits',
] as const;

/** ISO instant → "2024-01-01 10:00:00 UTC". */
const stamp = (iso: string | null): string => (iso === null ? DASH : `${iso.slice(0, 19).replace('T', ' ')} UTC`);

const HEADLINE_MINUTES = [30, 60, 120] as const;
const GROUP_NAMES: Record<string, string> = {
  in_distribution: 'Test part of training patients (in distribution)',
  unseen_patients: 'Unseen patients (holdout)',
};
const groupName = (g: string): string => GROUP_NAMES[g] ?? g.replace(/_/g, ' ');

function stepAt(m: ModelEvaluation, minutes: number) {
  return m.perStep.find((s) => s.minutes === minutes) ?? null;
}

function skill(m: ModelEvaluation, p: ModelEvaluation | null, minutes: number): number | null {
  const a = stepAt(m, minutes)?.rmseMgdl ?? null;
  const b = p === null ? null : (stepAt(p, minutes)?.rmseMgdl ?? null);
  return a === null || b === null || !(b > 0) ? null : 1 - a / b;
}

const persistenceOf = (ms: readonly ModelEvaluation[]): ModelEvaluation | null => ms.find((m) => m.model.toLowerCase() === 'persistence') ?? null;

function modelLabel(m: ModelEvaluation): HtmlValue {
  if (m.baseline) return markup`${m.model} <span class="note">(baseline)</span>`;
  return m.role === undefined ? markup`<strong>${m.model}</strong>` : markup`${m.model} <span class="note">(${m.role})</span>`;
}

const plainLabel = (m: ModelEvaluation): string => (m.baseline ? `${m.model} (baseline)` : m.role === undefined ? m.model : `${m.model} (${m.role})`);

/** A fine-tune run: the fine-tuned model against the model it started from, zero-shot, on the same windows. */
function comparisonPart(input: ModelReportInput, unit: GlucoseUnit): SafeHtml {
  const c = input.baseComparison;
  if (c === null || c === undefined) {
    const why = input.unavailable.baseComparison;
    return why === undefined ? markup`` : unavailable('The comparison with the base model', why);
  }
  const mins = HEADLINE_MINUTES.filter((t) => c.groups.some((g) => stepAt(g.tuned, t) !== null));
  const change = (tuned: number | null | undefined, base: number | null | undefined): string => {
    if (tuned === null || tuned === undefined || base === null || base === undefined || !(base > 0)) return DASH;
    const size = num((Math.abs(tuned - base) / base) * 100, 1);
    // No sign on a change that rounds to nothing.
    return size === num(0, 1) ? `${size} %` : `${tuned < base ? '−' : '+'}${size} %`;
  };
  const rows = c.groups.flatMap((g) =>
    mins.map((t) => {
      const b = stepAt(g.base, t)?.rmseMgdl;
      const f = stepAt(g.tuned, t)?.rmseMgdl;
      return [groupName(g.group), `${t} min`, int(g.windows), glucoseError(b, unit), glucoseError(f, unit), change(f, b)];
    }),
  );
  return markup`<h3>Fine-tuned against its base model</h3>${dataTable(
    [
      { label: 'Group' },
      { label: 'Horizon' },
      { label: 'Windows', num: true },
      { label: `${c.base} (zero-shot) RMSE`, num: true, unit },
      { label: `${c.tuned} (fine-tuned) RMSE`, num: true, unit },
      { label: 'Change', num: true },
    ],
    rows,
    { caption: `${c.tuned} against ${c.base}, the model it was fine-tuned from, evaluated zero-shot on the same test windows` },
  )}`;
}

function summary(input: ModelReportInput, unit: GlucoseUnit): SafeHtml {
  const r = input.run;
  const facts = keyValueTable([
    ['Run', `${r.id} (${r.kind.replace('_', '-')}, ${r.status})`],
    ['Model', input.model === null ? DASH : `${input.model.name} (${input.model.source})`],
    [
      'Dataset / split',
      `${input.data.dataset?.name ?? DASH} / ${input.data.split === null ? DASH : `${input.data.split.name} v${input.data.split.version} (${input.data.split.kind})`}`,
    ],
    ['Evaluated', input.evaluation === null ? 'no' : `${input.evaluation.createdAt?.slice(0, 16).replace('T', ' ') ?? ''} UTC`],
  ]);
  const e = input.evaluation;
  if (e === null) return markup`${facts}${unavailable('The evaluation summary', input.unavailable.evaluation ?? 'no evaluation is stored.')}`;
  const g = e.groups[0];
  if (g === undefined) return markup`${facts}${unavailable('The evaluation summary', 'the evaluation holds no group of test windows.')}`;
  const p = persistenceOf(g.models);
  const mins = HEADLINE_MINUTES.filter((m) => g.models.some((x) => stepAt(x, m) !== null));
  const cols: Column[] = [
    { label: 'Model' },
    ...mins.map((m) => ({ label: `RMSE ${m} min`, num: true, unit })),
    { label: 'Clarke A+B', num: true, unit: '%' },
    { label: 'Parkes A+B', num: true, unit: '%' },
  ];
  const rows = g.models.map((m) => [modelLabel(m), ...mins.map((t) => glucoseError(stepAt(m, t)?.rmseMgdl, unit)), pct(m.clarke.aPlusB), pct(m.parkes.aPlusB)]);
  const under = g.models.find((m) => !m.baseline) ?? null;
  const s60 = under === null ? null : skill(under, p, 60);
  return markup`${facts}${dataTable(cols, rows, { caption: `Headline: ${groupName(g.group)}, ${int(g.windows)} windows` })}${
    under !== null && s60 !== null
      ? markup`<p>At 60 min, ${under.model}'s RMSE is ${num(Math.abs(s60) * 100, 1)} % ${s60 >= 0 ? 'lower' : 'higher'} than persistence's (skill ${num(s60, 3)}).</p>`
      : ''
  }${comparisonPart(input, unit)}`;
}

function provenance(input: ModelReportInput): SafeHtml {
  const r = input.run;
  const m = input.model;
  const d = input.data.dataset;
  const s = input.data.split;
  const rows: [string, HtmlValue][] = [
    ['Run id / kind / status', `${r.id} / ${r.kind} / ${r.status}`],
    ['Created', stamp(r.createdAt)],
    ['Started', stamp(r.startedAt)],
    ['Finished', stamp(r.finishedAt)],
    ['Device', r.device ?? DASH],
    ['Seed', r.seed === null ? DASH : String(r.seed)],
    ['Output directory', r.outputDir === null ? DASH : markup`<code>${r.outputDir}</code>`],
  ];
  if (r.error !== null) rows.push(['Error', r.error]);
  for (const [k, v] of input.durations) rows.push([k, k.includes('samples/s') ? num(v, 0) : duration(v)]);
  const modelRows: [string, HtmlValue][] =
    m === null
      ? []
      : [
          ['Model', `${m.name} (id ${m.id ?? DASH})`],
          ['Source', m.source],
          ['Repository / revision', `${m.repo ?? DASH} @ ${m.revision ?? DASH}`],
          ['Path', m.path === null ? DASH : markup`<code>${m.path}</code>`],
          ...m.facts.map(([k, v]) => [k, v] as [string, HtmlValue]),
        ];
  const dataRows: [string, HtmlValue][] = [
    ['Dataset', d === null ? DASH : `${d.name} (id ${d.id}, ${d.source}, ${d.resolutionMin} min)`],
    ['Dataset fingerprint (SHA-256)', d === null ? DASH : markup`<code>${d.fingerprint}</code>`],
    ['Split', s === null ? DASH : `${s.name} v${s.version} (id ${s.id}, ${s.kind}): ${s.trainPatients} training patients, ${s.holdoutPatients} holdout`],
    ['Split content hash (SHA-256)', s === null ? DASH : markup`<code>${s.contentHash}</code>`],
  ];
  const versionRows = Object.entries(input.versions).map(([k, v]) => [k, v] as [string, HtmlValue]);
  const configEntries = Object.entries(input.config);
  // Long configurations (a training job has ~50 settings) go in two columns to stay on one page.
  const configRows = configEntries.map(([k, v]) => [markup`<code>${k}</code>`, markup`<code>${typeof v === 'string' ? v : JSON.stringify(v)}</code>`]);
  const half = Math.ceil(configRows.length / 2);
  const configPart = (rs: typeof configRows): SafeHtml => dataTable([{ label: 'Setting' }, { label: 'Value' }], rs, { className: 'config' });
  const configTable =
    configEntries.length === 0
      ? markup`<p class="note">The run recorded an empty configuration.</p>`
      : configRows.length <= 16
        ? markup`<h3>Run configuration</h3>${configPart(configRows)}`
        : markup`<h3>Run configuration</h3><div class="grid2"><div>${configPart(configRows.slice(0, half))}</div><div>${configPart(configRows.slice(half))}</div></div>`;
  return markup`<div class="grid2"><div><h3>Run</h3>${keyValueTable(rows)}</div><div><h3>Model</h3>${m === null ? unavailable('Model provenance', input.unavailable.model ?? 'the run names no model.') : keyValueTable(modelRows)}</div></div><h3>Data</h3>${input.unavailable.data !== undefined ? unavailable('Data provenance', input.unavailable.data) : ''}${keyValueTable(dataRows)}<h3>Software</h3>${keyValueTable(versionRows)}${input.unavailable.versions !== undefined ? markup`<p class="note">${input.unavailable.versions}</p>` : ''} ${configTable}`;
}

/** Readable names (with units) for the metrics the training loop records. */
const CURVE_LABELS: Record<string, string> = {
  'train/loss': 'Training loss',
  'eval/loss': 'Validation loss',
  'train/learning_rate': 'Learning rate (per step)',
  'train/grad_norm': 'Gradient norm (L2)',
};
const curveLabel = (name: string): string => CURVE_LABELS[name] ?? name;

function training(input: ModelReportInput): SafeHtml {
  if (input.curves.length === 0) return unavailable('Training curves', input.unavailable.curves ?? 'no training metrics are stored.');
  const loss = input.curves.filter((c) => /loss/i.test(c.name));
  const other = input.curves.filter((c) => !/loss/i.test(c.name));
  const toSeries = (cs: typeof input.curves): Series[] =>
    cs.map((c, i) => ({ label: curveLabel(c.name), xs: c.points.map((p) => p.step), ys: c.points.map((p) => p.value), style: modelStyle(i) }));
  const parts: SafeHtml[] = [];
  if (loss.length > 0)
    parts.push(
      figure(
        lineChart(toSeries(loss), {
          title: 'Training and validation loss',
          xLabel: 'Optimizer step',
          yLabel: 'Loss (training objective, data space)',
          logY: loss.every((c) => c.points.every((p) => p.value > 0)),
        }),
        'Loss by optimizer step (log scale when every value is positive); validation loss is measured at each evaluation interval.',
      ),
    );
  for (const c of other)
    parts.push(
      figure(
        lineChart(toSeries([c]), { title: curveLabel(c.name), xLabel: 'Optimizer step', yLabel: curveLabel(c.name), height: 200 }),
        `${curveLabel(c.name)} (${c.name}) by optimizer step.`,
      ),
    );
  const last = (name: string): number | null => {
    const c = input.curves.find((x) => x.name === name);
    return c === undefined || c.points.length === 0 ? null : c.points[c.points.length - 1]!.value;
  };
  const best = input.curves.find((c) => c.name === 'eval/loss');
  const bestPoint = best === undefined || best.points.length === 0 ? null : best.points.reduce((a, b) => (b.value < a.value ? b : a));
  parts.push(
    keyValueTable([
      ['Steps recorded', int(Math.max(...input.curves.map((c) => (c.points.length === 0 ? 0 : c.points[c.points.length - 1]!.step))))],
      ['Last training loss', num(last('train/loss'), 4)],
      ['Best validation loss', bestPoint === null ? DASH : `${num(bestPoint.value, 4)} at step ${bestPoint.step}`],
    ]),
  );
  return markup`${parts}`;
}

function horizonRows(e: ReportEvaluation): number[] {
  // Every 15 min when the grid divides it (a 96-step table would fill pages), else every step.
  const steps = e.forecastLength;
  const every = 15 % e.resolutionMin === 0 && steps * e.resolutionMin > 60 ? 15 / e.resolutionMin : 1;
  const out: number[] = [];
  for (let s = every; s <= steps; s += every) out.push(s * e.resolutionMin);
  return out;
}

function evaluationSection(input: ModelReportInput, unit: GlucoseUnit): SafeHtml {
  const e = input.evaluation;
  if (e === null) return unavailable('Evaluation tables', input.unavailable.evaluation ?? 'no evaluation is stored.');
  const parts: SafeHtml[] = [
    markup`<p>Test windows of ${e.contextLength} + ${e.forecastLength} steps at ${e.resolutionMin} min (${e.forecastLength * e.resolutionMin} min ahead), every ${e.stride} step(s); intervals calibrated on ${int(e.calibrationWindows)} validation windows. Only observed targets are scored; every model is scored on the same windows.</p>`,
  ];
  for (const g of e.groups) {
    const p = persistenceOf(g.models);
    const mins = HEADLINE_MINUTES.filter((m) => g.models.some((x) => stepAt(x, m) !== null));
    const rows: HtmlValue[][] = [];
    for (const t of mins)
      for (const m of g.models) {
        const s = stepAt(m, t)!;
        rows.push([
          `${t} min`,
          modelLabel(m),
          int(s.n),
          glucoseError(s.rmseMgdl, unit),
          glucoseError(s.maeMgdl, unit),
          pct(s.mard),
          glucoseError(s.biasMgdl, unit),
          num(skill(m, p, t), 3),
        ]);
      }
    parts.push(markup`<h3>${groupName(g.group)}: ${int(g.windows)} windows${g.patients !== null ? `, ${g.patients} patients` : ''}</h3>`);
    parts.push(
      dataTable(
        [
          { label: 'Horizon' },
          { label: 'Model' },
          { label: 'Targets', num: true },
          { label: 'RMSE', num: true, unit },
          { label: 'MAE', num: true, unit },
          { label: 'MARD', num: true, unit: '%' },
          { label: 'Bias', num: true, unit },
          { label: 'Skill vs persistence', num: true, unit: '1 − RMSE/RMSE₀' },
        ],
        rows,
        { caption: 'At 30, 60 and 120 min' },
      ),
    );
    const hmins = horizonRows(e);
    parts.push(
      dataTable(
        [{ label: 'Minutes ahead', num: true }, ...g.models.map((m) => ({ label: `${m.role === undefined ? m.model : plainLabel(m)} RMSE`, num: true, unit }))],
        hmins.map((t) => [String(t), ...g.models.map((m) => glucoseError(stepAt(m, t)?.rmseMgdl, unit))]),
        { caption: 'RMSE per horizon' },
      ),
    );
    parts.push(
      dataTable(
        [
          { label: 'Model' },
          { label: 'Scored targets', num: true },
          { label: 'RMSE (all steps)', num: true, unit },
          { label: 'MAE (all steps)', num: true, unit },
          { label: 'Trajectory RMSE', num: true, unit },
        ],
        g.models.map((m) => [
          modelLabel(m),
          int(m.scoredTargets),
          glucoseError(m.overall.rmseMgdl, unit),
          glucoseError(m.overall.maeMgdl, unit),
          m.trajectoryRmseMgdl === null ? DASH : `${glucoseError(m.trajectoryRmseMgdl, unit)} (≤ ${m.trajectoryRmseMinutes ?? '?'} min)`,
        ]),
        { caption: 'Pooled over the horizon' },
      ),
    );
  }
  parts.push(
    markup`<p class="note">Trajectory RMSE is the mean of the per-step RMSE up to the stated minute: it is much smaller than the RMSE at that minute, never compare one with the other.</p>`,
  );
  return markup`${parts}`;
}

function rmseChart(input: ModelReportInput, unit: GlucoseUnit): SafeHtml {
  const e = input.evaluation;
  if (e === null) return unavailable('The RMSE-by-horizon chart', input.unavailable.evaluation ?? 'no evaluation is stored.');
  return markup`${e.groups.map((g) =>
    figure(
      lineChart(
        g.models.map((m, i) => ({
          label: plainLabel(m),
          xs: m.perStep.map((s) => s.minutes),
          ys: m.perStep.map((s) => (s.rmseMgdl === null ? null : toUnit(s.rmseMgdl, unit))),
          style: modelStyle(i),
        })),
        { title: `RMSE by horizon, ${groupName(g.group)}`, xLabel: 'Minutes ahead', yLabel: `RMSE (${unit})`, yFromZero: true },
      ),
      `RMSE per horizon step, ${groupName(g.group)} (${int(g.windows)} windows); models differ by dash pattern as well as colour.`,
    ),
  )}`;
}

function zoneTable(e: ReportEvaluation, which: 'clarke' | 'parkes'): SafeHtml {
  const rows: HtmlValue[][] = [];
  for (const g of e.groups)
    for (const m of g.models) {
      const z = m[which];
      rows.push([e.groups.length > 1 ? `${groupName(g.group)}` : '', modelLabel(m), int(z.n), pct(z.A), pct(z.B), pct(z.C), pct(z.D), pct(z.E), pct(z.aPlusB)]);
    }
  return dataTable(
    [
      { label: 'Group' },
      { label: 'Model' },
      { label: 'Pairs', num: true },
      ...['A', 'B', 'C', 'D', 'E', 'A+B'].map((z) => ({ label: z, num: true, unit: '%' })),
    ],
    rows,
    { caption: `${which === 'clarke' ? 'Clarke' : 'Parkes (type 1)'} zones, all horizon steps pooled` },
  );
}

function errorGrids(input: ModelReportInput, unit: GlucoseUnit): SafeHtml {
  const e = input.evaluation;
  const pts = input.errorGrid;
  const parts: SafeHtml[] = [];
  if (pts === null) parts.push(unavailable('Error-grid points', input.unavailable.errorGrid ?? 'no forecasts are stored.'));
  const cap =
    pts === null
      ? ''
      : ` ${int(pts.referenceMgdl.length)} of ${int(pts.totalPairs)} (reference, forecast) pairs of ${pts.model} from ${pts.source}, all horizon steps.`;
  parts.push(
    markup`<div class="grid2">${figure(errorGridChart('clarke', pts, unit, 'Clarke error grid'), `Clarke error grid.${cap}`)}${figure(
      errorGridChart('parkes', pts, unit, 'Parkes error grid (type 1)'),
      `Parkes (consensus) error grid, type 1.${cap}`,
    )}</div>`,
  );
  if (e === null) parts.push(unavailable('Zone percentages', input.unavailable.evaluation ?? 'no evaluation is stored.'));
  else parts.push(zoneTable(e, 'clarke'), zoneTable(e, 'parkes'));
  parts.push(
    markup`<p class="note">Zone A: clinically accurate; B: benign errors; C: overcorrection; D: failure to detect; E: erroneous treatment. Report A+B beside the zone shares.</p>`,
  );
  return markup`${parts}`;
}

function hypoSection(input: ModelReportInput, unit: GlucoseUnit): SafeHtml {
  const e = input.evaluation;
  if (e === null) return unavailable('Hypoglycaemia detection', input.unavailable.evaluation ?? 'no evaluation is stored.');
  if (e.groups.every((g) => g.models.every((m) => m.hypoByHorizon.length === 0)))
    return unavailable(
      'Hypoglycaemia detection',
      'the stored evaluation has no per-horizon hypoglycaemia scores (it was written by an older version, or the horizon is shorter than 30 min); re-run the evaluation with this version.',
    );
  const parts: SafeHtml[] = [
    markup`<p>At each horizon +h, a test window is an event when the observed reading at +h is below the threshold, and predicted when the forecast at +h is; windows whose target at +h is imputed are not counted at that horizon.</p>`,
  ];
  for (const level of [1, 2] as const) {
    const entries = e.groups.flatMap((g) => g.models.flatMap((m) => m.hypoByHorizon.filter((h) => h.level === level)));
    const first = entries[0];
    if (first === undefined) continue;
    const mins = [...new Set(entries.map((h) => h.minutes))].sort((a, b) => a - b);
    const rows: HtmlValue[][] = [];
    for (const t of mins)
      for (const g of e.groups)
        for (const m of g.models) {
          const h = m.hypoByHorizon.find((x) => x.level === level && x.minutes === t);
          if (h === undefined) continue;
          rows.push([
            `+${t} min`,
            e.groups.length > 1 ? groupName(g.group) : '',
            modelLabel(m),
            int(h.windows),
            int(h.tp + h.fn),
            int(h.tp),
            int(h.fp),
            int(h.fn),
            int(h.tn),
            fractionPct(h.sensitivity),
            fractionPct(h.precision),
            fractionPct(h.specificity),
            num(h.mcc, 3),
          ]);
        }
    parts.push(
      dataTable(
        [
          { label: 'Horizon' },
          { label: 'Group' },
          { label: 'Model' },
          { label: 'Windows', num: true },
          { label: 'Events', num: true },
          { label: 'TP', num: true },
          { label: 'FP', num: true },
          { label: 'FN', num: true },
          { label: 'TN', num: true },
          { label: 'Sensitivity', num: true, unit: '%' },
          { label: 'Precision', num: true, unit: '%' },
          { label: 'Specificity', num: true, unit: '%' },
          { label: 'MCC', num: true },
        ],
        rows,
        { caption: `Level ${level} (< ${glucose(first.thresholdMgdl, unit)} ${unit}) at each horizon` },
      ),
    );
  }
  return markup`${parts}`;
}

function coverageSection(input: ModelReportInput, unit: GlucoseUnit): SafeHtml {
  const e = input.evaluation;
  if (e === null) return unavailable('Interval coverage', input.unavailable.evaluation ?? 'no evaluation is stored.');
  const rows: HtmlValue[][] = [];
  for (const g of e.groups)
    for (const m of g.models)
      for (const c of m.coverage)
        rows.push([
          e.groups.length > 1 ? groupName(g.group) : '',
          modelLabel(m),
          `${num(c.level * 100, 0)} %`,
          fractionPct(c.coverage),
          int(c.n),
          glucoseError(c.meanWidthMgdl, unit),
        ]);
  if (rows.length === 0) return unavailable('Interval coverage', 'the evaluation calibrated no prediction intervals (no validation windows).');
  return markup`<p>Split-conformal intervals per horizon step, calibrated on the validation part; empirical coverage on the test windows should match the nominal level.</p>${dataTable(
    [
      { label: 'Group' },
      { label: 'Model' },
      { label: 'Nominal', num: true },
      { label: 'Empirical', num: true, unit: '%' },
      { label: 'Targets', num: true },
      { label: 'Mean width', num: true, unit },
    ],
    rows,
  )}`;
}

function examplesSection(input: ModelReportInput, unit: GlucoseUnit): SafeHtml {
  if (input.examples.length === 0) return unavailable('Example forecasts', input.unavailable.examples ?? 'no forecasts are stored.');
  const figs = input.examples.map((x) =>
    figure(
      forecastChart(x, unit, `${x.label} window`),
      `${x.label[0]!.toUpperCase()}${x.label.slice(1)} window by RMSE (${glucoseError(x.rmseMgdl, unit)} ${unit}): patient ${x.patient}, origin ${localTime(x.originTs, x.utcOffsetMin)} ${offsetName(x.utcOffsetMin, null)}.`,
    ),
  );
  return markup`<p>Stored forecasts ranked by RMSE over their observed targets; the best, median and worst window.</p><div class="grid2">${figs}</div>`;
}

function limits(input: ModelReportInput): SafeHtml {
  const e = input.evaluation;
  const items: HtmlValue[] = [];
  if (e === null) items.push(markup`<li>No evaluation is stored, so no accuracy figure is reported.</li>`);
  else {
    for (const g of e.groups)
      items.push(
        markup`<li>${groupName(g.group)}: ${int(g.windows)} test windows${g.patients !== null ? ` from ${g.patients} patients` : ''}. Windows overlap in time, so they are not independent: the effective sample is smaller than the count.</li>`,
      );
    if (!e.groups.some((g) => g.group === 'unseen_patients'))
      items.push(markup`<li>No unseen (holdout) patient was evaluated: the figures say nothing about patients the model has not seen.</li>`);
    if (e.calibrationWindows === 0) items.push(markup`<li>No validation windows: intervals were not calibrated.</li>`);
    for (const n of e.notes) items.push(markup`<li>${n}</li>`);
  }
  if (input.data.dataset?.source === 'simulated' || input.data.dataset?.source === 'demo')
    items.push(markup`<li>The data are simulated (virtual patients): accuracy on real CGM data will differ, usually for the worse.</li>`);
  items.push(
    markup`<li>Error grids and MARD compare forecasts with CGM readings, not laboratory glucose; sensor error is part of the reference.</li>`,
    markup`<li>Results depend on the split: a different test period or patient choice changes them. Published reference points on real type-1 data (OhioT1DM) are about 18 mg/dL RMSE at 30 min and 32 mg/dL at 60 min.</li>`,
    markup`<li>Research use only. A forecast is not a measurement and must not drive treatment decisions.</li>`,
  );
  return markup`<ul>${items}</ul>`;
}

export function renderModelReport(raw: ModelReportInput, unitOverride?: GlucoseUnit): string {
  const input = ModelReportInputSchema.parse(raw);
  const unit: GlucoseUnit = unitOverride ?? 'mg/dL';
  resetChartIds();
  const sections: ReportSection[] = [
    { id: 'summary', title: 'Summary', body: summary(input, unit) },
    { id: 'provenance', title: 'Provenance', body: provenance(input), newPage: true },
    { id: 'training', title: 'Training curves', body: training(input), newPage: true },
    { id: 'evaluation', title: 'Evaluation per horizon', body: evaluationSection(input, unit), newPage: true },
    { id: 'rmse-by-horizon', title: 'RMSE by horizon', body: rmseChart(input, unit) },
    { id: 'error-grids', title: 'Clarke and Parkes error grids', body: errorGrids(input, unit), newPage: true },
    { id: 'hypo', title: 'Hypoglycaemia detection', body: hypoSection(input, unit), newPage: true },
    { id: 'coverage', title: 'Prediction interval coverage', body: coverageSection(input, unit) },
    { id: 'examples', title: 'Example forecasts', body: examplesSection(input, unit), newPage: true },
    { id: 'limits', title: 'Limits of this evaluation', body: limits(input) },
  ];
  const name = input.model?.name ?? `run ${input.run.id}`;
  return renderDocument({
    title: `Model report: ${name}, run ${input.run.id}`,
    subtitle: 'Glucose forecasting with TinyTimeMixer: provenance, training and held-out evaluation beside baselines',
    meta: [
      ['Run', `${input.run.id} (${input.run.kind}, ${input.run.status})`],
      ['Dataset', input.data.dataset?.name ?? DASH],
      ['Glucose unit', unit],
      ['Generated', `${input.generatedAt.slice(0, 16).replace('T', ' ')} UTC`],
      ['Model', name],
      ['Split', input.data.split === null ? DASH : `${input.data.split.name} v${input.data.split.version}`],
    ],
    sections,
    footer: `TTM Studio · generated ${input.generatedAt} · research use only, not a medical device.`,
  });
}
