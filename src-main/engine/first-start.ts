/**
 * What the app does when it opens a data directory: register the models shipped in models/
 * (every start, so an update's new model appears), and on the very first start of an empty
 * data directory create the demo cohort, so the app opens on something real to look at.
 */
import type { StudioService } from './api/service.js';
import { registerBundledModels } from './ttm/bundled-models.js';

// The CLI, the bench and tests reach the bundled models through this module.
export { DEFAULT_BUNDLED_MODEL, bundledModelsDir, defaultBundledModelDir, isDefaultModel, registerBundledModels } from './ttm/bundled-models.js';

const FIRST_START_KEY = 'app.firstStartDone';

export interface FirstStartResult {
  bundledModels: string[];
  demoCreated: boolean;
}

export async function prepareDataDir(service: StudioService, options: { demo: boolean }): Promise<FirstStartResult> {
  const bundledModels = registerBundledModels(service.store);
  let demoCreated = false;
  const firstStart = service.store.settings.getRaw(FIRST_START_KEY) !== true;
  if (firstStart) {
    if (options.demo && service.store.datasets.list().length === 0) {
      const res = await service.invoke('datasets.ensureDemo', {});
      demoCreated = res.created;
    }
    service.store.settings.set(FIRST_START_KEY, true);
  }
  if (bundledModels.length > 0) service.emit({ type: 'data.changed', what: 'models' });
  return { bundledModels, demoCreated };
}
