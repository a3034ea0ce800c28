/** Evaluation metrics; see docs/evaluation.md for every convention. */
export * from './types.js';
export * from './point.js';
export * from './zones.js';
export * from './clarke.js';
export * from './parkes.js';
export * from './hypo.js';
export * from './coverage.js';
export * from './clinical.js';
export * from './evaluate.js';
