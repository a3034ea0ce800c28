import { clarkeErrorGrid } from '../../src-main/engine/metrics/clarke.js';
import { hypoByHorizon } from '../../src-main/engine/metrics/hypo.js';
import { parkesErrorGrid } from '../../src-main/engine/metrics/parkes.js';
import { computePointMetrics } from '../../src-main/engine/metrics/point.js';
import { type ForecastSet, REPORT_MINUTES } from '../../src-main/engine/metrics/types.js';
import { persistenceForecast } from '../../src-main/engine/forecast/baselines/persistence.js';
import { fitRidge, ridgeForecast } from '../../src-main/engine/forecast/baselines/ridge.js';
import { rateRow, timeRepeats, type BenchRow, type BenchSection } from '../harness.js';

/** Deterministic glucose-like data: a random walk in mmol/L with ~1 % imputed targets. */
function syntheticSet(windows: number, forecastLength: number, contextLength: number) {
  let s = 12345;
  const rand = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  const L = contextLength;
  const context = new Float32Array(windows * L);
  const target = new Float32Array(windows * forecastLength);
  const forecast = new Float32Array(windows * forecastLength);
  const mask = new Uint8Array(windows * forecastLength);
  for (let w = 0; w < windows; w++) {
    let g = 3 + 12 * rand();
    for (let j = 0; j < L; j++) {
      g = Math.min(22, Math.max(2.2, g + (rand() - 0.5) * 0.4));
      context[w * L + j] = g;
    }
    for (let h = 0; h < forecastLength; h++) {
      g = Math.min(22, Math.max(2.2, g + (rand() - 0.5) * 0.4));
      target[w * forecastLength + h] = g;
      forecast[w * forecastLength + h] = g + (rand() - 0.5) * 0.3 * (h + 1);
      mask[w * forecastLength + h] = rand() < 0.01 ? 0 : 1;
    }
  }
  return { context, target, forecast, mask };
}

/**
 * Evaluation throughput: windows per second for the full per-window metric set (point
 * metrics per horizon step, Clarke, Parkes, hypo level 1 and 2 at 30/60/120 min) on [windows, 24] forecasts,
 * plus the parts alone and the ridge baseline's fit/predict.
 */
export const metricsBench: BenchSection = async (ctx) => {
  const windows = ctx.quick ? 10_000 : 100_000;
  const forecastLength = 24;
  const contextLength = 24;
  const repeats = ctx.quick ? 3 : 5;
  const data = syntheticSet(windows, forecastLength, contextLength);
  const set: ForecastSet = { windows, forecastLength, target: data.target, forecast: data.forecast, targetMask: data.mask, unit: 'mmol/L' };
  const rows: BenchRow[] = [];
  const note = `${windows.toLocaleString('en-US')} windows × ${forecastLength} steps`;
  const measure = async (name: string, fn: () => unknown, unit = 'windows/s', work = windows) => {
    const d = await timeRepeats(fn, repeats);
    rows.push(rateRow('metrics', name, unit, work, d, note));
    ctx.log(`metrics: ${name} done`);
  };

  await measure('full metric set', () => {
    computePointMetrics(set, 5);
    clarkeErrorGrid(set);
    parkesErrorGrid(set);
    hypoByHorizon(set, 5);
  });
  await measure('point metrics', () => computePointMetrics(set, 5));
  await measure('Clarke grid', () => clarkeErrorGrid(set));
  await measure('Parkes grid', () => parkesErrorGrid(set));
  await measure('hypo detection (L1, 30/60/120 min)', () => hypoByHorizon(set, 5, REPORT_MINUTES, [1]));

  const batch = { windows, contextLength, context: data.context };
  const targets = { windows, forecastLength, target: data.target, targetMask: data.mask };
  await measure('persistence forecast', () => persistenceForecast(batch, forecastLength));
  await measure('ridge fit (12 lags)', () => fitRidge(batch, targets, { lags: 12 }));
  const model = fitRidge(batch, targets, { lags: 12 });
  await measure('ridge predict (12 lags)', () => ridgeForecast(model, batch));
  return rows;
};
