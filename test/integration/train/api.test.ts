/**
 * The StudioApi side: train.start returns the run id and streams `run` events, runs.get shows
 * checkpoints and metrics, train.cancel / train.resume work through the service's host,
 * forecast.predict writes the CSV and the forecasts table, forecast.evaluate stores an
 * evaluation with the baselines — all with onnxruntime in worker processes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../../src-main/engine/api/contract.js';
import { StudioService } from '../../../src-main/engine/api/service.js';
import { createLogger } from '../../../src-main/engine/logger.js';
import { tempDir } from '../../helpers/tmp.js';
import { cohortStore, privateSpawn, TINY_CONFIG, TINY_MODEL_DIR } from './helpers.js';

describe('training and forecasting API', () => {
  const tmp = tempDir();
  let service: StudioService;
  const events: ApiEvent[] = [];
  beforeAll(async () => {
    (await cohortStore(tmp.dir)).close();
    service = new StudioService({ dataDir: tmp.dir, logger: createLogger({ logsDir: join(tmp.dir, 'logs') }), spawnWorker: privateSpawn });
    service.subscribe((e) => events.push(e));
    service.store.models.upsert({ name: 'tiny', source: 'local', path: TINY_MODEL_DIR });
  });
  afterAll(() => {
    service.close();
    tmp.cleanup();
  });

  const config = { ...TINY_CONFIG, modelPath: undefined };
  const options = { validateEverySteps: 4, checkpointEverySteps: 4, trainStride: 6, evalStride: 6, maxSteps: 8 };

  it('train.start returns the run id at once and streams run events until completion', async () => {
    const started = await service.invoke('train.start', { dataset: 'cohort', split: 'hyb', model: 'tiny', config, options, name: 'api-model' });
    expect(started.status).toBe('running');
    const runId = started.runId;
    await new Promise<void>((resolve) => {
      const off = service.subscribe((e) => {
        if (e.type === 'run' && e.runId === runId && e.status !== 'running') {
          off();
          resolve();
        }
      });
    });
    const detail = await service.invoke('runs.get', { run: runId });
    expect(detail.status).toBe('completed');
    expect(detail.checkpoints.some((c) => c.best)).toBe(true);
    expect(detail.lastMetrics['train/loss']?.step).toBe(8);
    const progress = events.filter((e) => e.type === 'run' && e.runId === runId && e.trainLoss !== undefined);
    expect(progress.length).toBeGreaterThan(0);
    expect(service.store.models.resolve('api-model').source).toBe('trained');
  });

  it('train.cancel then train.resume finishes the run', async () => {
    // maxSteps caps epochs × steps per epoch: enough epochs that the 150-step cap binds.
    const started = await service.invoke('train.start', {
      dataset: 'cohort',
      split: 'hyb',
      model: 'tiny',
      config: { ...config, numEpochs: 100 },
      options: { ...options, maxSteps: 150 },
    });
    const runId = started.runId;
    await new Promise<void>((resolve) => {
      const off = service.subscribe((e) => {
        if (e.type === 'run' && e.runId === runId && e.step !== undefined) {
          off();
          resolve();
        }
      });
    });
    expect((await service.invoke('train.cancel', { run: runId })).cancelled).toBe(true);
    while (service.training.isActive(runId)) await new Promise((r) => setTimeout(r, 20));
    expect(service.store.runs.get(runId).status).toBe('cancelled');
    const resumed = await service.invoke('train.resume', { run: runId, wait: true });
    expect(resumed.status).toBe('completed');
    expect(resumed.result?.steps).toBe(150);
  });

  it('forecast.predict writes the CSV and the forecasts table; forecast.evaluate stores the report', async () => {
    const out = join(tmp.dir, 'f.csv');
    const p = await service.invoke('forecast.predict', { model: 'api-model', dataset: 'cohort', split: 'hyb', every: 12, out });
    expect(p.status).toBe('completed');
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('datetime,p_num,origin,horizon_min,forecast,lower,upper,actual');
    expect(lines.length - 1).toBe((p.result?.origins as number) * 16);
    const first = lines[1]!.split(',');
    expect(first[3]).toBe('5');
    expect(Number(first[5])).toBeLessThan(Number(first[4]));
    expect(Number(first[6])).toBeGreaterThan(Number(first[4]));
    const stored = service.store.db.prepare('SELECT COUNT(*) AS n FROM forecasts WHERE run_id = ?').get(p.runId) as { n: number };
    expect(stored.n).toBe(p.result?.origins);

    const e = await service.invoke('forecast.evaluate', { model: 'api-model', dataset: 'cohort', split: 'hyb', stride: 4 });
    const report = e.result?.report as { groups: { group: string; models: { model: string }[] }[] };
    expect(report.groups.map((g) => g.group)).toEqual(['in_distribution', 'unseen_patients']);
    // The model's rows carry its registered name, not a generic "ttm".
    expect(report.groups[0]!.models.map((m) => m.model)).toEqual(['api-model', 'persistence', 'ridge', 'ar2']);
    expect((e.result?.report as { model?: unknown }).model).toMatchObject({ name: 'api-model', zeroShot: false });
    const row = service.store.db.prepare('SELECT run_id, metrics_json FROM evaluations WHERE id = ?').get(e.result?.evaluationId) as {
      run_id: number;
      metrics_json: string;
    };
    expect(row.run_id).toBe(e.runId);
    expect(JSON.parse(row.metrics_json)).toMatchObject({ forecastLength: 16 });
  });

  it('refuses a covariate the dataset does not have, with a message naming it', async () => {
    await expect(
      service.invoke('train.start', { dataset: 'cohort', split: 'hyb', model: 'tiny', config: { ...config, inputFeatures: ['hr_bpm'] }, options, wait: true }),
    ).rejects.toThrow(/"hr_bpm" has no data in any patient/);
    expect(service.store.runs.list({ kind: 'train' })[0]?.status).toBe('failed');
  });
});
