import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { OperationRegistry } from '../../engine/api/operations.js';
import { simulateToCsv } from '../../engine/sim/output.js';
import { SimulationSettingsSchema } from '../../engine/sim/settings.js';
import { StudioError } from '../../engine/errors.js';
import { formatZodIssues } from '../../engine/util/json.js';
import { contextFrom } from '../context.js';

function int(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a whole number.`);
    return Number(v);
  };
}

export function register(program: Command): void {
  program
    .command('simulate')
    .description('Simulate a virtual type-1 cohort (Hovorka 2004 model), deterministic for a seed')
    .option('--patients <n>', 'number of patients', int('--patients'), 12)
    .option('--days <n>', 'days per patient', int('--days'), 30)
    .option('--seed <n>', 'random seed', int('--seed'), 1)
    .option('--start <iso>', 'first instant, UTC (default 2024-01-01T00:00:00Z)')
    .option('--out <file.csv>', 'write the combined CSV layout (datetime,bg_mM,…,p_num) instead of a dataset')
    .option('--dataset <name>', 'name of the dataset to create (default sim-<patients>p-<days>d-seed<seed>)')
    .option('--demo', 'create the bundled demo cohort (resources/demo-cohort.json) unless it exists')
    .addHelpText(
      'after',
      '\nExamples:\n  ttm-studio simulate --patients 12 --days 30 --seed 1 --dataset cohort-a\n  ttm-studio simulate --patients 3 --days 7 --out sim.csv\n  ttm-studio simulate --demo',
    )
    .action(
      async (opts: { patients: number; days: number; seed: number; start?: string; out?: string; dataset?: string; demo?: boolean }, command: Command) => {
        const ctx = contextFrom(command);
        if (opts.demo === true) {
          const res = await ctx.withService((s) => s.invoke('datasets.ensureDemo', {}));
          ctx.out.result(res, () =>
            res.created
              ? `Created the demo dataset "${res.dataset.name}": ${res.dataset.patientCount} patients, ${res.dataset.readingCount.toLocaleString('en-US')} readings.`
              : `The demo dataset "${res.dataset.name}" already exists.`,
          );
          return;
        }
        if (opts.out !== undefined && opts.dataset !== undefined) throw new StudioError('INVALID_INPUT', 'Give --out or --dataset, not both.');
        if (opts.out !== undefined) {
          const parsed = SimulationSettingsSchema.safeParse({ patients: opts.patients, days: opts.days, seed: opts.seed, start: opts.start });
          if (!parsed.success) throw new StudioError('INVALID_INPUT', `Invalid simulation settings: ${formatZodIssues(parsed.error)}`);
          const ops = new OperationRegistry((e) => ctx.out.progress(e));
          const rows = await ops.run('Simulating', 'patients', undefined, (p) =>
            simulateToCsv(parsed.data, opts.out!, { signal: p.signal, onProgress: (d, t) => p.update(d, t) }),
          );
          ctx.out.endProgress();
          const result = { file: opts.out, rows, settings: parsed.data };
          ctx.out.result(
            result,
            () => `Wrote ${rows.toLocaleString('en-US')} rows (${opts.patients} patients × ${opts.days} days, seed ${opts.seed}) to ${opts.out}.`,
          );
          return;
        }
        const name = opts.dataset ?? `sim-${opts.patients}p-${opts.days}d-seed${opts.seed}`;
        const d = await ctx.withService((s) =>
          s.invoke('datasets.simulate', {
            name,
            patients: opts.patients,
            days: opts.days,
            seed: opts.seed,
            ...(opts.start !== undefined ? { start: opts.start } : {}),
          }),
        );
        ctx.out.result(
          d,
          () =>
            `Created dataset "${d.name}": ${d.patientCount} patients, ${d.readingCount.toLocaleString('en-US')} readings, ${d.eventCount.toLocaleString('en-US')} events.`,
        );
      },
    );
}
