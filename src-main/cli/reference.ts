import type { Command } from 'commander';
import { MAX_MODEL_PARAMETERS } from '../engine/ttm/checkpoint.js';
import { exitCodeMarkdownTable } from './exit-codes.js';

/** Exit codes and model-folder limits, from the tables the code uses. */
function referenceAppendix(): string[] {
  return [
    '## Exit codes',
    '',
    'Errors are one line on stderr (control characters escaped, excerpts of file content cut to 80 characters); with `--json` the error is also printed on stdout as `{"error": {"code", "message"}}`.',
    '',
    exitCodeMarkdownTable(),
    '',
    '## Model folders',
    '',
    '`models import`, `models pull` and the web API treat a model folder as untrusted: `config.json` and `model.safetensors` must be regular files (symlinks are followed, but devices, FIFOs and sockets are refused unread); `config.json` may be at most 1 MB and the weights at most what the parameter count in `config.json` can need (8 bytes per parameter plus 1 MB of header); every architecture number is bounded, and models with more than ' +
      `${MAX_MODEL_PARAMETERS.toLocaleString('en-US')} parameters are refused before anything is built. Weights holding NaN or Infinity are refused, naming the tensor.`,
  ];
}

function walk(cmd: Command, path: string[], out: { path: string[]; cmd: Command }[]): void {
  for (const sub of cmd.commands) {
    const p = [...path, sub.name()];
    out.push({ path: p, cmd: sub });
    walk(sub, p, out);
  }
}

/**
 * The CLI reference in Markdown, generated from the command definitions themselves
 * (`npm run docs:cli` writes docs/cli.md; a test fails when the file is stale).
 */
export function cliReferenceMarkdown(program: Command): string {
  const all: { path: string[]; cmd: Command }[] = [];
  walk(program, [], all);
  // A fixed width, so the file does not depend on the terminal that generated it.
  for (const c of [program, ...all.map((x) => x.cmd)]) c.configureHelp({ ...c.configureHelp(), helpWidth: 100 });
  const help = (c: Command): string =>
    c
      .helpInformation({ error: false })
      .replace(/\s+$/g, '')
      .replace(/\(default: "[^"]*\/(?:\.config|Library|AppData)[^"]*"\)/g, '(default: the app data directory)');
  const parts = [
    '# `ttm-studio` command reference',
    '',
    'Generated from the command definitions by `npm run docs:cli`; do not edit by hand.',
    '',
    '```text',
    help(program),
    '```',
  ];
  for (const { path, cmd } of all) {
    parts.push('', `## ttm-studio ${path.join(' ')}`, '', '```text', help(cmd), '```');
  }
  parts.push('', ...referenceAppendix());
  return parts.join('\n') + '\n';
}
