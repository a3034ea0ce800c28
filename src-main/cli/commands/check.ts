import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { QualityFix, QualityReport } from '../../engine/api/contract.js';
import { contextFrom } from '../context.js';
import { table } from '../output.js';

function int(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a whole number.`);
    return Number(v);
  };
}

/** A finding number, optionally with the alternative fix chosen (`3:mean`). */
interface FixChoice {
  index: number;
  alternative: string | null;
}

function indices(v: string): FixChoice[] {
  const parts = v.split(',').map((x) => x.trim());
  if (parts.some((x) => !/^\d+(:[a-z_]+)?$/.test(x)))
    throw new InvalidArgumentError('--fix takes finding numbers like 0,3,4, or 3:mean for an alternative fix (or nothing for every fixable finding).');
  return parts.map((x) => {
    const [n, alt] = x.split(':');
    return { index: Number(n), alternative: alt ?? null };
  });
}

/** The name an alternative fix is chosen by (`--fix 3:mean`). */
function fixLabel(fix: QualityFix): string {
  return fix.kind === 'resolve_conflicts' ? fix.strategy : fix.kind;
}

function chosenFix(report: QualityReport, c: FixChoice): QualityFix {
  const f = report.findings[c.index];
  if (f === undefined) throw new InvalidArgumentError(`The report has no finding #${c.index} (it has ${report.findings.length}).`);
  if (c.alternative === null || (f.fix !== null && fixLabel(f.fix) === c.alternative)) {
    if (f.fix === null) throw new InvalidArgumentError(`Finding #${c.index} (${f.check}) has no automatic fix.`);
    return f.fix;
  }
  const alt = (f.alternatives ?? []).find((a) => fixLabel(a) === c.alternative);
  if (alt === undefined)
    throw new InvalidArgumentError(
      `Finding #${c.index} has no fix "${c.alternative}"; its fixes: ${[f.fix, ...(f.alternatives ?? [])]
        .filter((x): x is QualityFix => x !== null)
        .map(fixLabel)
        .join(', ')}.`,
    );
  return alt;
}

function day(ts: number | null): string {
  return ts === null ? '' : new Date(ts).toISOString().slice(0, 16).replace('T', ' ');
}

function human(report: QualityReport): string {
  const s = report.summary;
  const lines = [
    `Quality of "${report.datasetName}" (report ${report.reportId ?? '—'}): ${s.patients} patients, ${s.readings.toLocaleString('en-US')} readings; ` +
      `${s.errors} error(s), ${s.warnings} warning(s), ${s.infos} note(s); ${s.usableWindows.toLocaleString('en-US')} usable windows ` +
      `(context ${report.settings.contextLength} + forecast ${report.settings.forecastLength} at ${report.settings.resolutionMin} min).`,
    '',
    table(
      ['patient', 'days', 'readings', 'wear %', 'missing %', 'interval min', 'segments', 'windows'],
      report.patients.map((p) => [
        p.externalId,
        Number(p.days.toFixed(1)),
        p.readings,
        Number(p.wearPercent.toFixed(1)),
        Number(p.missingPercent.toFixed(1)),
        p.modalIntervalMin,
        p.segments,
        p.usableWindows,
      ]),
    ),
  ];
  if (report.findings.length > 0) {
    lines.push('', 'Findings (fix with `ttm-studio check <dataset> --fix <numbers>`):');
    report.findings.forEach((f, i) => {
      const where = [f.externalId, f.channel !== 'bg_mM' ? f.channel : null, f.from !== null ? `${day(f.from)}–${day(f.to)}` : null]
        .filter((x) => x !== null)
        .join(' ');
      lines.push(
        `  #${i} ${f.severity.toUpperCase().padEnd(7)} ${f.check}${where !== '' ? ` [${where}]` : ''}: ${f.message}${f.fix !== null ? `  (fix: ${f.fix.kind}${f.fix.kind === 'resolve_conflicts' ? ` ${f.fix.strategy}` : ''}${(f.alternatives ?? []).length > 0 ? `; or --fix ${(f.alternatives ?? []).map((a) => `${i}:${fixLabel(a)}`).join(', ')}` : ''})` : ''}`,
      );
    });
  } else {
    lines.push('', 'No findings.');
  }
  return lines.join('\n');
}

export function register(program: Command): void {
  program
    .command('check')
    .description("Check a dataset's quality (gaps, units, duplicates, clock problems, usable windows); optionally apply fixes")
    .argument('<dataset>', 'dataset name or id')
    .option('--context <steps>', 'context length for usable-window counts', int('--context'), 512)
    .option('--forecast <steps>', 'forecast length for usable-window counts', int('--forecast'), 96)
    .option('--max-gap <minutes>', 'longest gap imputed rather than splitting the series', int('--max-gap'), 30)
    .option('--resolution <minutes>', "grid resolution (default: the dataset's)", int('--resolution'))
    .option(
      '--fix [numbers]',
      'apply the fixes of these findings (comma-separated numbers; 3:mean picks an alternative fix), or of every fixable finding; recorded in the store',
      indices,
    )
    .action(
      async (ref: string, opts: { context: number; forecast: number; maxGap: number; resolution?: number; fix?: FixChoice[] | true }, command: Command) => {
        const ctx = contextFrom(command);
        const settings = {
          contextLength: opts.context,
          forecastLength: opts.forecast,
          maxGapMin: opts.maxGap,
          ...(opts.resolution !== undefined ? { resolutionMin: opts.resolution } : {}),
        };
        await ctx.withService(async (s) => {
          const report = await s.invoke('quality.check', { dataset: ref, settings });
          if (opts.fix === undefined) {
            ctx.out.result(report, () => human(report));
            return;
          }
          const choices = opts.fix;
          const fixes =
            choices !== true && choices.some((c) => c.alternative !== null)
              ? await s.invoke('quality.fix', { dataset: ref, fixes: choices.map((c) => chosenFix(report, c)) })
              : await s.invoke('quality.fix', {
                  dataset: ref,
                  reportId: report.reportId ?? undefined,
                  findings: choices === true ? report.findings.flatMap((f, i) => (f.fix !== null ? [i] : [])) : choices.map((c) => c.index),
                });
          ctx.out.result({ report, fixes }, () =>
            [
              human(report),
              '',
              fixes.length === 0 ? 'No finding had an automatic fix.' : `Applied ${fixes.length} fix(es):`,
              ...fixes.map((f) => `  ${f.fix.kind}: ${f.affected} row(s) changed (fix ${f.fixId})`),
              fixes.length > 0 ? 'Run the check again to see the result.' : '',
            ].join('\n'),
          );
        });
      },
    );
}
