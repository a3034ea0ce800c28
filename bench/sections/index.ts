import type { BenchSection } from '../harness.js';
import { dataImportBench } from './data-import.js';
import { dataPipelineBench } from './data-pipeline.js';
import { engineBench } from './engine.js';
import { metricsBench } from './metrics.js';
import { modelBench } from './model.js';
import { storeBench } from './store.js';
import { trainBench } from './train.js';
import { accuracyBench } from './accuracy.js';
import { reportBench } from './report.js';
import { parsersBench } from './parsers.js';
import { clusterBench } from './cluster.js';

/** Every benchmark section, in the order `npm run bench` runs them (`npm run bench -- <name>` runs one). */
export const BENCH_SECTIONS: Record<string, BenchSection> = {
  store: storeBench,
  import: dataImportBench,
  data: dataPipelineBench,
  engine: engineBench,
  model: modelBench,
  metrics: metricsBench,
  train: trainBench,
  accuracy: accuracyBench,
  report: reportBench,
  parsers: parsersBench,
  cluster: clusterBench,
};
