import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { contextFrom } from '../context.js';
import { table } from '../output.js';

function num(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number.`);
    return n;
  };
}

function day(ts: number): string {
  return new Date(ts).toISOString().slice(0, 16).replace('T', ' ');
}

export function register(program: Command): void {
  const splits = program.command('splits').description('Create and inspect train/validation/test splits (versioned; locked once a run uses them)');

  splits
    .command('create')
    .description('Create a split (a new version when the name exists)')
    .requiredOption('--dataset <dataset>', 'dataset name or id')
    .requiredOption('--name <name>', 'split name')
    .requiredOption('--kind <kind>', 'temporal | patient_holdout | hybrid')
    .option('--test-fraction <f>', 'last fraction of each patient for testing', num('--test-fraction'), 0.2)
    .option('--val-fraction <f>', 'fraction before the test part for validation', num('--val-fraction'), 0.1)
    .option('--gap-min <minutes>', 'time left out between parts', num('--gap-min'), 0)
    .option('--holdout-patients <ids>', 'comma-separated patient ids to hold out')
    .option('--holdout-fraction <f>', 'fraction of patients held out (seeded choice)', num('--holdout-fraction'), 0.1)
    .option('--seed <n>', 'seed of the holdout choice', num('--seed'), 1)
    .action(
      async (
        opts: {
          dataset: string;
          name: string;
          kind: string;
          testFraction: number;
          valFraction: number;
          gapMin: number;
          holdoutPatients?: string;
          holdoutFraction: number;
          seed: number;
        },
        command: Command,
      ) => {
        const ctx = contextFrom(command);
        const kinds = ['temporal', 'patient_holdout', 'hybrid'] as const;
        const kind = kinds.find((k) => k === opts.kind);
        if (kind === undefined) throw new InvalidArgumentError('--kind must be temporal, patient_holdout or hybrid.');
        const spec = {
          kind,
          testFraction: opts.testFraction,
          valFraction: opts.valFraction,
          gapMin: opts.gapMin,
          holdoutFraction: opts.holdoutFraction,
          seed: opts.seed,
          ...(opts.holdoutPatients !== undefined
            ? {
                holdoutPatients: opts.holdoutPatients
                  .split(',')
                  .map((x) => x.trim())
                  .filter((x) => x !== ''),
              }
            : {}),
        };
        const split = await ctx.withService((s) => s.invoke('splits.create', { dataset: opts.dataset, name: opts.name, spec }));
        ctx.out.result(
          split,
          () =>
            `Created split "${split.name}" v${split.version} (${split.kind}): ${split.trainPatients} training patient(s), ${split.holdoutPatients} held out. Show it with \`ttm-studio splits show ${opts.dataset} ${split.name}\`.`,
        );
      },
    );

  splits
    .command('list')
    .description('Splits of one dataset, or of all')
    .option('--dataset <dataset>', 'dataset name or id')
    .action(async (opts: { dataset?: string }, command: Command) => {
      const ctx = contextFrom(command);
      const list = await ctx.withService((s) => s.invoke('splits.list', opts.dataset !== undefined ? { dataset: opts.dataset } : {}));
      ctx.out.result(list, () =>
        list.length === 0
          ? 'No splits yet. Create one with `ttm-studio splits create`.'
          : table(
              ['dataset', 'name', 'version', 'kind', 'train pts', 'holdout pts', 'locked', 'created'],
              list.map((s) => [s.datasetId, s.name, s.version, s.kind, s.trainPatients, s.holdoutPatients, s.locked ? 'yes' : 'no', s.createdAt.slice(0, 16)]),
            ),
      );
    });

  splits
    .command('show')
    .description('Patient lists and time boundaries of a split')
    .argument('<dataset>', 'dataset name or id')
    .argument('<name>', 'split name')
    .option('--version <n>', 'version (default: latest)', num('--version'))
    .action(async (dataset: string, name: string, opts: { version?: number }, command: Command) => {
      const ctx = contextFrom(command);
      const split = await ctx.withService((s) => s.invoke('splits.get', { dataset, name, ...(opts.version !== undefined ? { version: opts.version } : {}) }));
      ctx.out.result(split, () => {
        const range = (r: { from: number; to: number } | null): string | null => (r === null ? null : `${day(r.from)} → ${day(r.to)}`);
        return [
          `Split "${split.name}" v${split.version} (${split.kind}${split.locked ? ', locked' : ''}), content hash ${split.contentHash.slice(0, 12)}`,
          `Held out: ${split.content.holdoutPatients.join(', ') || '—'}${split.content.excludedPatients.length > 0 ? `; excluded (no readings): ${split.content.excludedPatients.join(', ')}` : ''}`,
          '',
          table(
            ['patient', 'role', 'train', 'validation', 'test'],
            Object.entries(split.content.patients).map(([id, p]) => [id, p.role, range(p.train), range(p.val), range(p.test)]),
          ),
        ].join('\n');
      });
    });
}
