/**
 * Model sources: list, show, import a local checkpoint directory, pull a published TTM from the
 * Hugging Face hub (resolved like granite-tsfm's get_model, resumable, cancellable), export a
 * standalone inference .onnx, and delete (never the bundled ones).
 *
 * Models are registered by path: an imported directory stays where it is (it is validated, not
 * copied); pulled models live in `<dataDir>/models/hub/<owner>/<name>/<revision>/`.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { StudioError } from '../../errors.js';
import { isDefaultModel } from '../../ttm/bundled-models.js';
import type { ModelRow } from '../../store/models.js';
import {
  TTM_R2_REPO,
  countParameters,
  buildTtmInferenceModel,
  loadCheckpoint,
  loadModelSource,
  MAX_JSON_FILE_BYTES,
  outputLength,
  parseHfConfigJson,
  readRegularFile,
  withHfConfigOverrides,
  writeFileAtomic,
  type HfTtmConfig,
  type LoadedCheckpoint,
  type ModelSource,
} from '../../ttm/index.js';
import type { ModelDetail } from '../contract.js';
import type { CallContext, Handlers } from './context.js';

/** What the models table stores in config_json: the HF config as parsed. */
function configRecord(cfg: HfTtmConfig): Record<string, unknown> {
  return { ...cfg } as Record<string, unknown>;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) ? v : null;
}

function summary(m: ModelRow) {
  const c = m.config;
  const pfl = num(m.meta.predictionFilterLength) ?? num(c.prediction_filter_length);
  return {
    id: m.id,
    name: m.name,
    source: m.source,
    path: m.path,
    repo: m.repo,
    revision: m.revision,
    createdAt: m.createdAt,
    contextLength: num(c.context_length),
    forecastLength: pfl ?? num(c.prediction_length),
    channels: num(c.num_input_channels),
    default: isDefaultModel(m),
  };
}

/**
 * A trained model's row records how it was trained, not its shape; the run wrote the HF
 * config.json into the model's folder. Read the window and channels from there, so the lists
 * (and the Train page, which takes a base model's window) know a trained model's shape as
 * they know an imported one's. A folder that cannot be read leaves the row as it is.
 */
async function withFolderShape(m: ModelRow): Promise<ModelRow> {
  if (num(m.config.context_length) !== null) return m;
  try {
    const file = join(m.path, 'config.json');
    const raw = await readRegularFile(file, MAX_JSON_FILE_BYTES);
    if (raw === null) return m;
    return { ...m, config: { ...configRecord(parseHfConfigJson(raw.toString('utf8'), file)), ...m.config } };
  } catch {
    return m;
  }
}

async function listFiles(dir: string): Promise<{ name: string; bytes: number }[]> {
  try {
    const names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
    names.sort();
    return Promise.all(names.map(async (name) => ({ name, bytes: (await stat(resolve(dir, name))).size })));
  } catch {
    return [];
  }
}

/** Applies the registered prediction filter (a hub model chosen for a shorter forecast than it makes). */
function withRegisteredFilter(m: ModelRow, ckpt: LoadedCheckpoint): LoadedCheckpoint {
  const pfl = num(m.meta.predictionFilterLength);
  if (pfl === null || ckpt.config.prediction_filter_length === pfl) return ckpt;
  return { ...ckpt, config: withHfConfigOverrides(ckpt.config, { prediction_filter_length: pfl }) };
}

async function loadRegistered(m: ModelRow): Promise<LoadedCheckpoint> {
  try {
    return withRegisteredFilter(m, await loadCheckpoint(m.path));
  } catch (e) {
    if (e instanceof StudioError && e.code === 'NOT_FOUND') {
      throw new StudioError('NOT_FOUND', `Model "${m.name}" is registered at ${m.path}, but ${e.message}`, { model: m.name, path: m.path }, { cause: e });
    }
    throw e;
  }
}

async function detail(m: ModelRow, loaded?: LoadedCheckpoint): Promise<ModelDetail> {
  let ckpt: LoadedCheckpoint | null = loaded ?? null;
  let problem: string | null = null;
  if (ckpt === null) {
    try {
      ckpt = await loadRegistered(m);
    } catch (e) {
      problem = e instanceof Error ? e.message : String(e);
    }
  }
  const cfg = ckpt?.config ?? null;
  const counts = cfg === null ? null : countParameters(cfg, { freezeBackbone: true });
  const base = summary(cfg === null ? m : { ...m, config: configRecord(cfg) });
  return {
    ...base,
    forecastLength: cfg === null ? base.forecastLength : outputLength(cfg),
    config: cfg === null ? m.config : configRecord(cfg),
    meta: m.meta,
    parameters: { total: counts?.total ?? 0, trainableFrozenBackbone: counts?.trainable ?? 0 },
    files: await listFiles(m.path),
    available: ckpt !== null,
    problem,
  };
}

function checkName(name: string): string {
  const n = name.trim();
  if (/^\d+$/.test(n)) throw new StudioError('INVALID_INPUT', `Model name "${n}" is all digits and would be mistaken for an id; choose another (--name).`);
  if (n === '') throw new StudioError('INVALID_INPUT', 'The model name is empty.');
  return n;
}

function findByName(ctx: CallContext, name: string): ModelRow | null {
  return ctx.store.models.list().find((m) => m.name === name) ?? null;
}

function isInside(parent: string, child: string): boolean {
  const rel = relative(resolve(parent), resolve(child));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** Default registry name for a pulled model: `ttm-r2-512-96` style, from the table key when known. */
function hubModelName(repo: string, revision: string, key: string | null): string {
  const short = repo.split('/')[1]?.replace(/^granite-timeseries-/, '') ?? repo;
  const release = short.replace(/^ttm-/, '');
  if (key !== null) return `${short}-${key.endsWith(`-${release}`) ? key.slice(0, -release.length - 1) : key}`;
  return revision === 'main' ? short : `${short}@${revision}`;
}

export const modelHandlers = {
  'models.list': async (_req, ctx) => (await Promise.all(ctx.store.models.list().map(withFolderShape))).map(summary),

  'models.show': async (req, ctx) => detail(ctx.store.models.resolve(req.model)),

  'models.import': async (req, ctx) => {
    const dir = resolve(req.path);
    const st = await stat(dir).catch(() => null);
    if (st === null) throw new StudioError('NOT_FOUND', `${dir} does not exist.`, { path: dir });
    if (!st.isDirectory())
      throw new StudioError('INVALID_INPUT', `${dir} is not a directory; point at the folder that holds config.json and model.safetensors.`);
    // Validates config.json, parses model.safetensors and checks every tensor against the config.
    const ckpt = await loadCheckpoint(dir);
    const name = checkName(req.name ?? basename(dir));
    const existing = findByName(ctx, name);
    if (existing !== null && resolve(existing.path) !== dir) {
      throw new StudioError(
        'CONFLICT',
        `A model named "${name}" already exists (${existing.source}, ${existing.path}); choose another name with --name or delete it first.`,
      );
    }
    const row = ctx.store.transaction(() =>
      ctx.store.models.upsert({
        name,
        source: 'local',
        path: dir,
        config: configRecord(ckpt.config),
        meta: { importedAt: new Date().toISOString(), hasPreprocessor: ckpt.preprocessor !== null, hasTrainingState: ckpt.trainingState !== null },
      }),
    );
    ctx.emit({ type: 'data.changed', what: 'models' });
    ctx.logger.info('model imported', { name, path: dir });
    return detail(row, ckpt);
  },

  'models.pull': async (req, ctx) => {
    const repo = req.repo ?? TTM_R2_REPO;
    let source: ModelSource;
    if (req.revision !== undefined) {
      source = { kind: 'hub', repo, revision: req.revision };
    } else {
      if (req.contextLength === undefined || req.forecastLength === undefined) {
        throw new StudioError(
          'INVALID_INPUT',
          'Give the context and forecast lengths (--context 512 --forecast 96) so the right model is chosen, or an explicit --revision.',
        );
      }
      source = { kind: 'hub-auto', repo, contextLength: req.contextLength, forecastLength: req.forecastLength };
    }
    const loaded = await ctx.operations.run('Downloading model', 'bytes', req.operationId, async (p) => {
      // Bytes over both files: config.json is tiny, so the bar follows model.safetensors.
      const done = new Map<string, number>();
      const totals = new Map<string, number | null>();
      return loadModelSource(source, {
        cacheRoot: ctx.layout.hubCache,
        endpoint: req.endpoint,
        token: req.token,
        signal: p.signal,
        force: req.force,
        onProgress: (d) => {
          done.set(d.file, d.bytesDone);
          totals.set(d.file, d.bytesTotal);
          const sum = [...done.values()].reduce((a, b) => a + b, 0);
          const known = [...totals.values()];
          const total = known.some((t) => t === null) ? null : known.reduce<number>((a, b) => a + (b ?? 0), 0);
          p.update(sum, d.file === 'model.safetensors' ? total : null, d.file);
        },
      });
    });
    if (loaded.origin.kind !== 'hub') throw new StudioError('INTERNAL', 'A hub pull produced a local model.');
    const { revision, key, fromCache } = loaded.origin;
    const pfl = loaded.checkpoint.config.prediction_filter_length ?? null;
    const name = checkName(req.name ?? hubModelName(repo, revision, key));
    const existing = findByName(ctx, name);
    if (existing !== null && existing.source !== 'hub') {
      throw new StudioError('CONFLICT', `A ${existing.source} model named "${name}" already exists; choose another name with --name.`);
    }
    const row = ctx.store.transaction(() =>
      ctx.store.models.upsert({
        name,
        source: 'hub',
        path: loaded.dir,
        repo,
        revision,
        config: configRecord(loaded.checkpoint.config),
        meta: { key, predictionFilterLength: pfl, endpoint: req.endpoint ?? process.env.HF_ENDPOINT ?? null, pulledAt: new Date().toISOString() },
      }),
    );
    ctx.emit({ type: 'data.changed', what: 'models' });
    ctx.logger.info('model pulled', { name, repo, revision, fromCache });
    return { model: await detail(row, loaded.checkpoint), fromCache, key, predictionFilterLength: pfl };
  },

  'models.exportOnnx': async (req, ctx) => {
    const m = ctx.store.models.resolve(req.model);
    const ckpt = await loadRegistered(m);
    const path = resolve(req.path);
    if (!req.overwrite && (await stat(path).catch(() => null)) !== null) {
      throw new StudioError('CONFLICT', `${path} exists; pass --force (overwrite) to replace it.`, { path });
    }
    const built = buildTtmInferenceModel(ckpt.config, ckpt.weights, { observedMask: req.observedMask });
    await writeFileAtomic(path, built.model);
    return { path, bytes: built.model.length, inputs: built.inputs, outputs: built.outputs };
  },

  'models.delete': async (req, ctx) => {
    const m = ctx.store.models.resolve(req.model);
    if (m.source === 'bundled') throw new StudioError('INVALID_INPUT', `"${m.name}" is bundled with the app and cannot be deleted.`);
    const running = ctx.store.runs.list({ status: 'running' }).filter((r) => r.modelId === m.id);
    if (running.length > 0) throw new StudioError('CONFLICT', `Model "${m.name}" is used by running run ${running[0]!.id}; cancel it first.`);
    ctx.store.transaction(() => ctx.store.models.delete(m.id));
    // Files are removed only when the app owns them (the hub cache) and no other entry uses them;
    // an imported directory belongs to the user and trained checkpoints belong to their run.
    let removedFiles = false;
    const shared = ctx.store.models.list().some((o) => resolve(o.path) === resolve(m.path));
    if (m.source === 'hub' && !shared && isInside(ctx.layout.hubCache, m.path)) {
      await rm(m.path, { recursive: true, force: true });
      removedFiles = true;
    }
    ctx.emit({ type: 'data.changed', what: 'models' });
    return { deleted: m.name, removedFiles };
  },
} satisfies Partial<Handlers>;
