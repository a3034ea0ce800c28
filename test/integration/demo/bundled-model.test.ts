/**
 * The model committed in models/: it loads and validates (config ↔ weights, the r2 512-96
 * geometry and parameter count), the app registers it as 'bundled' at start, and it
 * forecasts finite glucose through the normal zero-shot path — also when no model is chosen
 * at all (TTMForecaster's default falls back to it offline).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUNDLED_MODEL, bundledModelsDir, defaultBundledModelDir, registerBundledModels } from '../../../src-main/engine/first-start.js';
import { StudioService } from '../../../src-main/engine/api/service.js';
import { TTMForecaster, type SeriesRow } from '../../../src-main/engine/index.js';
import { silentLogger } from '../../../src-main/engine/logger.js';
import { simulatePatient } from '../../../src-main/engine/sim/cohort.js';
import { SimulationSettingsSchema } from '../../../src-main/engine/sim/settings.js';
import { Store } from '../../../src-main/engine/store/index.js';
import { loadCheckpoint } from '../../../src-main/engine/ttm/checkpoint.js';
import { countParameters } from '../../../src-main/engine/ttm/parameter-shapes.js';
import { REPO_ROOT, tempDir } from '../../helpers/tmp.js';

const MODEL_DIR = join(REPO_ROOT, 'models', DEFAULT_BUNDLED_MODEL);

/** A small simulated cohort (not the demo's or the training cohort's seed) as seed-style rows. */
function cohort(patients: number, days: number, seed: number): Record<string, SeriesRow[]> {
  const settings = SimulationSettingsSchema.parse({ patients, days, seed });
  const out: Record<string, SeriesRow[]> = {};
  for (let i = 0; i < patients; i++) {
    const p = simulatePatient(settings, i);
    out[p.externalId] = p.readings.map((r) => ({ datetime: new Date(r.ts).toISOString(), bg_mM: r.bgMm }));
  }
  return out;
}

describe('bundled model', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('is the r2 512-96 architecture, and its weights match its config', async () => {
    expect(bundledModelsDir()).toBe(join(REPO_ROOT, 'models'));
    expect(defaultBundledModelDir()).toBe(MODEL_DIR);
    // loadCheckpoint checks every tensor's name and shape against the config's parameter table.
    const ck = await loadCheckpoint(MODEL_DIR);
    expect(ck.preprocessor).toBeNull();
    expect(ck.config).toMatchObject({
      context_length: 512,
      prediction_length: 96,
      patch_length: 64,
      patch_stride: 64,
      num_patches: 8,
      d_model: 192,
      decoder_d_model: 128,
      adaptive_patching_levels: 3,
      num_input_channels: 1,
      scaling: 'std',
    });
    expect(countParameters(ck.config)).toEqual({ total: 805_280, nonBackbone: 289_696, trainable: 805_280 });
    let nonFinite = 0;
    for (const t of ck.weights.values()) for (const v of t.data) if (!Number.isFinite(v)) nonFinite++;
    expect(nonFinite).toBe(0);
  });

  it('has a model card that says what it is, cites its data with their licences and that it is not for clinical use', () => {
    const card = readFileSync(join(MODEL_DIR, 'MODEL_CARD.md'), 'utf8');
    expect(card).toMatch(/not for clinical use/i);
    expect(card).toContain('ibm-granite/granite-timeseries-ttm-r2');
    // Both open cohorts, with their licences, and the people held out of training.
    expect(card).toMatch(/BrisT1D-Open[\s\S]*CC BY 4\.0/);
    expect(card).toMatch(/HUPA-UCM[\s\S]*CC BY 4\.0/);
    for (const p of ['P01', 'P03', 'P10', 'P17', 'P22']) expect(card).toContain(p);
    // The evaluation table names the three baselines, and the card says where targets were missed.
    for (const m of ['persistence', 'ridge', 'log-AR2']) expect(card).toContain(m);
    expect(card).toMatch(/Targets missed/);
    const summary = JSON.parse(readFileSync(join(MODEL_DIR, 'training-summary.json'), 'utf8')) as {
      custom: boolean;
      model: string;
      heldOutPeople: string[];
      rows: { row: string; model: string }[];
    };
    expect(summary).toMatchObject({ custom: false, model: DEFAULT_BUNDLED_MODEL, heldOutPeople: ['P01', 'P03', 'P10', 'P17', 'P22'] });
    // Every row of the summary has the model and the three baselines on the same windows.
    const rows = new Set(summary.rows.map((r) => r.row));
    expect(rows.size).toBeGreaterThanOrEqual(3);
    for (const row of rows) {
      expect(
        summary.rows
          .filter((r) => r.row === row)
          .map((r) => r.model)
          .slice(1),
      ).toEqual(['persistence', 'ridge', 'ar2']);
    }
  });

  it('is registered as a bundled model when a data directory opens', () => {
    const store = Store.open(join(tmp.dir, 'studio.sqlite'));
    try {
      expect(registerBundledModels(store)).toContain(DEFAULT_BUNDLED_MODEL);
      const row = store.models.resolve(DEFAULT_BUNDLED_MODEL);
      expect(row.source).toBe('bundled');
      expect(row.path).toBe(MODEL_DIR);
      expect(row.meta.card).toBe(join(MODEL_DIR, 'MODEL_CARD.md'));
      expect(existsSync(String(row.meta.card))).toBe(true);
      // Registering again (every start) updates the row instead of adding another.
      registerBundledModels(store);
      expect(store.models.list().filter((m) => m.name === DEFAULT_BUNDLED_MODEL)).toHaveLength(1);
    } finally {
      store.close();
    }
  });

  it('forecasts finite glucose zero-shot, and is the default when no model is chosen', async () => {
    const data = cohort(2, 5, 424_242);
    const prepare = { splitSpec: { kind: 'temporal' as const, testFraction: 0.3, valFraction: 0.1 } };
    const explicit = new TTMForecaster({ modelPath: MODEL_DIR, trainingMode: 'zero_shot', numEpochs: 0, threads: 1 }, { prepare });
    const r = await explicit.predictZeroShot(data, { every: 24 });
    expect(r.forecastLength).toBe(96);
    expect(r.windows.length).toBeGreaterThan(0);
    expect(r.forecast.length).toBe(r.windows.length * 96);
    let outOfRange = 0;
    for (const v of r.forecast) if (!(Number.isFinite(v) && v > 1 && v < 33)) outOfRange++;
    expect(outOfRange).toBe(0);

    // Default modelPath is IBM's hub id, not downloaded here: the bundled model stands in.
    const byDefault = new TTMForecaster({ trainingMode: 'zero_shot', numEpochs: 0, threads: 1 }, { prepare });
    const d = await byDefault.predictZeroShot(data, { every: 24 });
    expect(Array.from(d.forecast)).toEqual(Array.from(r.forecast));
  });

  it('is the base model of a fine-tune started without one (train API)', async () => {
    const service = new StudioService({ dataDir: join(tmp.dir, 'svc'), logger: silentLogger });
    try {
      registerBundledModels(service.store);
      await service.invoke('datasets.simulate', { name: 'small', patients: 2, days: 5, seed: 515 });
      await service.invoke('splits.create', { dataset: 'small', name: 't', spec: { kind: 'temporal', testFraction: 0.2, valFraction: 0.2 } });
      const run = await service.invoke('train.start', {
        dataset: 'small',
        split: 't',
        wait: true,
        config: { trainingMode: 'fine_tune', freezeBackbone: true, numEpochs: 1, batchSize: 16, threads: 1, earlyStoppingPatience: 0 },
        options: { maxSteps: 2 },
      });
      expect(run.status).toBe('completed');
      const row = service.store.runs.get(run.runId);
      expect(row.modelId).toBe(service.store.models.resolve(DEFAULT_BUNDLED_MODEL).id);
      // The trained checkpoint has the bundled model's geometry.
      const ck = await loadCheckpoint(String(run.result?.modelDir));
      expect(ck.config.context_length).toBe(512);
      expect(ck.config.d_model).toBe(192);
    } finally {
      service.close();
    }
  });
});
