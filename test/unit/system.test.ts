import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { appVersion, executionProviders } from '../../src-main/engine/system.js';
import { REPO_ROOT } from '../helpers/tmp.js';

it('reads the app version from package.json when run from the sources', () => {
  const pkg = JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, 'utf8')) as { version: string };
  expect(appVersion()).toBe(pkg.version);
});

it('always offers the CPU provider and says whether CUDA is installed', () => {
  const providers = executionProviders();
  expect(providers[0]).toEqual({ name: 'cpu', available: true });
  const cuda = providers.find((p) => p.name === 'cuda');
  expect(cuda).toBeDefined();
  expect(cuda!.note).toMatch(/CUDA/);
});
