import { describe, expect, it } from 'vitest';
import { parkesErrorGrid, parkesLowerAt, parkesUpperAt, parkesZone } from '../../../src-main/engine/metrics/parkes.js';

// Points on and just beyond every segment of every type-1 boundary. Line values computed by
// hand from the published vertices (Pfützner et al. 2013, Table 1); on a line = better zone.
const cases: [number, number, string][] = [
  [100, 100, 'A'],
  // upper A|B: (0,50) (30,50) (140,170) (280,380) (5000,5729.3)
  [10, 50, 'A'],
  [10, 50.01, 'B'],
  [85, 110, 'A'], // 50 + 55·120/110
  [85, 110.01, 'B'],
  [200, 260, 'A'], // 170 + 60·1.5
  [200, 260.01, 'B'],
  [400, 515.9, 'A'], // 380 + 120·5349.3/4720 = 515.9992
  [400, 516.1, 'B'],
  // upper B|C: (0,60) (30,60) (50,80) (70,110) (5000,11526.84)
  [10, 60, 'B'],
  [10, 60.01, 'C'],
  [40, 70, 'B'],
  [40, 70.01, 'C'],
  [60, 95, 'B'],
  [60, 95.01, 'C'],
  [100, 179.4, 'B'], // 110 + 30·11416.84/4930 = 179.4737
  [100, 179.6, 'C'],
  // upper C|D: (0,100) (25,100) (50,125) (80,215) (5000,36841.67)
  [10, 100, 'C'],
  [10, 100.01, 'D'],
  [40, 115, 'C'],
  [40, 115.01, 'D'],
  [60, 155, 'C'],
  [60, 155.01, 'D'],
  [100, 363.8, 'C'], // 215 + 20·36626.67/4920 = 363.8889
  [100, 364, 'D'],
  // upper D|E: (0,150) (35,155) (5000,130900)
  [14, 152, 'D'], // 150 + 14·5/35
  [14, 152.01, 'E'],
  [50, 550, 'D'], // 155 + 15·130745/4965
  [50, 550.1, 'E'],
  // lower A|B: (50,0) (50,30) (170,145) (385,300) (5000,4495.45)
  [50, 10, 'A'],
  [50.01, 10, 'B'],
  [98, 76, 'A'], // 50 + 46·120/115
  [98.01, 76, 'B'],
  [213, 176, 'A'], // 170 + 31·215/155
  [213.01, 176, 'B'],
  [494.9, 400, 'A'], // 385 + 100·4615/4195.45 = 495.0001
  [495.1, 400, 'B'],
  // lower B|C: (120,0) (120,30) (260,130) (5000,2091.38)
  [120, 10, 'B'],
  [120.01, 10, 'C'],
  [190, 80, 'B'], // 120 + 50·1.4
  [190.01, 80, 'C'],
  [429.1, 200, 'B'], // 260 + 70·4740/1961.38 = 429.1666
  [429.3, 200, 'C'],
  // lower C|D: (250,0) (250,40) (5000,1781.67)
  [250, 20, 'C'],
  [250.01, 20, 'D'],
  [413.6, 100, 'C'], // 250 + 60·4750/1741.67 = 413.6361
  [413.7, 100, 'D'],
];

describe('Parkes error grid, type 1', () => {
  it.each(cases)('(%d, %d) is zone %s', (r, p, zone) => {
    expect(parkesZone(r, p)).toBe(zone);
  });

  it('interpolates the boundary lines through their vertices', () => {
    expect(parkesUpperAt('B', 140)).toBeCloseTo(170, 12);
    expect(parkesUpperAt('B', 5000)).toBeCloseTo(5729.3, 9);
    expect(parkesUpperAt('E', 0)).toBe(150);
    expect(parkesLowerAt('B', 145)).toBeCloseTo(170, 12);
    expect(parkesLowerAt('D', 0)).toBe(250);
    expect(parkesLowerAt('C', 130)).toBeCloseTo(260, 12);
  });

  it('counts zones over a forecast set', () => {
    const g = parkesErrorGrid({
      windows: 1,
      forecastLength: 4,
      target: Float64Array.from([100, 85, 10, 250.01]),
      forecast: Float64Array.from([100, 110.01, 100.01, 20]),
      unit: 'mg/dL',
    });
    expect(g.overall.counts).toEqual({ A: 1, B: 1, C: 0, D: 2, E: 0 });
    expect(g.overall.aPlusB).toBeCloseTo(50, 12);
  });
});

describe('Parkes boundaries are nested', () => {
  it('U_B < U_C < U_D < U_E and L_B < L_C < L_D over the whole glucose range', () => {
    for (let v = 0; v <= 1000; v += 0.5) {
      expect(parkesUpperAt('B', v)).toBeLessThan(parkesUpperAt('C', v));
      expect(parkesUpperAt('C', v)).toBeLessThan(parkesUpperAt('D', v));
      expect(parkesUpperAt('D', v)).toBeLessThan(parkesUpperAt('E', v));
      expect(parkesLowerAt('B', v)).toBeLessThan(parkesLowerAt('C', v));
      expect(parkesLowerAt('C', v)).toBeLessThan(parkesLowerAt('D', v));
    }
  });
});
