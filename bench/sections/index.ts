import type { BenchSection } from '../harness.js';
import { storeBench } from './store.js';

/** Every benchmark section, in the order `npm run bench` runs them. */
export const BENCH_SECTIONS: Record<string, BenchSection> = {
  store: storeBench,
};
