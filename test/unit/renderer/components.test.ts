import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compile } from 'svelte/compiler';
import { render } from 'svelte/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Component tests without a DOM: compile the .svelte file for the server (Svelte 5 strips the
// TypeScript of <script lang="ts">), transpile the lib files it imports, render to HTML.
const root = new URL('../../../', import.meta.url);
let dir: string;

async function load(component: string, libs: string[]): Promise<unknown> {
  const { transform } = await import('esbuild');
  for (const lib of libs) {
    const ts = readFileSync(new URL(`src-renderer/lib/${lib}.ts`, root), 'utf8');
    let js = (await transform(ts, { loader: 'ts', format: 'esm' })).code.replace(/from '\.\/(\w[\w-]*)(\.js)?'/g, "from './$1.js'");
    // Shared engine modules the lib imports (plain code such as engine/units.ts): transpiled beside it.
    for (const m of js.matchAll(/from ["']\.\.\/\.\.\/src-main\/([\w/.-]+)\.js["']/g)) {
      const flat = `src-main--${m[1]!.replace(/\//g, '--')}.js`;
      const engineTs = readFileSync(new URL(`src-main/${m[1]!}.ts`, root), 'utf8');
      writeFileSync(join(dir, flat), (await transform(engineTs, { loader: 'ts', format: 'esm' })).code);
      js = js.replace(m[0], `from './${flat}'`);
    }
    writeFileSync(join(dir, `${lib}.js`), js);
  }
  const source = readFileSync(new URL(`src-renderer/components/${component}.svelte`, root), 'utf8');
  const js = compile(source, { generate: 'server', filename: `${component}.svelte` }).js.code.replace(/from '\.\.\/lib\/(\w[\w-]*)(\.js)?'/g, "from './$1.js'");
  const file = join(dir, `${component}.js`);
  writeFileSync(file, js);
  return ((await import(pathToFileURL(file).href)) as { default: unknown }).default;
}

/** Renders a component loaded at run time (its props are not known to the type checker). */
function ssr(component: unknown, props: Record<string, unknown>): string {
  return (render as unknown as (c: unknown, o: { props: Record<string, unknown> }) => { body: string })(component, { props }).body;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ttm-components-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('RangeBar', () => {
  it('shows the consensus bands in the display unit, segments sized by percent', async () => {
    const RangeBar = await load('RangeBar', ['units']);
    const mg = ssr(RangeBar, { percents: [1, 4, 70, 20, 5], unit: 'mg/dL' });
    expect(mg).toContain('70–180 mg/dL');
    expect(mg).toContain('70.0 %');
    expect(mg).toMatch(/class="range-seg range-inRange"[^>]*style="flex-basis: 70%;?"/);
    const mmol = ssr(RangeBar, { percents: [0, 4, 71, 20, 5], unit: 'mmol/L' });
    expect(mmol).toContain('3.9–10.0 mmol/L');
    expect(mmol).toContain('10.1–13.9 mmol/L');
    expect(mmol).not.toContain('range-seg range-veryLow'); // an empty band draws no segment
  });
});

describe('SortTh', () => {
  it('tells assistive technology the sort state', async () => {
    const SortTh = await load('SortTh', []);
    const onSort = (): void => undefined;
    const active = ssr(SortTh, { key: 'days', label: 'Days', num: true, sort: { key: 'days', dir: -1 }, onSort });
    expect(active).toContain('aria-sort="descending"');
    expect(active).toContain('<button type="button" class="sort"');
    const other = ssr(SortTh, { key: 'name', label: 'Name', sort: { key: 'days', dir: 1 }, onSort });
    expect(other).toContain('aria-sort="none"');
  });
});
