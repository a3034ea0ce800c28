import { describe, expect, it } from 'vitest';
import {
  CONSENSUS_TARGETS_PCT,
  MGDL_PER_MMOL,
  mgdlToUnit,
  mmolToUnit,
  RANGE_EDGES_MGDL,
  RANGE_EDGES_MMOL,
  rangeLabels,
  toMgdl,
  toMmol,
} from '../../src-main/engine/units.js';

describe('glucose units', () => {
  it('converts with 18.018 mg/dL per mmol/L both ways', () => {
    expect(MGDL_PER_MMOL).toBe(18.018);
    expect(toMgdl(10, 'mmol/L')).toBeCloseTo(180.18, 10);
    expect(toMgdl(180, 'mg/dL')).toBe(180);
    expect(toMmol(180.18, 'mg/dL')).toBeCloseTo(10, 10);
    expect(toMmol(5.5, 'mmol/L')).toBe(5.5);
    expect(mgdlToUnit(180.18, 'mmol/L')).toBeCloseTo(10, 10);
    expect(mmolToUnit(10, 'mg/dL')).toBeCloseTo(180.18, 10);
    expect(mmolToUnit(10, 'mmol/L')).toBe(10);
  });

  it('keeps the consensus edges and targets, and the mmol/L edges round back to the mg/dL ones', () => {
    expect(RANGE_EDGES_MGDL).toEqual({ veryLow: 54, low: 70, high: 180, veryHigh: 250 });
    for (const k of ['veryLow', 'low', 'high', 'veryHigh'] as const) expect(Math.round(RANGE_EDGES_MMOL[k] * MGDL_PER_MMOL)).toBe(RANGE_EDGES_MGDL[k]);
    expect(CONSENSUS_TARGETS_PCT).toEqual({ inRangeAbove: 70, above180Below: 25, above250Below: 5, below70Below: 4, below54Below: 1 });
  });

  it('labels the bands as the consensus writes them', () => {
    expect(rangeLabels('mg/dL')).toEqual({ veryLow: '< 54', low: '54–69', inRange: '70–180', high: '181–250', veryHigh: '> 250' });
    expect(rangeLabels('mmol/L')).toEqual({ veryLow: '< 3.0', low: '3.0–3.8', inRange: '3.9–10.0', high: '10.1–13.9', veryHigh: '> 13.9' });
  });
});
