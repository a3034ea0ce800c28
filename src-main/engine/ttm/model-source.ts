/**
 * Where a model comes from: a local checkpoint directory, an explicit hub repo@revision, or
 * "the right published TTM for this context/forecast length" (granite-tsfm's get_model).
 * Every path ends in a verified LoadedCheckpoint; a hub model chosen for a shorter forecast
 * than it was trained for gets prediction_filter_length, as the reference's from_pretrained call does.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { StudioError } from '../errors.js';
import { loadCheckpoint, type LoadedCheckpoint } from './checkpoint.js';
import { withHfConfigOverrides } from './hf-config.js';
import { downloadHubModel, type DownloadProgress } from './hub.js';
import { freqStringForMinutes, resolveTtmHubModel, ttmRepoFamily, type ResolveHubModelOptions, type ResolvedHubModel } from './hub-models.js';
import type { TTMConfig } from './ttm-config.js';

export type ModelSource =
  | { kind: 'local'; dir: string }
  | { kind: 'hub'; repo: string; revision: string; predictionFilterLength?: number | null }
  | ({ kind: 'hub-auto' } & ResolveHubModelOptions);

export interface ModelSourceOptions {
  /** The app data dir's `models/hub`. */
  cacheRoot: string;
  endpoint?: string;
  token?: string;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  force?: boolean;
}

export interface LoadedModel {
  checkpoint: LoadedCheckpoint;
  dir: string;
  /** Where it came from, for run.json / the models table. */
  origin: { kind: 'local'; dir: string } | { kind: 'hub'; repo: string; revision: string; key: string | null; fromCache: boolean };
}

/** Turns the app config's modelPath into a source: a TTM hub repo (auto-selected revision) or a directory. */
export function modelSourceFromTtmConfig(config: TTMConfig): ModelSource {
  const p = config.modelPath;
  if (ttmRepoFamily(p) !== null) {
    return {
      kind: 'hub-auto',
      repo: p,
      contextLength: config.contextLength,
      forecastLength: config.forecastLength,
      freq: freqStringForMinutes(config.resolutionMin),
    };
  }
  if (isAbsolute(p) || p.startsWith('.')) return { kind: 'local', dir: p };
  throw new StudioError(
    'INVALID_INPUT',
    `modelPath "${p}" is neither a local directory (absolute or ./relative path) nor a known TTM repository (ibm-granite/granite-timeseries-ttm-r2 or -r1).`,
  );
}

function applyFilterLength(ckpt: LoadedCheckpoint, pfl: number | null | undefined): LoadedCheckpoint {
  if (pfl === undefined || pfl === null || ckpt.config.prediction_filter_length === pfl) return ckpt;
  return { ...ckpt, config: withHfConfigOverrides(ckpt.config, { prediction_filter_length: pfl }) };
}

export async function loadModelSource(source: ModelSource, options: ModelSourceOptions): Promise<LoadedModel> {
  if (source.kind === 'local') {
    const st = await stat(source.dir).catch(() => null);
    if (st === null || !st.isDirectory()) throw new StudioError('NOT_FOUND', `Model directory ${source.dir} does not exist.`, { dir: source.dir });
    return { checkpoint: await loadCheckpoint(source.dir), dir: source.dir, origin: { kind: 'local', dir: source.dir } };
  }
  let repo: string;
  let revision: string;
  let pfl: number | null | undefined;
  let resolved: ResolvedHubModel | null = null;
  if (source.kind === 'hub') {
    ({ repo, revision } = source);
    pfl = source.predictionFilterLength;
  } else {
    resolved = resolveTtmHubModel(source);
    repo = resolved.repo;
    revision = resolved.revision;
    pfl = resolved.predictionFilterLength;
  }
  const hub = await downloadHubModel({
    repo,
    revision,
    cacheRoot: options.cacheRoot,
    endpoint: options.endpoint,
    token: options.token,
    signal: options.signal,
    onProgress: options.onProgress,
    force: options.force,
  });
  const checkpoint = applyFilterLength(hub.checkpoint, pfl);
  if (resolved !== null && checkpoint.config.context_length !== resolved.contextLength) {
    throw new StudioError(
      'MODEL',
      `${repo}@${revision} has context_length ${checkpoint.config.context_length}, but the model table lists ${resolved.contextLength}.`,
    );
  }
  return { checkpoint, dir: hub.dir, origin: { kind: 'hub', repo, revision, key: resolved?.key ?? null, fromCache: hub.fromCache } };
}
