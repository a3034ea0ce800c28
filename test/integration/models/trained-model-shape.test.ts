import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioService } from '../../../src-main/engine/api/service.js';
import { createLogger } from '../../../src-main/engine/logger.js';
import { Store } from '../../../src-main/engine/store/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { fixturePath } from '../../unit/ttm/fixtures.js';

// A training run registers its model with how it was trained ({ trainingMode, freezeBackbone }),
// not its shape; models.list reads the window and channels from the model's config.json, so
// the Train page shows "tiny · 64→16 · 2 ch" and takes a trained base model's window.
let tmp: { dir: string; cleanup: () => void };
beforeAll(() => {
  tmp = tempDir('ttm-trained-shape-');
});
afterAll(() => tmp.cleanup());

describe('models.list and trained models', () => {
  it("reads a trained model's window and channels from its folder; a folder without config.json stays unknown", async () => {
    const dataDir = join(tmp.dir, 'data');
    const s = new StudioService({ dataDir, logger: createLogger({ logsDir: join(dataDir, 'logs'), level: 'error' }) });
    try {
      await s.invoke('models.list', {});
      const store = Store.open(join(dataDir, 'studio.sqlite'));
      const empty = join(tmp.dir, 'no-config');
      mkdirSync(empty);
      writeFileSync(join(empty, 'model.safetensors'), '');
      try {
        store.models.upsert({ name: 'tiny-ft', source: 'trained', path: fixturePath('tiny', '').replace(/\/$/, ''), config: { trainingMode: 'fine_tune' } });
        store.models.upsert({ name: 'lost', source: 'trained', path: empty, config: { trainingMode: 'fine_tune' } });
      } finally {
        store.close();
      }
      const list = await s.invoke('models.list', {});
      expect(list.find((m) => m.name === 'tiny-ft')).toMatchObject({ source: 'trained', contextLength: 64, forecastLength: 16, channels: 2 });
      expect(list.find((m) => m.name === 'lost')).toMatchObject({ source: 'trained', contextLength: null, forecastLength: null, channels: null });
    } finally {
      s.close();
    }
  });
});
