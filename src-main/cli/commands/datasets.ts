import type { Command } from 'commander';
import { contextFrom } from '../context.js';
import { table } from '../output.js';

function day(ts: number | null): string | null {
  return ts === null ? null : new Date(ts).toISOString().slice(0, 10);
}

export function register(program: Command): void {
  const datasets = program.command('datasets').description('List, inspect and delete datasets');

  datasets
    .command('list')
    .description('Datasets in the store with their patients and readings')
    .action(async (_opts, command: Command) => {
      const ctx = contextFrom(command);
      const list = await ctx.withService((s) => s.invoke('datasets.list', {}));
      ctx.out.result(list, () =>
        list.length === 0
          ? 'No datasets yet. Import files with `ttm-studio import` or create the demo cohort with `ttm-studio simulate`.'
          : table(
              ['name', 'source', 'patients', 'readings', 'events', 'from', 'to'],
              list.map((d) => [d.name, d.source, d.patientCount, d.readingCount, d.eventCount, day(d.firstTs), day(d.lastTs)]),
            ),
      );
    });

  datasets
    .command('show')
    .description('Patients of one dataset: days of data, readings, sensor wear')
    .argument('<dataset>', 'dataset name or id')
    .action(async (ref: string, _opts, command: Command) => {
      const ctx = contextFrom(command);
      const patients = await ctx.withService((s) => s.invoke('datasets.patients', { dataset: ref }));
      ctx.out.result(patients, () =>
        table(
          ['patient', 'days', 'readings', 'events', 'wear %', 'from', 'to'],
          patients.map((p) => [
            p.externalId,
            Number(p.days.toFixed(1)),
            p.readingCount,
            p.eventCount,
            Number(p.wearPercent.toFixed(1)),
            day(p.firstTs),
            day(p.lastTs),
          ]),
        ),
      );
    });

  datasets
    .command('delete')
    .description('Delete a dataset and everything derived from it')
    .argument('<dataset>', 'dataset name or id')
    .option('--yes', 'do not ask for confirmation (required when not on a terminal)')
    .action(async (ref: string, opts: { yes?: boolean }, command: Command) => {
      const ctx = contextFrom(command);
      if (opts.yes !== true) {
        const { confirm } = await import('../prompt.js');
        if (!(await confirm(`Delete dataset "${ref}" and all its data?`))) {
          ctx.out.info('Nothing deleted.');
          return;
        }
      }
      const res = await ctx.withService((s) => s.invoke('datasets.delete', { dataset: ref }));
      ctx.out.result(res, () => `Deleted dataset "${res.deleted}".`);
    });
}
