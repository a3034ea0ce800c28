/**
 * Golden clinical numbers on hand-built series, as the data report prints them, including
 * the sufficiency rules (GMI: ≥ 14 days and ≥ 70 % wear; AGP: ≥ 7 days with ≥ 1 h of data and
 * ≥ 70 % wear). Same series as test/unit/metrics/clinical.test.ts: value = 100 + 5·(local hour).
 */
import { describe, expect, it } from 'vitest';
import { clinicalSummary } from '../../../src-main/engine/metrics/clinical.js';
import type { DataReportInput, PatientClinical } from '../../../src-main/engine/report/data-input.js';
import { DATA_REPORT_SECTIONS, renderDataReport } from '../../../src-main/engine/report/data-report.js';
import { checkReportHtml } from '../../../src-main/engine/report/validate.js';

const MIN = 60_000;
const OFFSET = 60;
const T0 = Date.UTC(2024, 0, 1) - OFFSET * MIN;

function series(days: number, keep: (hour: number, day: number, k: number) => boolean = () => true): { ts: number[]; g: number[] } {
  const ts: number[] = [];
  const g: number[] = [];
  for (let d = 0; d < days; d++)
    for (let k = 0; k < 288; k++) {
      const hour = Math.floor(k / 12);
      if (!keep(hour, d, k)) continue;
      ts.push(T0 + (d * 288 + k) * 5 * MIN);
      g.push(100 + 5 * hour);
    }
  return { ts, g };
}

function patient(id: number, name: string, s: { ts: number[]; g: number[] }, options: { periodEndMs?: number } = {}): PatientClinical {
  return {
    patientId: id,
    externalId: name,
    timeZone: 'Europe/Berlin',
    utcOffsetMin: OFFSET,
    readings: s.ts.length,
    summary: clinicalSummary({ timestampsMs: s.ts, glucose: s.g, unit: 'mg/dL', utcOffsetMin: OFFSET }, options),
    reason: null,
  };
}

function input(patients: PatientClinical[], unit: 'mg/dL' | 'mmol/L' = 'mg/dL'): DataReportInput {
  return {
    dataset: { id: 1, name: 'golden', description: 'hand-built', source: 'import', resolutionMin: 5, createdAt: '2024-01-01T00:00:00Z' },
    unit,
    generatedAt: '2024-02-01T00:00:00.000Z',
    appVersion: 'test',
    patientFilter: null,
    patients,
    quality: null,
    qualityNote: 'no quality check has been run on this dataset.',
  };
}

/** The text of the row whose first cell is `label` in the section with this id. */
function rowOf(html: string, sectionId: string, label: string): string[] {
  const start = html.indexOf(`id="${sectionId}"`);
  const section = html.slice(start, html.indexOf('</section>', start));
  const row = [...section.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) => m[1]!).find((r) => r.startsWith(`<td>${label}</td>`));
  if (row === undefined) throw new Error(`no row "${label}" in #${sectionId}`);
  return [...row.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ''));
}

describe('data report: clinical numbers as printed', () => {
  it('14 full days: every figure, GMI and the AGP shown (mg/dL)', () => {
    const html = renderDataReport(input([patient(7, 'full', series(14))]));
    expect(checkReportHtml(html, [...DATA_REPORT_SECTIONS, 'patient-7']).errors).toEqual([]);
    // Patient, days, wear, readings, mean, SD, CV, GMI, then the five ranges.
    expect(rowOf(html, 'overview', 'full')).toEqual(['full', '14.0', '100.0', '4,032', '158', '34.6', '22.0', '7.1', '0.0', '0.0', '70.8', '29.2', '0.0']);
    expect(rowOf(html, 'patient-7', 'Mean glucose')).toEqual(['Mean glucose', '158 mg/dL']);
    expect(rowOf(html, 'patient-7', 'GMI')).toEqual(['GMI', '7.1 % (54 mmol/mol)']);
    expect(rowOf(html, 'patient-7', 'SD')).toEqual(['SD', '34.6 mg/dL']);
    expect(rowOf(html, 'patient-7', 'CV')).toEqual(['CV', '22.0 % (target ≤ 36 %)']);
    expect(rowOf(html, 'patient-7', 'Sensor wear')).toEqual(['Sensor wear', '100.0 %']);
    expect(rowOf(html, 'patient-7', 'Period')[1]).toBe('2024-01-01 00:00 to 2024-01-15 00:00 (Europe/Berlin)');
    expect(html).toContain('<title>Ambulatory glucose profile of full</title>');
    expect(html).not.toContain('AGP withheld');
    expect(html).not.toContain('withheld: GMI');
  });

  it('the same in mmol/L: levels with one decimal, errors with two, consensus edges in mmol/L', () => {
    const html = renderDataReport(input([patient(7, 'full', series(14))], 'mmol/L'));
    // 157.5 / 18.018 = 8.741; 34.615 / 18.018 = 1.921
    expect(rowOf(html, 'overview', 'full')).toEqual(['full', '14.0', '100.0', '4,032', '8.7', '1.92', '22.0', '7.1', '0.0', '0.0', '70.8', '29.2', '0.0']);
    expect(rowOf(html, 'patient-7', 'Mean glucose')).toEqual(['Mean glucose', '8.7 mmol/L']);
    expect(html).toContain('In range 3.9–10.0');
    expect(html).toContain('Glucose (mmol/L)');
  });

  /** The cells of the time-in-ranges row whose label (tags stripped) is `label`. */
  function rangeRow(html: string, label: string): string[] {
    const start = html.indexOf('id="patient-7"');
    const section = html.slice(start, html.indexOf('</section>', start));
    const rows = [...section.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) =>
      [...m[1]!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) =>
        c[1]!
          .replace(/<[^>]+>/g, '')
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>'),
      ),
    );
    const row = rows.find((r) => r[0] === label);
    if (row === undefined) throw new Error(`no range row "${label}"`);
    return row;
  }

  it.each([
    ['mg/dL', { veryHigh: '< 5 % (above 250)', high: '< 25 % (above 180)', inRange: '> 70 % (70–180)', low: '< 4 % (below 70)', veryLow: '< 1 % (below 54)' }],
    [
      'mmol/L',
      { veryHigh: '< 5 % (above 13.9)', high: '< 25 % (above 10.0)', inRange: '> 70 % (3.9–10.0)', low: '< 4 % (below 3.9)', veryLow: '< 1 % (below 3.0)' },
    ],
  ] as const)('consensus targets as printed (%s): > 70 %% in range, < 25 %% above 180, < 5 %% above 250, < 4 %% below 70, < 1 %% below 54', (unit, want) => {
    const html = renderDataReport(input([patient(7, 'full', series(14))], unit));
    expect(rangeRow(html, 'Very high')[3]).toBe(want.veryHigh);
    expect(rangeRow(html, 'High')[3]).toBe(want.high);
    expect(rangeRow(html, 'In range')[3]).toBe(want.inRange);
    expect(rangeRow(html, 'Low')[3]).toBe(want.low);
    expect(rangeRow(html, 'Very low')[3]).toBe(want.veryLow);
    // The figure caption states the same five targets.
    const caption = html
      .slice(html.indexOf('id="time-in-ranges"'), html.indexOf('</section>', html.indexOf('id="time-in-ranges"')))
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>');
    for (const t of Object.values(want)) expect(caption).toContain(t);
    expect(caption).not.toContain(unit === 'mg/dL' ? '< 4 % (below 54)' : '< 4 % (below 3.0)');
  });

  it('10 days: GMI withheld with its reason, AGP still shown', () => {
    const html = renderDataReport(input([patient(1, 'ten', series(10))]));
    expect(rowOf(html, 'overview', 'ten')[7]).toBe('—');
    expect(rowOf(html, 'patient-1', 'GMI')).toEqual(['GMI', 'withheld: GMI needs at least 14 days of data; this period has 10.0.']);
    expect(html).toContain('<title>Ambulatory glucose profile of ten</title>');
  });

  it('6 days: both withheld; the AGP says why', () => {
    const html = renderDataReport(input([patient(1, 'six', series(6))]));
    expect(html).toContain('AGP withheld:</strong> The AGP needs at least 7 days with an hour of data or more; this period has 6.');
    expect(html).not.toContain('<title>Ambulatory glucose profile');
  });

  it('14 days at 50 % wear (every other reading): GMI and AGP withheld for wear', () => {
    const html = renderDataReport(
      input([
        patient(
          1,
          'half',
          series(14, (_h, _d, k) => k % 2 === 0),
          { periodEndMs: T0 + 14 * 86_400_000 },
        ),
      ]),
    );
    expect(rowOf(html, 'overview', 'half').slice(0, 5)).toEqual(['half', '14.0', '50.0', '2,016', '158']);
    expect(rowOf(html, 'patient-1', 'GMI')).toEqual(['GMI', 'withheld: GMI needs at least 70 % sensor wear; this period has 50.0 %.']);
    expect(html).toContain('AGP withheld:</strong> The AGP needs at least 70 % sensor wear; this period has 50.0 %.');
  });

  it('AGP at the edge: 6 full days + exactly 1 h on a 7th is enough, 55 min is not', () => {
    // The default period ends one step after the last reading, so wear stays 100 %.
    const enough = series(7, (_h, d, k) => d < 6 || k < 12);
    const p = patient(1, 'edge', enough);
    expect(p.summary!.daysWithHourOfData).toBe(7);
    expect(renderDataReport(input([p]))).toContain('<title>Ambulatory glucose profile of edge</title>');
    const short = patient(
      1,
      'short',
      series(7, (_h, d, k) => d < 6 || k < 11),
    );
    expect(short.summary!.daysWithHourOfData).toBe(6);
    expect(renderDataReport(input([short]))).toContain('AGP withheld:</strong> The AGP needs at least 7 days with an hour of data or more; this period has 6.');
  });

  it('pools patients by readings in the total row and escapes patient names', () => {
    const a = patient(1, '<b>a</b>', series(14));
    const b = patient(
      2,
      'b&c',
      series(14, (h) => h < 12),
    );
    const html = renderDataReport(input([a, b]));
    expect(checkReportHtml(html, [...DATA_REPORT_SECTIONS, 'patient-1', 'patient-2']).errors).toEqual([]);
    expect(html).toContain('&lt;b&gt;a&lt;/b&gt;');
    expect(html).not.toContain('<b>a</b>');
    // b holds hours 0..11 (100..155 mg/dL, all in range): pooled in range = (2856 + 2016) / 6048
    const total = [...html.matchAll(/<tr class="total">(.*?)<\/tr>/g)][0]![1]!;
    const cells = [...total.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1]!);
    expect(cells[3]).toBe('6,048');
    expect(cells[10]).toBe(((100 * (2856 + 2016)) / 6048).toFixed(1));
    // mean: (157.5·4032 + 127.5·2016) / 6048 = 147.5 → 148
    expect(cells[4]).toBe('148');
  });

  it('a patient without readings says so instead of printing zeros', () => {
    const html = renderDataReport(
      input([{ patientId: 3, externalId: 'empty', timeZone: null, utcOffsetMin: 0, readings: 0, summary: null, reason: 'the patient has no CGM readings.' }]),
    );
    expect(html).toContain('<strong>The clinical summary not available</strong> because the patient has no CGM readings.');
    expect(html).toContain('<strong>Quality findings not available</strong> because no quality check has been run on this dataset.');
  });
});
