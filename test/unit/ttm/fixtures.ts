/** Paths to the read-only golden fixtures in ../shared/fixtures/ttm (never copied into the repo). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Preprocessor } from '../../../src-main/engine/ttm/checkpoint.js';

export const FIXTURE_ROOT = fileURLToPath(new URL('../../../../shared/fixtures/ttm/', import.meta.url));
export const FIXTURE_CASES = ['tiny', 'r2_512_96', 'r2_mixchannel_exog', 'r1_1024_96', 'r2_freq_token'] as const;
export type FixtureCase = (typeof FIXTURE_CASES)[number];

export function fixturePath(c: FixtureCase, file: string): string {
  return `${FIXTURE_ROOT}${c}/${file}`;
}

export function fixtureBytes(c: FixtureCase, file: string): Uint8Array {
  const b = readFileSync(fixturePath(c, file));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function fixtureConfigRaw(c: FixtureCase): Record<string, unknown> {
  return JSON.parse(readFileSync(fixturePath(c, 'config.json'), 'utf8')) as Record<string, unknown>;
}

/**
 * A version-2 preprocessor for two channels (glucose as target, IOB as conditional) with a
 * standard scaler, context 64 and forecast 16; `over` replaces fields.
 */
export function samplePreprocessor(over: Partial<Preprocessor> = {}): Preprocessor {
  return {
    formatVersion: 2,
    channels: [
      { name: 'bg_mM', role: 'target' },
      { name: 'iob', role: 'conditional' },
    ],
    scaler: { type: 'standard', mean: [7.5, 1.2], std: [2.1, 0.8] },
    resolutionMin: 5,
    frequencyToken: 3,
    contextLength: 64,
    forecastLength: 16,
    glucoseUnit: 'mmol/L',
    ...over,
  };
}
