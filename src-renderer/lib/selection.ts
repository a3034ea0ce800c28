/**
 * The id to show from `list`: the first candidate that is in it (a route parameter, then the
 * remembered selection of `appState.selection`), else `fallback` (the list's first entry unless
 * a page prefers another, e.g. the newest split).
 */
export function pickId<T extends { id: number }>(
  list: readonly T[],
  candidates: readonly (number | null | undefined)[],
  fallback: T | undefined = list[0],
): number | null {
  for (const c of candidates) if (c !== null && c !== undefined && Number.isFinite(c) && list.some((x) => x.id === c)) return c;
  return fallback?.id ?? null;
}
