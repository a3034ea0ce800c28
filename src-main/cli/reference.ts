import type { Command } from 'commander';

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
  return parts.join('\n') + '\n';
}
