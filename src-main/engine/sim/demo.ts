/**
 * The bundled demo cohort: a simulator recipe (resources/demo-cohort.json), generated into
 * the store on first start so the app opens with data without shipping megabytes of it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StudioError } from '../errors.js';
import type { DatasetRow, Store } from '../store/index.js';
import { findAbove } from '../util/find-above.js';
import { parseJsonWith } from '../util/json.js';
import { simulateIntoStore, type SimProgress } from './output.js';
import { DemoRecipeSchema, type DemoRecipe } from './settings.js';

/** Finds resources/demo-cohort.json above this module (source tree, build/ and packaged app differ in depth). */
export function demoRecipePath(): string {
  const found = findAbove(import.meta.url, join('resources', 'demo-cohort.json'));
  if (found === null)
    throw new StudioError('NOT_FOUND', 'The demo cohort recipe (resources/demo-cohort.json) is missing from this installation; reinstall TTM Studio.');
  return found;
}

export function readDemoRecipe(file: string = demoRecipePath()): DemoRecipe {
  return parseJsonWith(DemoRecipeSchema, readFileSync(file, 'utf8'), file);
}

/** Creates the demo dataset when no dataset of source 'demo' exists; returns it either way. */
export async function ensureDemoDataset(
  store: Store,
  options: { recipe?: DemoRecipe; signal?: AbortSignal; onProgress?: SimProgress } = {},
): Promise<{ dataset: DatasetRow; created: boolean }> {
  const existing = store.datasets.list().find((d) => d.source === 'demo');
  if (existing !== undefined) return { dataset: store.datasets.get(existing.id), created: false };
  const recipe = options.recipe ?? readDemoRecipe();
  const dataset = await simulateIntoStore(store, recipe.settings, { name: recipe.name, description: recipe.description, source: 'demo' }, options);
  return { dataset, created: true };
}
