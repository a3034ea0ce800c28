import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import type { ApiEvent } from '../engine/api/contract.js';
import type { StudioService } from '../engine/api/service.js';
import { renderError } from '../engine/errors.js';
import { ipcSenderAllowed } from './window-policy.js';

/**
 * The Electron transport: one invoke channel for every StudioApi call and one event channel.
 * The sender frame must be our renderer's top frame; the service validates every payload.
 */
export function registerIpc(ipcMain: IpcMain, service: StudioService, targets: () => WebContents[]): () => void {
  ipcMain.handle('studio:call', async (event: IpcMainInvokeEvent, method: unknown, payload: unknown) => {
    const frame = event.senderFrame;
    if (frame === null || !ipcSenderAllowed(frame.url, frame === frame.top)) {
      return { ok: false, error: { code: 'UNAUTHORIZED', message: 'IPC call from an unexpected frame was refused.' } };
    }
    try {
      return { ok: true, result: await service.call(String(method), payload) };
    } catch (e) {
      // One line, control characters escaped, excerpts capped (as the CLI and the web host show it).
      return { ok: false, error: renderError(e) };
    }
  });
  const unsubscribe = service.subscribe((event: ApiEvent) => {
    for (const wc of targets()) if (!wc.isDestroyed()) wc.send('studio:event', event);
  });
  return () => {
    unsubscribe();
    ipcMain.removeHandler('studio:call');
  };
}
