import { basename } from 'node:path';
import type { Command } from 'commander';
import { StudioError } from '../../engine/errors.js';
import { contextFrom } from '../context.js';
import { intArg, listArg, timeArg } from './train-args.js';

interface PredictOpts {
  model: string;
  dataset?: string;
  split?: string;
  input?: string;
  out?: string;
  part: 'train' | 'val' | 'test';
  every: number;
  patients?: string[];
  from?: number;
  to?: number;
  batchSize: number;
}

export function register(program: Command): void {
  program
    .command('predict')
    .description('Rolling-origin forecasts with split-conformal intervals, to the store and a CSV (runs in a worker process)')
    .requiredOption('--model <model>', 'trained model (registered name or id; it carries its preprocessor)')
    .option('--dataset <dataset>', 'dataset name or id')
    .option('--split <split>', 'split whose validation part calibrates the intervals')
    .option('--input <file.csv>', 'a CSV in the combined layout, datetime,bg_mM,…,p_num (imported as a dataset first)')
    .option('--out <file.csv>', 'CSV: datetime,p_num,origin,horizon_min,forecast,lower,upper,actual (mmol/L)')
    .option('--part <part>', 'train | val | test', 'test')
    .option('--every <k>', 'every k-th forecast origin', intArg('--every'), 1)
    .option('--patients <ids>', 'only these patients', listArg)
    .option('--from <iso>', 'first target instant', timeArg('--from'))
    .option('--to <iso>', 'end of the targets (exclusive)', timeArg('--to'))
    .option('--batch-size <n>', 'windows per model call', intArg('--batch-size'), 256)
    .addHelpText(
      'after',
      '\nExamples:\n  ttm-studio predict --model run-3 --dataset demo --split s1 --every 12 --out forecasts.csv\n  ttm-studio predict --model run-3 --input patient.csv --out forecasts.csv',
    )
    .action(async (opts: PredictOpts, command: Command) => {
      const ctx = contextFrom(command);
      if (!['train', 'val', 'test'].includes(opts.part)) throw new StudioError('INVALID_INPUT', '--part must be train, val or test.');
      const res = await ctx.withService(async (service) => {
        let dataset = opts.dataset;
        let split = opts.split;
        if (opts.input !== undefined) {
          if (dataset !== undefined) throw new StudioError('INVALID_INPUT', 'Give --input or --dataset, not both.');
          // An input file becomes a dataset with a temporal split: the first 20 % calibrate the intervals, the rest is forecast.
          dataset = `predict-${basename(opts.input)
            .replace(/[^\p{L}\p{N}._-]/gu, '_')
            .slice(0, 60)}-${Date.now()}`;
          await service.invoke('datasets.import', { paths: [opts.input], dataset, create: true, format: 'seed-csv' });
          await service.invoke('splits.create', { dataset, name: 'predict', spec: { kind: 'temporal', testFraction: 0.8, valFraction: 0.2 } });
          split = 'predict';
        }
        if (dataset === undefined || split === undefined) throw new StudioError('INVALID_INPUT', 'predict needs --dataset and --split, or --input.');
        return service.invoke('forecast.predict', {
          model: opts.model,
          dataset,
          split,
          part: opts.part,
          every: opts.every,
          batchSize: opts.batchSize,
          ...(opts.out !== undefined ? { out: opts.out } : {}),
          ...(opts.patients !== undefined ? { patients: opts.patients } : {}),
          ...(opts.from !== undefined ? { from: opts.from } : {}),
          ...(opts.to !== undefined ? { to: opts.to } : {}),
        });
      });
      ctx.out.result(res, () => {
        const r = res.result ?? {};
        const cov = Array.isArray(r.coverage) ? (r.coverage as { level: number; coverage: number | null }[]) : [];
        const lines = [
          `Run ${res.runId}: ${String(r.origins)} forecast origins stored${r.csvPath ? `, ${String(r.csvRows)} CSV rows → ${String(r.csvPath)}` : ''}.`,
        ];
        for (const c of cov)
          lines.push(`  ${(c.level * 100).toFixed(0)} % interval: empirical coverage ${c.coverage === null ? '—' : (c.coverage * 100).toFixed(1) + ' %'}`);
        return lines.join('\n');
      });
    });
}
