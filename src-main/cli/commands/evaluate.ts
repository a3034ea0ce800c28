import { InvalidArgumentError, type Command } from 'commander';
import type { EvaluationReport } from '../../engine/forecast/evaluation-report.js';
import { hypoAt } from '../../engine/metrics/hypo.js';
import { contextFrom } from '../context.js';
import { table } from '../output.js';
import { fmt, intArg } from './train-args.js';

/** Human form of an evaluation: per group, one row per model with the headline figures. */
export function evaluationTable(report: EvaluationReport): string {
  const out: string[] = [];
  for (const g of report.groups) {
    const minutes = g.models[0]?.at.map((a) => a.minutes) ?? [];
    const headers = [
      'model',
      ...minutes.flatMap((m) => [`RMSE@${m} mg/dL`, `MAE@${m}`]),
      `tRMSE≤${g.models[0]?.trajectoryRmseMinutes ?? 60}`,
      'Clarke A+B %',
      'Parkes A+B %',
      ...minutes.map((m) => `hypo MCC@${m}`),
      ...report.levels.map((l) => `cov ${(l * 100).toFixed(0)} %`),
      `skill@${minutes[minutes.length - 1] ?? ''}`,
    ];
    const rows = g.models.map((m) => [
      m.model,
      ...m.at.flatMap((a) => [fmt(a.rmseMgdl), fmt(a.maeMgdl)]),
      fmt(m.trajectoryRmseMgdl),
      fmt(m.clarkeAB),
      fmt(m.parkesAB),
      ...minutes.map((mm) => fmt(hypoAt(m.hypoByHorizon, mm, 1)?.mcc, 2)),
      ...report.levels.map((l) => fmt((m.coverage.find((c) => c.level === l)?.coverage ?? Number.NaN) * 100)),
      fmt(m.skill[m.skill.length - 1]?.skill, 3),
    ]);
    const offered = g.offeredWindows !== undefined && g.offeredWindows !== g.windows ? ` of ${g.offeredWindows} offered` : '';
    out.push(
      `${g.group === 'in_distribution' ? 'In-distribution (test tail of training patients)' : 'Unseen patients (holdout)'}: ${g.windows}${offered} windows`,
    );
    out.push(table(headers, rows), '');
  }
  if (report.notes.length > 0) out.push(...report.notes.map((n) => `note: ${n}`));
  return out.join('\n');
}

export function register(program: Command): void {
  program
    .command('evaluate')
    .description("Score a model on the split's test windows beside persistence, ridge and log-AR2 (runs in a worker process)")
    .requiredOption('--model <model>', 'trained model (registered name or id)')
    .requiredOption('--dataset <dataset>', 'dataset name or id')
    .requiredOption('--split <split>', 'split name or id')
    .option('--stride <k>', 'every k-th test window', intArg('--stride'), 1)
    .option('--batch-size <n>', 'windows per model call', intArg('--batch-size'), 256)
    .option('--part <part>', 'test, or val to choose a recipe on validation data without looking at the test part', 'test')
    .addHelpText('after', '\nExample:\n  ttm-studio evaluate --model run-3 --dataset demo --split s1 --json')
    .action(async (opts: { model: string; dataset: string; split: string; stride: number; batchSize: number; part: string }, command: Command) => {
      const ctx = contextFrom(command);
      if (opts.part !== 'test' && opts.part !== 'val') throw new InvalidArgumentError('--part must be test or val.');
      const part = opts.part;
      const res = await ctx.withService((s) =>
        s.invoke('forecast.evaluate', { model: opts.model, dataset: opts.dataset, split: opts.split, stride: opts.stride, batchSize: opts.batchSize, part }),
      );
      ctx.out.result(res, () => {
        const report = (res.result?.report ?? null) as EvaluationReport | null;
        return report === null
          ? `Run ${res.runId}: ${res.status}`
          : `Run ${res.runId} (evaluation ${String(res.result?.evaluationId)})\n\n${evaluationTable(report)}`;
      });
    });
}
