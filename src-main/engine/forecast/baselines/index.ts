/** Baseline forecasters the TTM results are compared against: a model is only worth using if it beats them. */
export * from './types.js';
export * from './persistence.js';
export * from './ar2.js';
export * from './ridge.js';
export { cholesky, choleskySolve } from './cholesky.js';
