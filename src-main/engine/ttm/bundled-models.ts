/**
 * The models shipped in models/ beside the app: where they are, which one is the default, and
 * registering them in the store. Below the API and the forecaster API, which both need the
 * default model; first-start.ts registers them when the app opens a data directory.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Store } from '../store/index.js';
import { parseHfConfigJson } from './hf-config.js';

/** models/ beside the app: the repo root in development, the resources folder when packaged. */
export function bundledModelsDir(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'models');
    if (existsSync(join(dir, 'package.json')) || existsSync(join(dir, 'resources'))) {
      if (existsSync(candidate)) return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

/**
 * The model shipped with the app (models/<this>/: the TTM r2 512-96 architecture trained on
 * open real type-1 CGM, see its MODEL_CARD.md and docs/accuracy.md). Zero-shot uses it when no
 * other model is chosen.
 */
export const DEFAULT_BUNDLED_MODEL = 'ttm-glucose-r2-512-96';

/** The default bundled model's directory, or null when this installation lacks it. */
export function defaultBundledModelDir(dir: string | null = bundledModelsDir()): string | null {
  if (dir === null) return null;
  const path = join(dir, DEFAULT_BUNDLED_MODEL);
  return existsSync(join(path, 'config.json')) && existsSync(join(path, 'model.safetensors')) ? path : null;
}

/**
 * Registers every models/<name>/ with a valid config.json and weights as a 'bundled' model.
 * A folder whose config cannot be read is skipped (reported to onSkip), so one broken folder
 * never stops the others, nor the start of the app or a command.
 */
export function registerBundledModels(store: Store, dir: string | null = bundledModelsDir(), onSkip?: (name: string, problem: string) => void): string[] {
  if (dir === null) return [];
  const names: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (!statSync(path).isDirectory()) continue; // follows links: a linked model folder counts
    if (!existsSync(join(path, 'config.json')) || !existsSync(join(path, 'model.safetensors'))) continue;
    let config;
    try {
      config = parseHfConfigJson(readFileSync(join(path, 'config.json'), 'utf8'), join(path, 'config.json'));
    } catch (e) {
      onSkip?.(name, e instanceof Error ? e.message : String(e));
      continue;
    }
    store.models.upsert({
      name,
      source: 'bundled',
      path,
      config: { ...config } as Record<string, unknown>,
      meta: { card: existsSync(join(path, 'MODEL_CARD.md')) ? join(path, 'MODEL_CARD.md') : null },
    });
    names.push(name);
  }
  return names;
}

/** Whether a registered model is the app's default (the bundled DEFAULT_BUNDLED_MODEL). */
export function isDefaultModel(m: { source: string; name: string }): boolean {
  return m.source === 'bundled' && m.name === DEFAULT_BUNDLED_MODEL;
}
