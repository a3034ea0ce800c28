import { describe, expect, it } from 'vitest';
import { duration, fractionPct, glucose, glucoseError, localTime, num, offsetName, rangeLabels } from '../../../src-main/engine/report/format.js';

describe('report number formatting', () => {
  it('glucose levels: whole mg/dL or one decimal mmol/L; errors one more decimal; missing is a dash', () => {
    expect(glucose(157.5, 'mg/dL')).toBe('158');
    expect(glucose(157.5, 'mmol/L')).toBe('8.7');
    expect(glucoseError(18.018, 'mmol/L')).toBe('1.00');
    expect(glucoseError(18.018, 'mg/dL')).toBe('18.0');
    expect(glucose(null, 'mg/dL')).toBe('—');
    expect(num(Number.NaN, 1)).toBe('—');
  });

  it('never prints a negative zero', () => {
    expect(num(-0.01, 1)).toBe('0.0');
    expect(num(-0.04, 0)).toBe('0');
    expect(num(-0.06, 1)).toBe('-0.1');
  });

  it('fractions, durations, local times and zone names', () => {
    expect(fractionPct(2 / 3)).toBe('66.7');
    expect(duration(125_000)).toBe('2 min 5 s');
    expect(duration(3_725_000)).toBe('1 h 2 min');
    expect(duration(null)).toBe('—');
    expect(localTime(Date.UTC(2024, 0, 1, 23, 30), 90)).toBe('2024-01-02 01:00');
    expect(offsetName(-300, null)).toBe('UTC−05:00');
    expect(offsetName(60, 'Europe/Berlin')).toBe('Europe/Berlin');
  });

  it('consensus range edges in both units', () => {
    expect(rangeLabels('mg/dL')).toEqual({ veryLow: '< 54', low: '54–69', inRange: '70–180', high: '181–250', veryHigh: '> 250' });
    expect(rangeLabels('mmol/L')).toEqual({ veryLow: '< 3.0', low: '3.0–3.8', inRange: '3.9–10.0', high: '10.1–13.9', veryHigh: '> 13.9' });
  });
});
