/** Baseline forecasters the TTM results are compared against (DESIGN.md §6–7). */
export * from './types.js';
export * from './persistence.js';
export * from './ar2.js';
export * from './ridge.js';
export { cholesky, choleskySolve } from './cholesky.js';
