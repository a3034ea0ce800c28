/**
 * Window forecasters: anything that maps a list of windows (same context and forecast length for
 * every model, so they are scored on identical targets) to glucose forecasts [W, H] in
 * mmol/L. TTM and the three baselines share this shape, so prediction, conformal calibration
 * and evaluation are written once.
 */
import type { WindowDescriptor } from '../data/windows.js';
import { ar2Forecast } from './baselines/ar2.js';
import { persistenceForecast } from './baselines/persistence.js';
import { fitRidgeSelectLambda, ridgeForecast, type RidgeModel } from './baselines/ridge.js';
import { partWindows, type PreparedData } from '../data/prepared-data.js';
import type { TtmPredictor } from '../ttm/graph/predictor.js';
import { glucoseWindows, ttmForecastWindows, type TtmModelState } from '../ttm/study-model.js';

export interface WindowModel {
  readonly name: string;
  forecast(data: PreparedData, windows: readonly WindowDescriptor[], geometry: { contextLength: number; forecastLength: number }): Promise<Float64Array>;
}

export const persistenceModel: WindowModel = {
  name: 'persistence',
  forecast: (data, windows, { contextLength, forecastLength }) => {
    const g = glucoseWindows(data, windows, contextLength, forecastLength);
    return Promise.resolve(persistenceForecast({ windows: windows.length, contextLength, context: g.context, contextMask: g.contextMask }, forecastLength));
  },
};

export const ar2Model: WindowModel = {
  name: 'ar2',
  forecast: (data, windows, { contextLength, forecastLength }) => {
    const g = glucoseWindows(data, windows, contextLength, forecastLength);
    return Promise.resolve(
      ar2Forecast({ windows: windows.length, contextLength, context: g.context, contextMask: g.contextMask }, forecastLength, {
        resolutionMin: data.resolutionMin,
      }),
    );
  },
};

export function ridgeWindowModel(model: RidgeModel): WindowModel {
  return {
    name: 'ridge',
    forecast: (data, windows, { contextLength, forecastLength }) => {
      const g = glucoseWindows(data, windows, contextLength, forecastLength);
      const f = ridgeForecast(model, { windows: windows.length, contextLength, context: g.context, contextMask: g.contextMask });
      if (model.forecastLength === forecastLength) return Promise.resolve(f);
      // A ridge fitted for a longer forecast: keep the first steps.
      const out = new Float64Array(windows.length * forecastLength);
      for (let w = 0; w < windows.length; w++) out.set(f.subarray(w * model.forecastLength, w * model.forecastLength + forecastLength), w * forecastLength);
      return Promise.resolve(out);
    },
  };
}

/**
 * Ridge on lags fitted on the training part only (closed form), λ chosen on validation
 * windows. `stride` thins the (highly overlapping) training windows to bound the cost.
 */
export function fitRidgeOnSplit(
  data: PreparedData,
  geometry: { contextLength: number; forecastLength: number },
  options: { stride?: number; lags?: number } = {},
): { model: RidgeModel; trainWindows: number } {
  const { contextLength, forecastLength } = geometry;
  const lags = Math.min(options.lags ?? 12, contextLength);
  const stride = options.stride ?? 3;
  const train = partWindows(data, 'train', { contextLength: lags, forecastLength, stride });
  const valAll = partWindows(data, 'val', { contextLength: lags, forecastLength, stride, role: 'train' });
  const gt = glucoseWindows(data, train, lags, forecastLength);
  const trainBatch = { windows: train.length, contextLength: lags, context: gt.context, contextMask: gt.contextMask };
  const trainTargets = { windows: train.length, forecastLength: forecastLength, target: gt.target, targetMask: gt.targetMask };
  // Without validation windows, choose λ on the training windows themselves (still closed form).
  const val = valAll.length > 0 ? valAll : train;
  const gv = glucoseWindows(data, val, lags, forecastLength);
  const sel = fitRidgeSelectLambda(
    trainBatch,
    trainTargets,
    { windows: val.length, contextLength: lags, context: gv.context, contextMask: gv.contextMask },
    { windows: val.length, forecastLength: forecastLength, target: gv.target, targetMask: gv.targetMask },
    { lags },
  );
  return { model: sel.model, trainWindows: train.length };
}

export function ttmWindowModel(state: TtmModelState, predictor: TtmPredictor, batchSize: number, name = 'ttm'): WindowModel {
  return {
    name,
    forecast: (data, windows) => ttmForecastWindows(predictor, state.preprocessor, data, windows, batchSize),
  };
}
