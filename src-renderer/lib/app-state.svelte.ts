import type { Settings } from '../../src-main/engine/api/contract';
import { api } from './api-client';
import { parseHash, type Page } from './route';

export { PAGES, PAGE_TITLES, parseHash, type Page } from './route';

/** App-wide reactive state: the current page (hash routing) and the user's settings. */
class AppState {
  page = $state<Page>(parseHash(location.hash).page);
  /** Query parameters of the hash route (e.g. which dataset and patient a page shows). */
  params = $state<Record<string, string>>(parseHash(location.hash).params);
  settings = $state<Settings>({ glucoseUnit: 'mg/dL', threads: 2, device: 'cpu', theme: 'system' });
  error = $state<string | null>(null);

  constructor() {
    window.addEventListener('hashchange', () => {
      const { page, params } = parseHash(location.hash);
      this.page = page;
      this.params = params;
    });
  }

  go(page: Page, params: Record<string, string | number> = {}): void {
    const q = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
    location.hash = `#/${page}${q === '' ? '' : `?${q}`}`;
  }

  async loadSettings(): Promise<void> {
    this.settings = await api.call('settings.get', {});
  }

  async updateSettings(patch: Partial<Settings>): Promise<void> {
    this.settings = await api.call('settings.update', patch);
  }
}

export const appState = new AppState();
