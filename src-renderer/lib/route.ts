/** Hash routes: `#/page?key=value` (the pages and their titles, parsing). */
export const PAGES = ['data', 'quality', 'train', 'forecast', 'evaluate', 'reports', 'settings'] as const;
export type Page = (typeof PAGES)[number];
export const PAGE_TITLES: Record<Page, string> = {
  data: 'Data',
  quality: 'Quality',
  train: 'Train',
  forecast: 'Forecast',
  evaluate: 'Evaluate',
  reports: 'Reports',
  settings: 'Settings',
};

/** `#/quality?dataset=3&patient=12` → the page and its parameters. */
export function parseHash(hash: string): { page: Page; params: Record<string, string> } {
  const h = hash.replace(/^#\/?/, '');
  const q = h.indexOf('?');
  const name = q < 0 ? h : h.slice(0, q);
  const params = Object.fromEntries(new URLSearchParams(q < 0 ? '' : h.slice(q + 1)));
  return { page: (PAGES as readonly string[]).includes(name) ? (name as Page) : 'data', params };
}
