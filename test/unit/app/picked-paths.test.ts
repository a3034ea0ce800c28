/**
 * The desktop window's import allow-list (no Electron binary here: the logic module and the IPC
 * wiring with a stand-in ipcMain): imports read only files and folders the user picked since
 * the app started, in the native dialog or by choosing / dropping a file into the window.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { registerIpc } from '../../../src-main/app/ipc.js';
import { checkPickedPaths, PickedPaths } from '../../../src-main/app/picked-paths.js';
import { APP_ENTRY_URL } from '../../../src-main/app/window-policy.js';
import type { StudioService } from '../../../src-main/engine/api/service.js';
import { tempDir } from '../../helpers/tmp.js';

let tmp: { dir: string; cleanup: () => void };
let exportDir: string;
let single: string;
let secret: string;

beforeAll(() => {
  tmp = tempDir();
  exportDir = join(tmp.dir, 'nightscout-export');
  mkdirSync(join(exportDir, 'sub'), { recursive: true });
  writeFileSync(join(exportDir, 'entries.json'), '[]');
  writeFileSync(join(exportDir, 'sub', 'treatments.json'), '[]');
  single = join(tmp.dir, 'clarity.csv');
  writeFileSync(single, 'x');
  mkdirSync(join(tmp.dir, 'private'));
  secret = join(tmp.dir, 'private', 'id_rsa');
  writeFileSync(secret, 'secret');
  // A link inside the picked folder that points out of it.
  symlinkSync(secret, join(exportDir, 'link-out'));
});
afterAll(() => tmp.cleanup());

describe('picked paths', () => {
  it('allows a picked file itself, everything in a picked folder, and nothing else', () => {
    const picked = new PickedPaths();
    expect(picked.allows(single)).toBe(false);
    expect(picked.add([single, exportDir, join(tmp.dir, 'missing.csv')])).toEqual([single, exportDir]);
    expect(picked.size).toBe(2);
    expect(picked.allows(single)).toBe(true);
    expect(picked.allows(join(tmp.dir, '.', 'clarity.csv'))).toBe(true);
    expect(picked.allows(exportDir)).toBe(true);
    expect(picked.allows(join(exportDir, 'sub', 'treatments.json'))).toBe(true);
    // Not picked: a sibling, the parent folder, a path climbing out, a link pointing out.
    expect(picked.allows(secret)).toBe(false);
    expect(picked.allows(tmp.dir)).toBe(false);
    expect(picked.allows(join(exportDir, '..', 'private', 'id_rsa'))).toBe(false);
    expect(picked.allows(join(exportDir, 'link-out'))).toBe(false);
    // A picked file allows no neighbour that shares its name as a prefix.
    expect(picked.allows(`${single}.bak`)).toBe(false);
    expect(picked.allows('')).toBe(false);
  });

  it('checks the paths of detect, preview and import only', () => {
    const picked = new PickedPaths();
    picked.add([exportDir]);
    expect(() => checkPickedPaths('datasets.detect', { paths: [join(exportDir, 'entries.json')] }, picked)).not.toThrow();
    expect(() => checkPickedPaths('datasets.import', { paths: [exportDir], dataset: 'x' }, picked)).not.toThrow();
    for (const [method, payload] of [
      ['datasets.detect', { paths: [join(exportDir, 'entries.json'), secret] }],
      ['datasets.preview', { path: secret }],
      ['datasets.import', { paths: ['/etc/passwd'], dataset: 'x' }],
    ] as const) {
      expect(() => checkPickedPaths(method, payload, picked)).toThrow(expect.objectContaining({ code: 'UNAUTHORIZED' }));
    }
    // Other methods and malformed payloads are left to their own checks.
    expect(() => checkPickedPaths('datasets.list', { paths: [secret] }, picked)).not.toThrow();
    expect(() => checkPickedPaths('datasets.preview', null, picked)).not.toThrow();
  });
});

describe('the desktop IPC with the allow-list', () => {
  type Handler = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;
  const handlers = new Map<string, Handler>();
  const ipcMain = {
    handle: (name: string, fn: Handler) => handlers.set(name, fn),
    removeHandler: (name: string) => handlers.delete(name),
  } as unknown as IpcMain;
  const calls: [string, unknown][] = [];
  const service = {
    call: (method: string, payload: unknown) => {
      calls.push([method, payload]);
      return Promise.resolve({ detected: true });
    },
    subscribe: () => () => undefined,
  } as unknown as StudioService;
  const frame = { url: APP_ENTRY_URL } as { url: string; top?: unknown };
  frame.top = frame;
  const event = { senderFrame: frame, sender: {} } as unknown as IpcMainInvokeEvent;
  const foreign = { senderFrame: { url: 'https://evil.example/', top: null }, sender: {} } as unknown as IpcMainInvokeEvent;
  let dialogAnswer: string[] = [];
  const invoke = (name: string, e: IpcMainInvokeEvent, ...args: unknown[]) =>
    Promise.resolve(handlers.get(name)!(e, ...args)) as Promise<{ ok: boolean; result?: unknown; error?: { code: string } }>;

  beforeAll(() => {
    registerIpc(ipcMain, service, () => [] as WebContents[], { showOpenDialog: () => Promise.resolve(dialogAnswer) });
  });

  it('refuses an import of a path nobody picked, then accepts it once picked in the dialog', async () => {
    const before = await invoke('studio:call', event, 'datasets.detect', { paths: [single] });
    expect(before).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(calls).toEqual([]);
    dialogAnswer = [single];
    expect(await invoke('studio:pick', event, 'files')).toEqual({ ok: true, result: [single] });
    expect(await invoke('studio:call', event, 'datasets.detect', { paths: [single] })).toEqual({ ok: true, result: { detected: true } });
    expect(calls).toEqual([['datasets.detect', { paths: [single] }]]);
    // A cancelled dialog picks nothing.
    dialogAnswer = [];
    expect(await invoke('studio:pick', event, 'folder')).toEqual({ ok: true, result: [] });
  });

  it('a file chosen or dropped in the window is recorded by the preload; other frames cannot record or pick', async () => {
    expect(await invoke('studio:picked', foreign, secret)).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(await invoke('studio:pick', foreign, 'files')).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(await invoke('studio:call', event, 'datasets.preview', { path: secret })).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    const dropped = join(exportDir, 'entries.json');
    expect(await invoke('studio:picked', event, dropped)).toEqual({ ok: true, result: [dropped] });
    expect(await invoke('studio:call', event, 'datasets.preview', { path: dropped })).toMatchObject({ ok: true });
  });
});
