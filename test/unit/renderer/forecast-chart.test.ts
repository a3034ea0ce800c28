import { describe, expect, it } from 'vitest';
import { forecastAt, forecastChartData, stepOrigin, traceValueAt } from '../../../src-renderer/lib/forecast-chart.js';
import type { TraceData } from '../../../src-renderer/lib/trace-data.js';

const step = 5 * 60_000;
const t0 = Date.UTC(2024, 0, 1);
const trace: TraceData = {
  stepMin: 5,
  ts: Array.from({ length: 100 }, (_, i) => t0 + i * step),
  glucose: Array.from({ length: 100 }, (_, i) => (i === 50 ? null : 5 + i / 100)),
  mask: Array.from({ length: 100 }, () => 1),
  bolus: null,
  carbs: null,
};
const item = (origin: number) => ({ patient: 'p', originTs: origin, stepMin: 5, values: [6, 7, 8], lower: [5, 6, 7], upper: [7, 8, 9], level: 0.95 });

describe('forecast chart data', () => {
  it('looks up trace values and forecasts by exact time', () => {
    expect(traceValueAt(trace, t0 + 10 * step)).toBeCloseTo(5.1, 9);
    expect(traceValueAt(trace, t0 + 50 * step)).toBeNull();
    expect(traceValueAt(trace, t0 - step)).toBeNull();
    const items = [item(t0), item(t0 + step), item(t0 + 2 * step)];
    expect(forecastAt(items, t0 + step)?.originTs).toBe(t0 + step);
    expect(forecastAt(items, t0 + 7)).toBeNull();
  });

  it('history up to the origin, actual after, forecast from the origin with its band, in the display unit', () => {
    const origin = t0 + 20 * step;
    const d = forecastChartData(trace, origin, [{ name: 'm', items: [item(origin)] }], 15, (v) => v * 10);
    expect(d.x).toEqual([-15, -10, -5, 0, 5, 10, 15]);
    expect(d.history.slice(0, 4).every((v) => v !== null)).toBe(true);
    expect(d.history.slice(4)).toEqual([null, null, null]);
    expect(d.actual.slice(0, 3)).toEqual([null, null, null]);
    expect(d.actual[3]).toBeCloseTo(52, 9);
    expect(d.models[0]!.forecast.slice(3)).toEqual([d.history[3], 60, 70, 80]);
    expect(d.models[0]!.lower.slice(4)).toEqual([50, 60, 70]);
    expect(d.models[0]!.upper.slice(4)).toEqual([70, 80, 90]);
  });

  it('a model without a forecast at this origin draws nothing', () => {
    const d = forecastChartData(trace, t0 + 20 * step, [{ name: 'm', items: [] }], 10, (v) => v);
    expect(d.models[0]!.forecast.every((v) => v === null)).toBe(true);
  });
});

describe('origin keys', () => {
  it('arrows step by one, PageUp/PageDown by an hour, clamped; other keys ignored', () => {
    expect(stepOrigin(5, 100, 'ArrowRight', 5)).toBe(6);
    expect(stepOrigin(5, 100, 'ArrowLeft', 5)).toBe(4);
    expect(stepOrigin(5, 100, 'PageDown', 5)).toBe(17);
    expect(stepOrigin(5, 100, 'PageUp', 5)).toBe(0);
    expect(stepOrigin(99, 100, 'ArrowRight', 5)).toBe(99);
    expect(stepOrigin(5, 100, 'PageDown', 15)).toBe(9);
    expect(stepOrigin(5, 100, 'End', 5)).toBe(99);
    expect(stepOrigin(5, 100, 'a', 5)).toBeNull();
    expect(stepOrigin(0, 0, 'ArrowRight', 5)).toBeNull();
  });
});
