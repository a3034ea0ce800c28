/**
 * Runs in the sandboxed renderer's isolated world. Exposes StudioApi (call + subscribe) on
 * window.studio, plus the path of a file the user picked for the import wizard; nothing else
 * of Node or Electron leaks through.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { METHOD_NAMES } from '../engine/api/contract.js';

const methods = new Set<string>(METHOD_NAMES);

interface Envelope {
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string; details?: Record<string, unknown> };
}

contextBridge.exposeInMainWorld('studio', {
  // Resolves to the {ok, result | error} envelope: Error objects lose their code when they
  // cross contextBridge, so the renderer's client turns an error envelope into ApiError.
  call: async (method: string, request: unknown): Promise<Envelope> => {
    if (typeof method !== 'string' || !methods.has(method)) {
      return { ok: false, error: { code: 'NOT_FOUND', message: `Unknown API method "${String(method).slice(0, 80)}".` } };
    }
    return (await ipcRenderer.invoke('studio:call', method, request)) as Envelope;
  },
  // The import wizard needs the local path of a file the user picked or dropped; Electron
  // gives it only for such File objects, so this reveals nothing the user did not choose.
  // The main process records it: imports may read only paths the user picked.
  pathForFile: async (file: unknown): Promise<string> => {
    const path = file instanceof File ? webUtils.getPathForFile(file) : '';
    if (path !== '') await ipcRenderer.invoke('studio:picked', path);
    return path;
  },
  // The native open dialog in the main process: several files, or folders.
  pickPaths: async (kind: unknown): Promise<Envelope> => (await ipcRenderer.invoke('studio:pick', kind === 'folder' ? 'folder' : 'files')) as Envelope,
  subscribe: (listener: (event: unknown) => void): (() => void) => {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    const handler = (_e: IpcRendererEvent, event: unknown): void => listener(event);
    ipcRenderer.on('studio:event', handler);
    return () => {
      ipcRenderer.removeListener('studio:event', handler);
    };
  },
});
