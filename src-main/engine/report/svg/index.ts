/** The report's SVG chart toolkit: pure functions from data to escaped SVG markup. */
export * from './scale.js';
export * from './primitives.js';
export * from './frame.js';
export * from './marks.js';
export * from './legend.js';
