import type { Command } from 'commander';
import { contextFrom } from '../context.js';
import { table } from '../output.js';
import { intArg } from './train-args.js';

export function register(program: Command): void {
  const runs = program.command('runs').description('Training, prediction and evaluation runs');

  runs
    .command('list')
    .description('All runs, newest first')
    .action(async (_opts: object, command: Command) => {
      const ctx = contextFrom(command);
      const list = await ctx.withService((s) => s.invoke('runs.list', {}));
      ctx.out.result(list, () =>
        list.length === 0
          ? 'No runs yet. Start one with `ttm-studio train`.'
          : table(
              ['id', 'kind', 'status', 'dataset', 'model', 'device', 'created', 'error'],
              list.map((r) => [
                r.id,
                r.kind,
                r.status,
                r.datasetId,
                r.modelId,
                r.device,
                r.createdAt.slice(0, 19).replace('T', ' '),
                r.error?.slice(0, 60) ?? null,
              ]),
            ),
      );
    });

  runs
    .command('show')
    .description('One run: status, configuration, latest metrics, checkpoints, result')
    .argument('<run>', 'run id', intArg('run'))
    .action(async (run: number, _opts: object, command: Command) => {
      const ctx = contextFrom(command);
      const r = await ctx.withService((s) => s.invoke('runs.get', { run }));
      ctx.out.result(r, () => {
        const lines = [
          `Run ${r.id} (${r.kind}): ${r.status}${r.device !== null ? ` on ${r.device}` : ''}`,
          `  created ${r.createdAt}, finished ${r.finishedAt ?? '—'}`,
        ];
        if (r.outputDir !== null) lines.push(`  output ${r.outputDir}`);
        if (r.error !== null) lines.push(`  ${r.error}`);
        const metrics = Object.entries(r.lastMetrics);
        if (metrics.length > 0)
          lines.push(
            '',
            table(
              ['metric', 'step', 'value'],
              metrics.map(([name, m]) => [name, m.step, m.value]),
            ),
          );
        const best = r.checkpoints.filter((c) => c.best).pop();
        if (best !== undefined) lines.push('', `best checkpoint: step ${best.step} → ${best.path}`);
        return lines.join('\n');
      });
    });

  runs
    .command('cancel')
    .description('Stop a run after its current step (its last checkpoint is kept; resume with `train --resume`)')
    .argument('<run>', 'run id', intArg('run'))
    .action(async (run: number, _opts: object, command: Command) => {
      const ctx = contextFrom(command);
      const r = await ctx.withService((s) => s.invoke('train.cancel', { run }));
      ctx.out.result(r, () => (r.cancelled ? `Run ${run} will stop after its current step.` : `Run ${run} is not running.`));
    });
}
