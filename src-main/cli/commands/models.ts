/**
 * `ttm-studio models list | show <model> | import <dir> [--name N] | pull [repo] --context 512
 * --forecast 96 [--revision R] [--endpoint URL] [--token T] | export-onnx <model> <file.onnx> |
 * delete <model>`: the StudioApi models.* methods, with a download bar on stderr and Ctrl+C to
 * cancel a pull (the partial download is kept and resumed by the next pull).
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { ModelDetail } from '../../engine/api/contract.js';
import { formatBytes } from '../../engine/util/bytes.js';
import { contextFrom } from '../context.js';
import { table } from '../output.js';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function describe(m: ModelDetail): string {
  const lines = [
    `${m.name} (id ${m.id}, ${m.source})`,
    `  path:        ${m.path}`,
    ...(m.repo !== null ? [`  hub:         ${m.repo}@${m.revision ?? 'main'}`] : []),
    `  window:      context ${m.contextLength ?? '?'} → forecast ${m.forecastLength ?? '?'}, ${m.channels ?? '?'} channel(s)`,
    `  parameters:  ${m.parameters.total.toLocaleString('en-US')} (${m.parameters.trainableFrozenBackbone.toLocaleString('en-US')} trainable with a frozen backbone)`,
    `  files:       ${m.files.map((f) => `${f.name} (${formatBytes(f.bytes)})`).join(', ') || 'none'}`,
  ];
  const c = m.config;
  if (m.available) {
    lines.push(
      `  architecture: patch ${String(c.patch_length)}/${String(c.patch_stride)}, d_model ${String(c.d_model)}, ${String(c.num_layers)} layers × ${String(c.adaptive_patching_levels)} levels, decoder ${String(c.decoder_d_model)} × ${String(c.decoder_num_layers)} (${String(c.decoder_mode)})`,
    );
  } else {
    lines.push(`  NOT LOADABLE: ${m.problem ?? 'unknown problem'}`);
  }
  return lines.join('\n');
}

export function register(program: Command): void {
  const models = program.command('models').description('Model sources: list, inspect, import, pull from the hub, export to ONNX, delete');

  models
    .command('list')
    .description('Registered models (bundled, pulled from the hub, imported, trained); the default one is marked')
    .action(async (_opts, command: Command) => {
      const ctx = contextFrom(command);
      const list = await ctx.withService((s) => s.invoke('models.list', {}));
      ctx.out.result(list, () =>
        list.length === 0
          ? 'No models yet. Pull one with `ttm-studio models pull --context 512 --forecast 96` or import a directory with `ttm-studio models import <dir>`.'
          : table(
              ['id', 'name', 'source', 'context', 'forecast', 'channels', 'hub', 'path'],
              list.map((m) => [
                m.id,
                m.default ? `${m.name} (default)` : m.name,
                m.source,
                m.contextLength ?? '',
                m.forecastLength ?? '',
                m.channels ?? '',
                m.repo !== null ? `${m.repo}@${m.revision ?? 'main'}` : '',
                m.path,
              ]),
            ),
      );
    });

  models
    .command('show')
    .description('Configuration, parameter counts and files of one model')
    .argument('<model>', 'model name or id')
    .action(async (ref: string, _opts, command: Command) => {
      const ctx = contextFrom(command);
      const m = await ctx.withService((s) => s.invoke('models.show', { model: ref }));
      ctx.out.result(m, () => describe(m));
    });

  models
    .command('import')
    .description('Register a checkpoint directory (config.json + model.safetensors, validated; not copied)')
    .argument('<dir>', 'checkpoint directory')
    .option('--name <name>', 'name in the model list (default: the directory name)')
    .action(async (dir: string, opts: { name?: string }, command: Command) => {
      const ctx = contextFrom(command);
      const m = await ctx.withService((s) => s.invoke('models.import', { path: resolve(dir), ...(opts.name !== undefined ? { name: opts.name } : {}) }));
      ctx.out.result(m, () => `Imported model "${m.name}".\n${describe(m)}`);
    });

  models
    .command('pull')
    .description('Download a published TinyTimeMixer from the Hugging Face hub (resumable; HF_ENDPOINT and HF_TOKEN honoured)')
    .argument('[repo]', 'hub repository', 'ibm-granite/granite-timeseries-ttm-r2')
    .option('--context <steps>', 'context length the model should take (chooses the revision)', positiveInt)
    .option('--forecast <steps>', 'forecast length needed (chooses the revision)', positiveInt)
    .option('--revision <revision>', 'explicit branch, tag or commit (skips the model table)')
    .option('--endpoint <url>', 'hub endpoint (default: $HF_ENDPOINT or https://huggingface.co)')
    .option('--token <token>', 'access token (default: $HF_TOKEN)')
    .option('--name <name>', 'name in the model list (default: e.g. ttm-r2-512-96)')
    .option('--force', 'download again even when the revision is cached')
    .action(
      async (
        repo: string,
        opts: { context?: number; forecast?: number; revision?: string; endpoint?: string; token?: string; name?: string; force?: boolean },
        command: Command,
      ) => {
        const ctx = contextFrom(command);
        const res = await ctx.withService((s) =>
          s.invoke('models.pull', {
            repo,
            ...(opts.context !== undefined ? { contextLength: opts.context } : {}),
            ...(opts.forecast !== undefined ? { forecastLength: opts.forecast } : {}),
            ...(opts.revision !== undefined ? { revision: opts.revision } : {}),
            ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}),
            ...(opts.token !== undefined ? { token: opts.token } : {}),
            ...(opts.name !== undefined ? { name: opts.name } : {}),
            force: opts.force === true,
            operationId: `pull-${randomUUID()}`,
          }),
        );
        ctx.out.result(res, () =>
          [
            `${res.fromCache ? 'Already cached' : 'Downloaded'}: ${res.model.repo ?? repo}@${res.model.revision ?? '?'}${res.key !== null ? ` (${res.key})` : ''} as "${res.model.name}".`,
            ...(res.predictionFilterLength !== null ? [`Forecasts are cut to ${res.predictionFilterLength} steps (the model makes more).`] : []),
            describe(res.model),
          ].join('\n'),
        );
      },
    );

  models
    .command('export-onnx')
    .description('Write a standalone inference .onnx (input past_values [batch, context, channels]; output prediction_outputs, loc, scale)')
    .argument('<model>', 'model name or id')
    .argument('<file>', 'output .onnx file')
    .option('--observed-mask', 'add a past_observed_mask input ([batch, context, channels], 1 = observed)')
    .option('--force', 'overwrite an existing file')
    .action(async (ref: string, file: string, opts: { observedMask?: boolean; force?: boolean }, command: Command) => {
      const ctx = contextFrom(command);
      const res = await ctx.withService((s) =>
        s.invoke('models.exportOnnx', { model: ref, path: resolve(file), observedMask: opts.observedMask === true, overwrite: opts.force === true }),
      );
      ctx.out.result(res, () => `Wrote ${res.path} (${formatBytes(res.bytes)}); inputs: ${res.inputs.join(', ')}; outputs: ${res.outputs.join(', ')}.`);
    });

  models
    .command('delete')
    .description('Remove a model from the list (a pulled model’s cached files are deleted; imported directories are left alone)')
    .argument('<model>', 'model name or id')
    .option('--yes', 'do not ask for confirmation (required when not on a terminal)')
    .action(async (ref: string, opts: { yes?: boolean }, command: Command) => {
      const ctx = contextFrom(command);
      if (opts.yes !== true) {
        const { confirm } = await import('../prompt.js');
        if (!(await confirm(`Delete model "${ref}"?`))) {
          ctx.out.info('Nothing deleted.');
          return;
        }
      }
      const res = await ctx.withService((s) => s.invoke('models.delete', { model: ref }));
      ctx.out.result(res, () => `Deleted model "${res.deleted}"${res.removedFiles ? ' and its cached files' : ''}.`);
    });
}
