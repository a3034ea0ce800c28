import { describe, expect, it } from 'vitest';
import { pickId } from '../../../src-renderer/lib/selection.js';

describe('the current selection across pages', () => {
  const list = [{ id: 3 }, { id: 5 }, { id: 9 }];
  it('takes the route parameter, then the remembered id, then the fallback', () => {
    expect(pickId(list, [9, 5])).toBe(9);
    expect(pickId(list, [Number.NaN, 5])).toBe(5);
    // A remembered dataset that was deleted falls back to the list's first entry…
    expect(pickId(list, [undefined, 42])).toBe(3);
    // …or to the page's own preference (the newest split).
    expect(pickId(list, [null], list[2])).toBe(9);
    expect(pickId([], [5])).toBeNull();
  });
});
