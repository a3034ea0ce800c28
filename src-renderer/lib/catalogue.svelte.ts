import type { ApiResponse, StudioApi } from '../../src-main/engine/api/contract';
import { api } from './api-client';
import { pickId } from './selection';

export type DatasetSummary = ApiResponse<'datasets.list'>[number];
export type ModelSummary = ApiResponse<'models.list'>[number];
export type SplitSummary = ApiResponse<'splits.list'>[number];

/**
 * The datasets, splits and models the pages list, held once for the whole app: a page opens
 * on what the last page loaded instead of an empty list, and every page shows the same state.
 * Each `load*` asks the host again (pages call them on mount and on `data.changed`); an
 * answer that arrives after a newer one is dropped, so a slow reply cannot bring back a
 * deleted dataset.
 */
export class Catalogue {
  datasets = $state<DatasetSummary[]>([]);
  models = $state<ModelSummary[]>([]);
  /** False until the first answer: pages tell "loading" from "none". */
  datasetsLoaded = $state(false);
  modelsLoaded = $state(false);
  /** Splits per dataset id, as last loaded. */
  splits = $state<Record<number, SplitSummary[]>>({});
  /** Requests made per key (bookkeeping, not shown: deliberately not reactive). */
  #asked: Record<string, number> = {};
  readonly #api: StudioApi;

  constructor(studio: StudioApi) {
    this.#api = studio;
  }

  /** Runs `fetch` and passes its answer on only while no later request for `key` has been made. */
  async #latest<T>(key: string, fetch: () => Promise<T>, keep: (v: T) => void): Promise<T> {
    const n = (this.#asked[key] ?? 0) + 1;
    this.#asked[key] = n;
    const v = await fetch();
    if (this.#asked[key] === n) keep(v);
    return v;
  }

  loadDatasets(): Promise<DatasetSummary[]> {
    return this.#latest(
      'datasets',
      () => this.#api.call('datasets.list', {}),
      (v) => {
        this.datasets = v;
        this.datasetsLoaded = true;
        // splits of deleted datasets are no longer offered
        const listed = (k: string): boolean => v.some((d) => d.id === Number(k));
        if (!Object.keys(this.splits).every(listed)) this.splits = Object.fromEntries(Object.entries(this.splits).filter(([k]) => listed(k)));
      },
    );
  }

  loadModels(): Promise<ModelSummary[]> {
    return this.#latest(
      'models',
      () => this.#api.call('models.list', {}),
      (v) => {
        this.models = v;
        this.modelsLoaded = true;
      },
    );
  }

  loadSplits(dataset: number): Promise<SplitSummary[]> {
    return this.#latest(
      `splits:${dataset}`,
      () => this.#api.call('splits.list', { dataset }),
      (v) => (this.splits = { ...this.splits, [dataset]: v }),
    );
  }

  /**
   * The user's last dataset (the route's first), split and model, picked at once from what
   * other pages loaded, so a page opens on them instead of a blank or "No split yet" select
   * while it asks for the lists again (its loads keep or correct the choice). Null where the
   * catalogue has nothing yet; no model unless the user chose one.
   */
  lastChoice(
    sel: { dataset: number | null; split: number | null; model: number | null },
    routeDataset?: number,
  ): { dataset: number | null; split: number | null; model: number | null } {
    // a dataset the route names but the catalogue does not know yet (e.g. imported by the CLI
    // meanwhile): leave the choice to the page's load, which has the fresh list
    const routed = routeDataset !== undefined && Number.isInteger(routeDataset) && routeDataset > 0;
    const known = !routed || this.datasets.some((d) => d.id === routeDataset);
    const dataset = this.datasetsLoaded && known ? pickId(this.datasets, [routeDataset, sel.dataset]) : null;
    const splits = this.splitsOf(dataset);
    return {
      dataset,
      split: pickId(splits, [sel.split], splits.at(-1)),
      model: this.models.some((m) => m.id === sel.model) ? sel.model : null,
    };
  }

  /** The splits of `dataset` as last loaded (empty before the first load). */
  splitsOf(dataset: number | null): SplitSummary[] {
    return dataset === null ? [] : (this.splits[dataset] ?? []);
  }
}

export const catalogue = new Catalogue(api);
