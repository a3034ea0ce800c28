/**
 * The seed's input forms give the same grids: a map patient → rows, a Map, and a combined
 * table with p_num. Rows go through the same grid builder as imported data (doses and carbs
 * become IOB/COB); malformed tables are refused with messages naming the problem.
 */
import { describe, expect, it } from 'vitest';
import { prepareData, type SeriesRow } from '../../../src-main/engine/data/prepared-data.js';

const T0 = Date.parse('2024-02-01T00:00:00Z');
const rows = (p: string, offset: number): SeriesRow[] =>
  Array.from({ length: 600 }, (_, i) => ({
    datetime: new Date(T0 + i * 300_000).toISOString(),
    p_num: p,
    bg_mM: 6 + Math.sin(i / 20 + offset),
    dose_units: i % 144 === 10 ? 4 : null,
    food_g: i % 144 === 8 ? 50 : null,
  }));

describe('prepareData input forms', () => {
  it('gives the same grids for a record, a Map and a combined table', () => {
    const a = rows('a', 0);
    const b = rows('b', 1);
    const forms = [
      prepareData({ a, b }),
      prepareData(
        new Map([
          ['a', a],
          ['b', b],
        ]),
      ),
      prepareData([...b, ...a]),
    ];
    const ref = forms[0]!;
    expect([...ref.names.values()]).toEqual(['a', 'b']);
    for (const f of forms.slice(1)) {
      expect([...f.names.values()]).toEqual(['a', 'b']);
      for (const [id, g] of ref.grids) {
        const other = f.grids.get(id)!;
        expect(Array.from(other.channels.bg_mM)).toEqual(Array.from(g.channels.bg_mM));
        expect(Array.from(other.channels.iob)).toEqual(Array.from(g.channels.iob));
      }
      expect(f.split).toEqual(ref.split);
    }
    const g = ref.grids.get(1)!;
    expect(g.absent).not.toContain('iob');
    expect(Math.max(...g.channels.iob)).toBeGreaterThan(1);
    expect(Math.max(...g.channels.cob)).toBeGreaterThan(10);
  });

  it('refuses a combined table without p_num and unreadable dates', () => {
    expect(() => prepareData([{ datetime: '2024-02-01T00:00:00Z', bg_mM: 5 }])).toThrow(/p_num/);
    expect(() => prepareData({ a: [{ datetime: 'yesterday', bg_mM: 5 }] })).toThrow(/not a date/);
    expect(() => prepareData('some-dataset')).toThrow(/store/);
  });
});
