/**
 * What a run is. Plain code shared by the store, the API contract and (through the contract)
 * the renderer, so "which runs trained a model" is answered in one place.
 */
export const RUN_KINDS = ['train', 'evaluate', 'predict', 'zero_shot', 'external'] as const;

/** 'external': a training job run elsewhere (a cluster job) and imported with its model and metrics. */
export type RunKind = (typeof RUN_KINDS)[number];

/** Runs that trained (or tried to train) a model: local ones and those imported from a cluster. */
export function isTrainingRun(kind: RunKind): boolean {
  return kind === 'train' || kind === 'external';
}
