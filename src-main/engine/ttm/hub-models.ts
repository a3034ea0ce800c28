/**
 * Which published TTM to use for a context/forecast length, the way granite-tsfm's `get_model`
 * chooses among the checkpoints listed in its `resources/model_paths_config/ttm.yaml`
 * (ibm-granite-models section). The table below is that list's content.
 */
import { StudioError } from '../errors.js';
import { FREQUENCY_TOKENS } from './hf-config.js';

export type TtmRelease = 'r1' | 'r2' | 'r2.1';

export interface HubModelEntry {
  /** `<context>-<prediction>-[ft]-[l1]-<release>`: ft = frequency prefix tuning, l1 = trained with L1 loss. */
  key: string;
  release: TtmRelease;
  repo: string;
  revision: string;
  contextLength: number;
  forecastLength: number;
}

export const TTM_R1_REPO = 'ibm-granite/granite-timeseries-ttm-r1';
export const TTM_R2_REPO = 'ibm-granite/granite-timeseries-ttm-r2';

function entry(key: string, release: TtmRelease, revision: string, contextLength: number, forecastLength: number): HubModelEntry {
  return { key, release, repo: release === 'r1' ? TTM_R1_REPO : TTM_R2_REPO, revision, contextLength, forecastLength };
}

const r2 = (c: number, p: number): HubModelEntry => entry(`${c}-${p}-r2`, 'r2', c === 512 && p === 96 ? 'main' : `${c}-${p}-r2`, c, p);
const r21 = (key: string, c: number, p: number): HubModelEntry => entry(key, 'r2.1', key, c, p);

/** In the reference file's order (the selection's tie-breaks depend on it). */
export const TTM_HUB_MODELS: readonly HubModelEntry[] = [
  entry('512-96-r1', 'r1', 'main', 512, 96),
  entry('1024-96-r1', 'r1', '1024_96_v1', 1024, 96),
  ...[512, 1024, 1536].flatMap((c) => [96, 192, 336, 720].map((p) => r2(c, p))),
  r21('52-16-ft-r2.1', 52, 16),
  r21('52-16-ft-l1-r2.1', 52, 16),
  r21('90-30-ft-r2.1', 90, 30),
  r21('90-30-ft-l1-r2.1', 90, 30),
  r21('180-60-ft-l1-r2.1', 180, 60),
  r21('360-60-ft-l1-r2.1', 360, 60),
  r21('512-48-ft-r2.1', 512, 48),
  r21('512-48-ft-l1-r2.1', 512, 48),
  r21('512-96-ft-r2.1', 512, 96),
  r21('512-96-ft-l1-r2.1', 512, 96),
];

/** Context lengths above this are "high resolution" models: no L1 / frequency-tuning preference. */
const LOW_RESOLUTION_MAX_CONTEXT = 512;

export interface ResolveHubModelOptions {
  /** Repository the user named; r1 aliases select r1 models, the r2 repo selects r2 and r2.1. */
  repo?: string;
  contextLength: number;
  forecastLength: number;
  /** Data frequency as in granite-tsfm ('5min', 'h', 'D', …); daily and coarser need r2.1. */
  freq?: string;
  freqPrefixTuning?: boolean;
  preferL1Loss?: boolean;
  preferLongerContext?: boolean;
  /** 'zeropad': allow a model with a longer context; 'rolling': allow a shorter forecast. */
  forceReturn?: 'zeropad' | 'rolling';
}

export interface ResolvedHubModel extends HubModelEntry {
  /** Set when the model forecasts further than asked (the reference passes it to from_pretrained). */
  predictionFilterLength: number | null;
}

/** Which release family a repository name selects (0 = not a TTM hub repository). */
export function ttmRepoFamily(repo: string): 'r1' | 'r2' | null {
  if (['ibm/TTM', TTM_R1_REPO, 'ibm-granite/granite-timeseries-ttm-v1', 'ibm-granite/granite-timeseries-ttm-1m'].some((p) => repo.startsWith(p))) return 'r1';
  if (repo.startsWith(TTM_R2_REPO)) return 'r2';
  return null;
}

function notFound(message: string): StudioError {
  return new StudioError('NOT_FOUND', message);
}

/** Picks the published model for the request, following get_model step by step. */
export function resolveTtmHubModel(options: ResolveHubModelOptions): ResolvedHubModel {
  const repo = options.repo ?? TTM_R2_REPO;
  const family = ttmRepoFamily(repo);
  if (family === null)
    throw new StudioError('INVALID_INPUT', `${repo} is not a TinyTimeMixer repository known to the model table (expected ${TTM_R2_REPO} or ${TTM_R1_REPO}).`);
  const { contextLength, forecastLength } = options;
  if (!Number.isInteger(contextLength) || contextLength < 1 || !Number.isInteger(forecastLength) || forecastLength < 1) {
    throw new StudioError('INVALID_INPUT', 'contextLength and forecastLength must be positive integers.');
  }
  const preferLonger = options.preferLongerContext ?? true;
  const available = TTM_HUB_MODELS.filter((m) => (family === 'r1' ? m.release.startsWith('r1') : m.release.startsWith('r2')));
  const shortest = Math.min(...available.map((m) => m.contextLength));

  // 1. Daily and coarser data: only r2.1 models were trained for it.
  const token = options.freq === undefined ? 0 : (FREQUENCY_TOKENS[options.freq] ?? 0);
  let models = token >= 8 ? available.filter((m) => m.release === 'r2.1') : [...available];

  // 2. Models whose context fits in the available history.
  if (contextLength < shortest) {
    if (options.forceReturn !== 'zeropad') {
      throw notFound(`No TTM takes a context as short as ${contextLength}; the shortest is ${shortest}. Provide more history or allow zero-padding.`);
    }
  } else {
    const fitting = models.filter((m) => m.contextLength <= contextLength);
    if (fitting.length === 0) {
      if (options.forceReturn !== 'zeropad') throw notFound(`No TTM has a context of ${contextLength} or less for this data frequency.`);
      const lowest = Math.min(...models.map((m) => m.contextLength));
      models = models.filter((m) => m.contextLength === lowest);
    } else {
      models = fitting;
    }
  }

  // 3. L1 / frequency-tuning preferences only among low-resolution (≤ 512) models.
  if (models.length > 0) {
    const contexts = models.map((m) => m.contextLength);
    const reference = preferLonger ? Math.min(contextLength, Math.max(...contexts)) : Math.min(...contexts);
    if (reference <= LOW_RESOLUTION_MAX_CONTEXT) {
      if (options.preferL1Loss) {
        const l1 = models.filter((m) => m.key.includes('-l1-'));
        if (l1.length > 0) models = l1;
      }
      if (options.freqPrefixTuning) {
        const ft = models.filter((m) => m.key.includes('-ft-'));
        if (ft.length > 0) models = ft;
      }
    }
  }

  // 4–5. Longest (or shortest) context first, then shortest forecast; stable like Python's sorted.
  const sign = preferLonger ? -1 : 1;
  models = models
    .map((m, i) => ({ m, i }))
    .sort((a, b) => sign * a.m.contextLength - sign * b.m.contextLength || a.m.forecastLength - b.m.forecastLength || a.i - b.i)
    .map((x) => x.m);

  // 6. Drop models that forecast less than asked (that would need rolling forecasts).
  if (models.length > 0) {
    const longEnough = models.filter((m) => m.forecastLength >= forecastLength);
    if (longEnough.length === 0) {
      if (options.forceReturn !== 'rolling') {
        throw notFound(
          `No TTM forecasts ${forecastLength} steps with a context of ${contextLength}; the longest available forecast is ${Math.max(...models.map((m) => m.forecastLength))}. Shorten the forecast or allow rolling forecasts.`,
        );
      }
      let best = models[0];
      for (const m of models) if (m.forecastLength > best.forecastLength) best = m;
      models = [best];
    } else {
      models = longEnough;
    }
  }

  // 7. An unknown frequency with frequency tuning requested matches nothing.
  if (options.freqPrefixTuning && options.freq !== undefined && !(options.freq in FREQUENCY_TOKENS)) models = [];

  if (models.length === 0) throw notFound(`No published TTM fits context ${contextLength} and forecast ${forecastLength}.`);
  const chosen = models[0];
  return { ...chosen, predictionFilterLength: chosen.forecastLength > forecastLength ? forecastLength : null };
}

/** granite-tsfm's frequency string for a grid resolution in minutes (undefined when it has none). */
export function freqStringForMinutes(minutes: number): string | undefined {
  const map: Record<number, string> = { 1: 'min', 2: '2min', 5: '5min', 10: '10min', 15: '15min', 30: '30min', 60: 'h', 1440: 'D', 10080: 'W' };
  return map[minutes];
}
