/**
 * `ttm-studio import <files or folders…> --dataset NAME [--create] [--format F] [--tz ZONE]
 * [--date-order dmy|mdy|ymd] [--mapping mapping.json] [--dry-run]`: the same StudioApi
 * methods the import wizard uses (datasets.detect / preview / import), with a progress bar
 * on stderr and Ctrl+C to cancel (nothing is written then).
 */
import { randomUUID } from 'node:crypto';
import { Option, type Command } from 'commander';
import { readMappingFile } from '../../engine/data/importers/mapping.js';
import { StudioError } from '../../engine/errors.js';
import { contextFrom } from '../context.js';
import { table } from '../output.js';
import { FORMAT_IDS } from '../../engine/data/importers/types.js';

const FORMATS = FORMAT_IDS;

interface ImportCliOptions {
  dataset?: string;
  create?: boolean;
  format?: (typeof FORMATS)[number];
  tz?: string;
  dateOrder?: 'dmy' | 'mdy' | 'ymd';
  mapping?: string;
  dryRun?: boolean;
}

export function register(program: Command): void {
  program
    .command('import')
    .description(
      'Import CGM/insulin/carb exports (Dexcom Clarity, LibreView, Nightscout, Tidepool, OhioT1DM XML, Glucose-ML, GluPredKit, generic CSV) into a dataset',
    )
    .argument('<paths...>', 'files or folders (a folder imports every recognised file in it)')
    .option('--dataset <name>', 'dataset to import into')
    .option('--create', 'create the dataset if it does not exist')
    .addOption(new Option('--format <format>', 'skip detection and read the files as this format').choices(FORMATS))
    .option('--tz <zone>', 'IANA time zone of local timestamps, e.g. Europe/Oslo (default: UTC, with a warning)')
    .addOption(
      new Option('--date-order <order>', 'date order of locale timestamps when the file does not settle it (LibreView)').choices(['dmy', 'mdy', 'ymd']),
    )
    .option('--mapping <file.json>', 'column mapping for a generic CSV (implies --format generic-csv)')
    .option('--dry-run', 'detect the formats and preview the first rows; write nothing')
    .action(async (paths: string[], opts: ImportCliOptions, command: Command) => {
      const ctx = contextFrom(command);
      const mapping = opts.mapping === undefined ? undefined : await readMappingFile(opts.mapping);
      const common = {
        ...(opts.format !== undefined ? { format: opts.format } : {}),
        ...(opts.tz !== undefined ? { timeZone: opts.tz } : {}),
        ...(opts.dateOrder !== undefined ? { dateOrder: opts.dateOrder } : {}),
        ...(mapping !== undefined ? { mapping } : {}),
      };
      if (opts.dryRun === true) {
        const result = await ctx.withService(async (s) => {
          const detected = await s.invoke('datasets.detect', {
            paths,
            ...(opts.format !== undefined ? { format: opts.format } : {}),
            ...(mapping !== undefined ? { mapping } : {}),
          });
          const previews = [];
          for (const d of detected) if (d.format !== null) previews.push(await s.invoke('datasets.preview', { path: d.path, rows: 5, ...common }));
          return { detected, previews };
        });
        ctx.out.result(result, () =>
          [
            table(
              ['file', 'format', 'confidence', 'why'],
              result.detected.map((d) => [d.file, d.format ?? 'not recognised', Number(d.confidence.toFixed(2)), d.reasons[0] ?? '']),
            ),
            ...result.previews.map((p) =>
              [
                `\n${p.file} (${p.format ?? '?'}): first ${p.rows.length} rows`,
                table(
                  ['datetime (UTC)', 'offset', 'p_num', 'channel', 'value', 'unit', 'flags', 'row'],
                  p.rows.map((r) => [r.datetime, r.utcOffsetMin, r.p_num, r.channel, Number(r.value.toFixed(3)), r.unit, r.flags, r.sourceRow]),
                ),
                ...p.warnings.map((w) => `  warning: ${w.message} (${w.count}×${w.firstLine !== null ? `, first at line ${w.firstLine}` : ''})`),
              ].join('\n'),
            ),
          ].join('\n'),
        );
        return;
      }
      if (opts.dataset === undefined)
        throw new StudioError('INVALID_INPUT', 'Name the dataset to import into with --dataset NAME (add --create for a new one).');
      const dataset = opts.dataset;
      const report = await ctx.withService((s) =>
        s.invoke('datasets.import', { paths, dataset, create: opts.create === true, ...common, operationId: `import-${randomUUID()}` }),
      );
      ctx.out.result(report, () => {
        const lines = [
          table(
            ['file', 'format', 'status', 'patients', 'readings', 'events', 'warnings'],
            report.files.map((f) => [f.file, f.format ?? '—', f.status, f.patients.length, f.readings, f.events, f.warnings.reduce((a, w) => a + w.count, 0)]),
          ),
        ];
        for (const f of report.files) {
          if (f.reason !== null) lines.push(`${f.file}: ${f.reason}`);
          for (const w of f.warnings)
            lines.push(`${f.file}: warning: ${w.message} (${w.count}×${w.firstLine !== null ? `, first at line ${w.firstLine}` : ''})`);
          for (const n of f.notes) lines.push(`note: ${n}`);
        }
        const verb = report.createdDataset ? 'Created dataset' : 'Dataset';
        lines.push(
          `${verb} "${report.dataset}": added ${report.readings.toLocaleString('en-US')} readings and ${report.events.toLocaleString('en-US')} events in ${(report.durationMs / 1000).toFixed(1)} s` +
            (report.warnings > 0 ? ` (${report.warnings.toLocaleString('en-US')} warnings)` : '') +
            '.',
        );
        return lines.join('\n');
      });
    });
}
