import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { buildProgram } from '../../src-main/cli/main.js';
import { cliReferenceMarkdown } from '../../src-main/cli/reference.js';
import { REPO_ROOT } from '../helpers/tmp.js';

it('docs/cli.md matches the command definitions (regenerate with `npm run docs:cli`)', () => {
  const committed = readFileSync(`${REPO_ROOT}/docs/cli.md`, 'utf8');
  expect(committed).toBe(cliReferenceMarkdown(buildProgram()));
});

it('documents every command and subcommand', () => {
  const md = cliReferenceMarkdown(buildProgram());
  for (const c of [
    'info',
    'datasets list',
    'import',
    'check',
    'splits create',
    'simulate',
    'train',
    'predict',
    'evaluate',
    'runs list',
    'models pull',
    'report',
    'demo',
    'serve',
  ]) {
    expect(md).toContain(`## ttm-studio ${c}\n`);
  }
});
