import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { ReportResult } from '../../engine/api/contract.js';
import { StudioError } from '../../engine/errors.js';
import { findChromium, renderPdf } from '../../engine/report/pdf.js';
import type { GlucoseUnit } from '../../engine/units.js';
import { contextFrom } from '../context.js';

function positiveInt(name: string) {
  return (v: string): number => {
    if (!/^[1-9]\d*$/.test(v)) throw new InvalidArgumentError(`${name} must be a positive whole number.`);
    return Number(v);
  };
}

function unitOption(v: string): GlucoseUnit {
  const k = v.toLowerCase().replace(/\s/g, '');
  if (k === 'mg/dl' || k === 'mgdl') return 'mg/dL';
  if (k === 'mmol/l' || k === 'mmol') return 'mmol/L';
  throw new InvalidArgumentError('--unit is mg/dL or mmol/L.');
}

interface ReportOptions {
  dataset?: string;
  patient?: string;
  run?: number;
  out: string;
  unit?: GlucoseUnit;
}

function kb(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} kB`;
}

export function register(program: Command): void {
  program
    .command('report')
    .description('Write a self-contained HTML report (or PDF via headless Chromium): the data report of a dataset/patient, or the model report of a run')
    .option('--dataset <name>', 'dataset name or id: data report (with --run: the data the run describes when its row names none)')
    .option('--patient <id>', "one patient's data report (external id)")
    .option('--run <id>', 'model report of this run', positiveInt('--run'))
    .requiredOption('--out <file>', 'output file: .html, or .pdf (printed by Chromium from the same HTML; CHROMIUM_PATH or /usr/bin/chromium)')
    .option('--unit <unit>', 'glucose unit, mg/dL or mmol/L (default: the glucoseUnit setting)', unitOption)
    .addHelpText(
      'after',
      '\nExamples:\n  ttm-studio report --dataset demo --out report.html\n  ttm-studio report --dataset demo --patient sim-001 --unit mmol/L --out sim-001.pdf\n  ttm-studio report --run 7 --out run-7.pdf',
    )
    .action(async (opts: ReportOptions, command: Command) => {
      const ctx = contextFrom(command);
      if (opts.dataset === undefined && opts.run === undefined) throw new StudioError('INVALID_INPUT', 'Give --dataset (data report) or --run (model report).');
      if (opts.patient !== undefined && opts.run !== undefined) throw new StudioError('INVALID_INPUT', '--patient applies to data reports; leave out --run.');
      const out = resolve(opts.out);
      const ext = extname(out).toLowerCase();
      if (ext !== '.html' && ext !== '.htm' && ext !== '.pdf') throw new StudioError('INVALID_INPUT', `--out must end in .html or .pdf (got "${opts.out}").`);
      const pdf = ext === '.pdf';
      // Fail before the work when PDF output cannot be produced.
      const chromium = pdf ? findChromium() : null;
      const tmp = pdf ? await mkdtemp(join(tmpdir(), 'ttm-report-')) : null;
      try {
        const htmlPath = tmp !== null ? join(tmp, 'report.html') : out;
        const result: ReportResult = await ctx.withService((s) =>
          s.invoke('reports.generate', {
            ...(opts.dataset !== undefined ? { dataset: opts.dataset } : {}),
            ...(opts.patient !== undefined ? { patient: opts.patient } : {}),
            ...(opts.run !== undefined ? { run: opts.run } : {}),
            ...(opts.unit !== undefined ? { unit: opts.unit } : {}),
            out: htmlPath,
          }),
        );
        if (chromium === null) {
          ctx.out.result(
            { ...result, format: 'html' },
            () => `Wrote ${result.title} (${result.unit}, ${result.sections.length} sections, ${kb(result.bytes)}) to ${result.path}.`,
          );
          return;
        }
        ctx.out.info('Printing to PDF with Chromium…');
        const printed = await renderPdf(htmlPath, out, { chromiumPath: chromium });
        ctx.out.result(
          { ...result, format: 'pdf', path: printed.path, bytes: printed.bytes, htmlBytes: result.bytes },
          () => `Wrote ${result.title} (${result.unit}, ${kb(printed.bytes)} PDF) to ${printed.path}.`,
        );
      } finally {
        if (tmp !== null) await rm(tmp, { recursive: true, force: true });
      }
    });
}
