import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from 'svelte/compiler';
import { render } from 'svelte/server';
import { afterAll, describe, expect, it } from 'vitest';
import { configFields, presetValues, validateForm } from '../../../src-renderer/lib/config-form.js';

// The generated config form, rendered on the server (no DOM): every control has a label, its
// help text and, when invalid, zod's message tied to it with aria-describedby. The compiled
// component imports the lib modules by absolute path, so vitest transforms them as usual.
const root = new URL('../../../', import.meta.url).pathname;
const dir = join(root, 'test/unit/renderer', `.compiled-${process.pid}`);

async function loadConfigForm(): Promise<unknown> {
  mkdirSync(dir, { recursive: true });
  const source = readFileSync(join(root, 'src-renderer/components/ConfigForm.svelte'), 'utf8');
  const js = compile(source, { generate: 'server', filename: 'ConfigForm.svelte' }).js.code.replace(
    /from '\.\.\/lib\/([\w-]+)(\.js)?'/g,
    (_m, lib: string) => `from '${join(root, 'src-renderer/lib', `${lib}.ts`)}'`,
  );
  const file = join(dir, 'ConfigForm.server.js');
  writeFileSync(file, js);
  return ((await import(/* @vite-ignore */ file)) as { default: unknown }).default;
}

function ssr(component: unknown, props: Record<string, unknown>): string {
  return (render as unknown as (c: unknown, o: { props: Record<string, unknown> }) => { body: string })(component, { props }).body;
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ConfigForm component', () => {
  it('labels every control, shows help text, and ties an invalid field to its message', async () => {
    const ConfigForm = await loadConfigForm();
    const values = { ...presetValues('default'), batchSize: '0' };
    const { errors } = validateForm(values);
    const html = ssr(ConfigForm, { values, errors, channels: ['bg_mM', 'iob', 'cob'] });
    for (const f of configFields()) {
      if (f.kind === 'features') {
        expect(html).toContain(`<legend>${f.label}</legend>`);
        continue;
      }
      expect(html).toMatch(new RegExp(`<label[^>]*for="cfg-${f.key}"`));
      expect(html).toContain(`id="cfg-${f.key}-help"`);
    }
    expect(html).toContain('id="cfg-batchSize-err"');
    expect(html).toMatch(/aria-describedby="cfg-batchSize-help cfg-batchSize-err"/);
    expect(html).toMatch(/id="cfg-batchSize"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="cfg-batchSize"/);
    expect(html).toContain(errors.batchSize!);
    // feature checkboxes for the dataset's channels, the default target checked
    expect(html).toMatch(/data-testid="cfg-targetFeatures-bg_mM"[^>]*checked|checked[^>]*data-testid="cfg-targetFeatures-bg_mM"/);
    expect(html).toContain('data-testid="cfg-inputFeatures-iob"');
  });
});
