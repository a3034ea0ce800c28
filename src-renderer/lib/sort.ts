export interface SortState {
  key: string;
  dir: 1 | -1;
}

/** Clicking the active column flips the order; another column sorts ascending. */
export function toggleSort(s: SortState, key: string): SortState {
  return s.key === key ? { key, dir: s.dir === 1 ? -1 : 1 } : { key, dir: 1 };
}

/** Sorted copy; nulls last whatever the direction; strings compared naturally ("p2" < "p10"). */
export function sortRows<T>(rows: readonly T[], s: SortState, get: (row: T, key: string) => string | number | null): T[] {
  const coll = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
  return [...rows].sort((a, b) => {
    const x = get(a, s.key);
    const y = get(b, s.key);
    if (x === null && y === null) return 0;
    if (x === null) return 1;
    if (y === null) return -1;
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : coll.compare(String(x), String(y));
    return c * s.dir;
  });
}
