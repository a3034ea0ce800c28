/**
 * Runs in the sandboxed renderer's isolated world. Exposes exactly StudioApi (call +
 * subscribe) on window.studio; nothing of Node or Electron leaks through.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
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
  subscribe: (listener: (event: unknown) => void): (() => void) => {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    const handler = (_e: IpcRendererEvent, event: unknown): void => listener(event);
    ipcRenderer.on('studio:event', handler);
    return () => {
      ipcRenderer.removeListener('studio:event', handler);
    };
  },
});
