import type { Settings } from '../../src-main/engine/api/contract';
import { api } from './api-client';

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

function pageFromHash(): Page {
  const h = location.hash.replace(/^#\/?/, '');
  return (PAGES as readonly string[]).includes(h) ? (h as Page) : 'data';
}

/** App-wide reactive state: the current page (hash routing) and the user's settings. */
class AppState {
  page = $state<Page>(pageFromHash());
  settings = $state<Settings>({ glucoseUnit: 'mg/dL', threads: 2, device: 'cpu', theme: 'system' });
  error = $state<string | null>(null);

  constructor() {
    window.addEventListener('hashchange', () => {
      this.page = pageFromHash();
    });
  }

  go(page: Page): void {
    location.hash = `#/${page}`;
  }

  async loadSettings(): Promise<void> {
    this.settings = await api.call('settings.get', {});
  }

  async updateSettings(patch: Partial<Settings>): Promise<void> {
    this.settings = await api.call('settings.update', patch);
  }
}

export const appState = new AppState();
