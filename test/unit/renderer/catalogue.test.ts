import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileModule } from 'svelte/compiler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StudioApi } from '../../../src-main/engine/api/contract.js';

interface Item {
  id: number;
  name?: string;
  source?: string;
}
type Choice = { dataset: number | null; split: number | null; model: number | null };
/** What the test uses of src-renderer/lib/catalogue.svelte.ts (runes: not importable by tsc here). */
interface CatalogueType {
  datasets: Item[];
  models: Item[];
  datasetsLoaded: boolean;
  loadDatasets(): Promise<Item[]>;
  loadModels(): Promise<Item[]>;
  loadSplits(dataset: number): Promise<Item[]>;
  splitsOf(dataset: number | null): Item[];
  lastChoice(sel: Choice, routeDataset?: number): Choice;
}

// catalogue.svelte.ts uses runes; the unit project has no Svelte plugin, so compile it here
// (TypeScript stripped by esbuild, runes by the Svelte compiler) with a stand-in api-client.
let dir: string;
let Catalogue: new (api: StudioApi) => CatalogueType;

beforeAll(async () => {
  const { transform } = await import('esbuild');
  const root = new URL('../../../', import.meta.url);
  dir = mkdtempSync(join(tmpdir(), 'ttm-cat-'));
  const js = async (rel: string): Promise<string> => (await transform(readFileSync(new URL(rel, root), 'utf8'), { loader: 'ts', format: 'esm' })).code;
  writeFileSync(join(dir, 'selection.js'), await js('src-renderer/lib/selection.ts'));
  writeFileSync(join(dir, 'api-client.js'), 'export const api = null;');
  const cat = compileModule(await js('src-renderer/lib/catalogue.svelte.ts'), { generate: 'client', filename: 'catalogue.svelte.js' })
    .js.code.replace(/from ['"]\.\/api-client(\.js)?['"]/, "from './api-client.js'")
    .replace(/from ['"]\.\/selection(\.js)?['"]/, "from './selection.js'");
  writeFileSync(join(dir, 'catalogue.js'), cat);
  Catalogue = ((await import(pathToFileURL(join(dir, 'catalogue.js')).href)) as { Catalogue: typeof Catalogue }).Catalogue;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An API whose answers the test releases one by one, in any order. */
function slowApi(): { api: StudioApi; pending: { method: string; request: unknown; answer: (v: unknown) => void }[] } {
  const pending: { method: string; request: unknown; answer: (v: unknown) => void }[] = [];
  const api = {
    call: (method: string, request: unknown) => new Promise((answer) => pending.push({ method, request, answer })),
    subscribe: () => () => undefined,
  } as unknown as StudioApi;
  return { api, pending };
}

describe('the shared catalogue of datasets, splits and models', () => {
  it('keeps the newest answer: a slow older reply cannot bring back a deleted dataset', async () => {
    const { api, pending } = slowApi();
    const c = new Catalogue(api);
    expect(c.datasetsLoaded).toBe(false);
    const first = c.loadDatasets();
    const second = c.loadDatasets();
    pending[1]!.answer([{ id: 2 }]);
    await second;
    pending[0]!.answer([{ id: 1 }, { id: 2 }]);
    await first;
    expect(c.datasets.map((d) => d.id)).toEqual([2]);
    expect(c.datasetsLoaded).toBe(true);
  });

  it('holds splits per dataset and forgets those of deleted datasets', async () => {
    const { api, pending } = slowApi();
    const c = new Catalogue(api);
    const s = c.loadSplits(7);
    expect(pending[0]).toMatchObject({ method: 'splits.list', request: { dataset: 7 } });
    pending[0]!.answer([{ id: 70 }, { id: 71 }]);
    await s;
    expect(c.splitsOf(7).map((x) => x.id)).toEqual([70, 71]);
    expect(c.splitsOf(8)).toEqual([]);
    expect(c.splitsOf(null)).toEqual([]);
    const d = c.loadDatasets();
    pending[1]!.answer([{ id: 8 }]);
    await d;
    expect(c.splitsOf(7)).toEqual([]);
  });

  it('a page opens on the last choice from what other pages loaded; a route to an unknown dataset waits for the fresh list', async () => {
    const { api, pending } = slowApi();
    const c = new Catalogue(api);
    const none = { dataset: null, split: null, model: null };
    expect(c.lastChoice({ dataset: 1, split: 10, model: 5 })).toEqual(none);
    const loads = [c.loadDatasets(), c.loadSplits(1), c.loadModels()];
    pending[0]!.answer([{ id: 1 }, { id: 2 }]);
    pending[1]!.answer([{ id: 10 }, { id: 11 }]);
    pending[2]!.answer([{ id: 5, source: 'trained' }]);
    await Promise.all(loads);
    expect(c.lastChoice({ dataset: 1, split: 10, model: 5 })).toEqual({ dataset: 1, split: 10, model: 5 });
    // no remembered split: the newest; a model the user never chose is left to the page
    expect(c.lastChoice({ dataset: 1, split: null, model: null })).toEqual({ dataset: 1, split: 11, model: null });
    // the route wins over the remembered dataset; one the catalogue does not list yet decides nothing
    expect(c.lastChoice({ dataset: 1, split: 10, model: null }, 2)).toEqual({ dataset: 2, split: null, model: null });
    expect(c.lastChoice({ dataset: 1, split: 10, model: null }, 3)).toEqual(none);
  });
});
