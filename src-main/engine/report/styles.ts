/**
 * The report's one stylesheet, inlined in <head>: calm and dense like a printed AGP report.
 * Print rules: A4 or Letter (the browser's paper size; margins fit both), each major section
 * on a new page, tables and charts never split across pages, colours kept in print.
 */
export const REPORT_CSS = `
:root { --ink: #222; --muted: #666; --rule: #c8c8c8; --head: #f1f3f5; --accent: #1c4e80; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0 auto; max-width: 190mm; padding: 10mm 0; color: var(--ink); font: 9.5pt/1.35 Helvetica, Arial, "Liberation Sans", sans-serif; background: #fff; }
header.report-head { border-bottom: 2px solid var(--accent); padding-bottom: 4mm; margin-bottom: 4mm; }
header.report-head h1 { font-size: 16pt; margin: 0 0 1mm 0; font-weight: 600; }
header.report-head .subtitle { color: var(--muted); font-size: 10pt; }
dl.meta { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: 0.6mm 4mm; margin: 3mm 0 0 0; font-size: 8.5pt; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; }
nav.toc { font-size: 8.5pt; margin: 2mm 0 4mm 0; color: var(--muted); }
nav.toc ol { margin: 1mm 0 0 0; padding-left: 5mm; columns: 2; }
section.report-section { margin-top: 6mm; }
section.report-section + section.report-section.page { break-before: page; page-break-before: always; }
h2 { font-size: 12.5pt; margin: 0 0 2mm 0; padding-bottom: 1mm; border-bottom: 1px solid var(--rule); font-weight: 600; color: var(--accent); }
h2, h3, caption { break-after: avoid; page-break-after: avoid; }
h3 { font-size: 10.5pt; margin: 4mm 0 1.5mm 0; font-weight: 600; }
p { margin: 1mm 0 2mm 0; }
p.note, .note { color: var(--muted); font-size: 8.5pt; }
p.unavailable { border-left: 3px solid #f2a900; background: #fff8e6; padding: 1.5mm 3mm; font-size: 9pt; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 3mm 0; font-size: 8.5pt; break-inside: avoid; page-break-inside: avoid; }
th, td { padding: 0.7mm 1.6mm; border-bottom: 0.5px solid var(--rule); vertical-align: top; }
thead th { background: var(--head); border-bottom: 1px solid #999; text-align: left; font-weight: 600; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.unit, th.unit { color: var(--muted); }
tr.total td { border-top: 1px solid #999; font-weight: 600; }
caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: 1mm; }
figure { margin: 2mm 0 3mm 0; break-inside: avoid; page-break-inside: avoid; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 8.5pt; color: var(--muted); margin-top: 1mm; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 4mm; }
.sev-error { color: #b00020; font-weight: 600; }
.sev-warning { color: #9a6700; font-weight: 600; }
.sev-info { color: var(--muted); }
.swatch { display: inline-block; width: 2.6mm; height: 2.6mm; margin-right: 1mm; vertical-align: -0.3mm; border: 0.3px solid #0003; }
.kv td:first-child { color: var(--muted); width: 38%; }
table.config td { padding: 0.3mm 1.2mm; }
table.config code { font-size: 7.2pt; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 8pt; word-break: break-all; }
footer.report-foot { margin-top: 8mm; border-top: 1px solid var(--rule); padding-top: 2mm; font-size: 8pt; color: var(--muted); }
@page { margin: 12mm 11mm 14mm 11mm; }
@media print { body { padding: 0; max-width: none; } }
`;

/** Regions whose printers take US Letter; everywhere else prints on A4. */
const LETTER_REGIONS: ReadonlySet<string> = new Set(['US', 'CA', 'MX', 'PH', 'CL', 'CO', 'VE', 'PR', 'GT', 'CR', 'PA', 'DO', 'SV', 'NI', 'HN', 'BZ']);

export type PaperSize = 'A4' | 'letter';

/**
 * The paper a report is printed on: TTM_STUDIO_PAPER (a4 | letter) when set, else the region of
 * the paper locale (LC_PAPER, LC_ALL, LANG, as POSIX reads them; then the runtime's locale):
 * Letter in North America and the other Letter countries, A4 elsewhere.
 */
export function paperSize(env: NodeJS.ProcessEnv = process.env, runtimeLocale: string = Intl.DateTimeFormat().resolvedOptions().locale): PaperSize {
  const forced = env.TTM_STUDIO_PAPER?.trim().toLowerCase();
  if (forced === 'a4') return 'A4';
  if (forced === 'letter') return 'letter';
  const posix = [env.LC_PAPER, env.LC_ALL, env.LANG].find((v) => v !== undefined && v !== '' && v !== 'C' && v !== 'POSIX');
  const region = (posix !== undefined ? /^[a-z]{2,3}_([A-Z]{2})/.exec(posix)?.[1] : undefined) ?? /[-_]([A-Z]{2})\b/.exec(runtimeLocale)?.[1];
  return region !== undefined && LETTER_REGIONS.has(region) ? 'letter' : 'A4';
}

/** The page rule for that paper (margins fit both sizes). */
export function pageRule(paper: PaperSize): string {
  return `@page { size: ${paper}; }`;
}
