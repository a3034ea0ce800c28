import type { Settings } from '../../src-main/engine/api/contract';
import { api } from './api-client';
import { parseHash, type Page } from './route';

export { PAGES, PAGE_TITLES, parseHash, type Page } from './route';
export { pickId } from './selection';

/** The dataset, split and model the user works with, kept across pages (and restarts: localStorage, also in Electron). */
export interface Selection {
  dataset: number | null;
  split: number | null;
  model: number | null;
}

const SELECTION_KEY = 'ttm-studio.selection';

function loadSelection(): Selection {
  try {
    const v = JSON.parse(localStorage.getItem(SELECTION_KEY) ?? '{}') as Partial<Record<keyof Selection, unknown>>;
    const id = (x: unknown): number | null => (typeof x === 'number' && Number.isInteger(x) && x > 0 ? x : null);
    return { dataset: id(v.dataset), split: id(v.split), model: id(v.model) };
  } catch {
    return { dataset: null, split: null, model: null };
  }
}

/** App-wide reactive state: the current page (hash routing), the user's settings and current selection. */
class AppState {
  page = $state<Page>(parseHash(location.hash).page);
  /** Query parameters of the hash route (e.g. which dataset and patient a page shows). */
  params = $state<Record<string, string>>(parseHash(location.hash).params);
  settings = $state<Settings>({ glucoseUnit: 'mg/dL', threads: 2, device: 'cpu', theme: 'system' });
  error = $state<string | null>(null);
  selection = $state<Selection>(loadSelection());

  /** Remembers what a page shows, for the next page and the next start; null keeps the old value. */
  remember(patch: Partial<Selection>): void {
    const next = { ...this.selection };
    let changed = false;
    for (const k of ['dataset', 'split', 'model'] as const) {
      const v = patch[k];
      if (v !== undefined && v !== null && v !== next[k]) {
        next[k] = v;
        changed = true;
      }
    }
    if (!changed) return;
    this.selection = next;
    try {
      localStorage.setItem(SELECTION_KEY, JSON.stringify(next));
    } catch {
      /* storage unavailable: the selection lasts for this session */
    }
  }

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
