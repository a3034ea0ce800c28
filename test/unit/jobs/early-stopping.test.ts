import { describe, expect, it } from 'vitest';
import { EarlyStopping } from '../../../src-main/engine/jobs/early-stopping.js';

describe('early stopping', () => {
  it('needs an improvement larger than min_delta and stops after `patience` bad evaluations', () => {
    const es = new EarlyStopping({ patience: 3, minDelta: 0.01 });
    expect(es.update(100, 1.0)).toMatchObject({ improved: true, shouldStop: false, bestStep: 100, bestValue: 1.0, badEvaluations: 0 });
    expect(es.update(200, 0.995)).toMatchObject({ improved: false, badEvaluations: 1, bestStep: 100 }); // not < 0.99
    expect(es.update(300, 0.98)).toMatchObject({ improved: true, badEvaluations: 0, bestStep: 300 });
    expect(es.update(400, 0.975)).toMatchObject({ improved: false, badEvaluations: 1 }); // not < 0.97
    expect(es.update(500, 0.979)).toMatchObject({ improved: false, badEvaluations: 2, shouldStop: false });
    expect(es.update(600, Number.NaN)).toMatchObject({ improved: false, badEvaluations: 3, shouldStop: true, bestStep: 300, bestValue: 0.98 });
    expect(es.shouldStop).toBe(true);
  });

  it('with min_delta 0 any strict decrease improves; equality does not', () => {
    const es = new EarlyStopping({ patience: 1 });
    es.update(1, 0.5);
    expect(es.update(2, 0.4999).improved).toBe(true);
    expect(es.update(3, 0.4999)).toMatchObject({ improved: false, shouldStop: true });
  });

  it('a first non-finite loss is not a best', () => {
    const es = new EarlyStopping({ patience: 2 });
    expect(es.update(1, Number.POSITIVE_INFINITY)).toMatchObject({ improved: false, bestStep: null, bestValue: null });
    expect(es.update(2, 3)).toMatchObject({ improved: true, bestStep: 2 });
  });

  it('resumes from its serialised state', () => {
    const es = new EarlyStopping({ patience: 2, minDelta: 0 });
    es.update(1, 1);
    es.update(2, 2);
    const resumed = new EarlyStopping({ state: JSON.parse(JSON.stringify(es.toJSON())) });
    expect(resumed.update(3, 2)).toMatchObject({ shouldStop: true, bestStep: 1 });
  });

  it('refuses invalid settings', () => {
    expect(() => new EarlyStopping({ patience: 0 })).toThrow(/patience/);
    expect(() => new EarlyStopping({ patience: 2, minDelta: -1 })).toThrow(/min_delta/);
  });
});
