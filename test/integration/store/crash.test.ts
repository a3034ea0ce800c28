import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Store } from '../../../src-main/engine/store/index.js';
import { tempDir } from '../../helpers/tmp.js';

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

it('a process killed in the middle of a large write leaves a clean database without any of that write', async () => {
  const file = join(tmp.dir, 'crash.sqlite');
  const child = spawn(process.execPath, [new URL('./crash-writer.mjs', import.meta.url).pathname, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('MID')) {
        // the WAL now holds uncommitted pages of the big transaction
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('exit', (code, signal) => {
      if (!out.includes('MID')) reject(new Error(`writer exited early (code ${code}, signal ${signal}): ${out}`));
    });
  });
  await new Promise((r) => child.once('exit', r));
  expect(child.signalCode).toBe('SIGKILL');
  expect(existsSync(file + '-wal')).toBe(true);
  expect(statSync(file + '-wal').size + statSync(file).size).toBeGreaterThan(1_000_000);

  const store = Store.open(file);
  expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
  expect(store.db.pragma('foreign_key_check')).toEqual([]);
  const d = store.datasets.findByName('crash');
  expect(d).toBeDefined();
  expect(store.readings.countForDataset(d!.id)).toBe(1000);
  store.close();
});
