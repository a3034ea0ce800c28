import { describe, expect, it } from 'vitest';
import { buildPatientGrid, type RawReading } from '../../../src-main/engine/data/grid/build.js';
import { buildWindows, countWindows, materializeBatch } from '../../../src-main/engine/data/windows.js';

const T0 = Date.UTC(2024, 0, 1);
const MIN = 60_000;
function series(mins: number[], value: (m: number) => number = (m) => 5 + m / 100): RawReading[] {
  return mins.map((m) => ({ ts: T0 + m * MIN, bgMm: value(m), flags: 0, kind: 'cgm' as const }));
}
const range = (a: number, b: number, step = 5): number[] => Array.from({ length: Math.floor((b - a) / step) }, (_, i) => a + i * step);

describe('buildWindows', () => {
  it('never crosses a segment and counts every fitting start', () => {
    // segment A: bins 0..19 (20 bins), long gap, segment B: bins 40..49 (10 bins)
    const g = buildPatientGrid(3, series([...range(0, 100), ...range(200, 250)]), []);
    expect(g.segments).toEqual([
      { start: 0, end: 20 },
      { start: 40, end: 50 },
    ]);
    const w = buildWindows(g, { contextLength: 6, forecastLength: 3 });
    // A: starts 0..11 (12), B: starts 40..41 (2)
    expect(w.map((x) => x.start)).toEqual([...Array.from({ length: 12 }, (_, i) => i), 40, 41]);
    for (const x of w) {
      const seg = g.segments[x.segment]!;
      expect(x.start).toBeGreaterThanOrEqual(seg.start);
      expect(x.start + 9).toBeLessThanOrEqual(seg.end);
    }
    expect(countWindows(g.segments, 6, 3)).toBe(14);
    expect(buildWindows(g, { contextLength: 6, forecastLength: 3, stride: 5 }).map((x) => x.start)).toEqual([0, 5, 10, 40]);
  });

  it('keeps targets inside a part; the context may precede it only when asked', () => {
    const g = buildPatientGrid(1, series(range(0, 200)), []); // 40 bins
    const from = T0 + 20 * 5 * MIN;
    const train = buildWindows(g, { contextLength: 5, forecastLength: 2, toTs: from });
    expect(Math.max(...train.map((w) => w.start + 7))).toBe(20);
    const test = buildWindows(g, { contextLength: 5, forecastLength: 2, fromTs: from, contextMayPrecede: true });
    expect(test[0]!.start).toBe(15);
    expect(Math.min(...test.map((w) => w.start + 5))).toBe(20);
    const strict = buildWindows(g, { contextLength: 5, forecastLength: 2, fromTs: from });
    expect(strict[0]!.start).toBe(20);
  });

  it('skips windows whose targets were all imputed and masks imputed targets in batches', () => {
    // bins 0..9 observed, 10..13 missing (imputed, 20 min), 14..19 observed
    const g = buildPatientGrid(1, series([...range(0, 50), ...range(70, 100)]), []);
    const w = buildWindows(g, { contextLength: 8, forecastLength: 4 });
    expect(w.find((x) => x.start === 2)).toBeUndefined(); // targets 10..13 all imputed
    const w3 = w.find((x) => x.start === 3)!;
    expect(w3.observedTargets).toBe(1);
    const batch = materializeBatch(new Map([[1, g]]), [w3], {
      contextLength: 8,
      forecastLength: 4,
      inputChannels: ['bg_mM', 'iob'],
      targetChannels: ['bg_mM'],
    });
    expect(batch.past.length).toBe(8 * 2);
    expect(Array.from(batch.futureMask)).toEqual([0, 0, 0, 1]);
    expect(batch.past[0]).toBeCloseTo(5 + 15 / 100, 5); // bin 3, channel 0
    expect(batch.future[3]).toBeCloseTo(5 + 70 / 100, 5); // bin 14
    const scaled = materializeBatch(new Map([[1, g]]), [w3], {
      contextLength: 8,
      forecastLength: 4,
      inputChannels: ['bg_mM'],
      targetChannels: ['bg_mM'],
      transform: (_p, _c, v) => v * 2,
    });
    expect(scaled.past[0]).toBeCloseTo(2 * (5 + 15 / 100), 5);
  });
});
