import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import type { ApiEvent } from '../engine/api/contract.js';
import type { StudioService } from '../engine/api/service.js';
import { renderError } from '../engine/errors.js';
import { checkPickedPaths, PickedPaths } from './picked-paths.js';
import { ipcSenderAllowed } from './window-policy.js';

export type PickKind = 'files' | 'folder';

export interface IpcOptions {
  /** Paths the user picked since the app started: the only ones imports may read. */
  picked?: PickedPaths;
  /** The native open dialog (main process) for `kind`; resolves to the chosen paths ([] when cancelled). */
  showOpenDialog?: (sender: WebContents, kind: PickKind) => Promise<string[]>;
}

/**
 * The Electron transport: one invoke channel for every StudioApi call and one event channel,
 * plus the import picks: `studio:pick` opens the native dialog, `studio:picked` records the
 * path of a file chosen or dropped in the window (sent by the preload, which alone can turn
 * such a File into its path). The sender frame must be our renderer's top frame; imports may
 * read only picked paths; the service validates every payload.
 */
export function registerIpc(ipcMain: IpcMain, service: StudioService, targets: () => WebContents[], options: IpcOptions = {}): () => void {
  const picked = options.picked ?? new PickedPaths();
  const allowed = (event: IpcMainInvokeEvent): boolean => {
    const frame = event.senderFrame;
    return frame !== null && ipcSenderAllowed(frame.url, frame === frame.top);
  };
  const refused = { ok: false, error: { code: 'UNAUTHORIZED', message: 'IPC call from an unexpected frame was refused.' } };
  ipcMain.handle('studio:call', async (event: IpcMainInvokeEvent, method: unknown, payload: unknown) => {
    if (!allowed(event)) return refused;
    try {
      checkPickedPaths(String(method), payload, picked);
      return { ok: true, result: await service.call(String(method), payload) };
    } catch (e) {
      // One line, control characters escaped, excerpts capped (as the CLI and the web host show it).
      return { ok: false, error: renderError(e) };
    }
  });
  ipcMain.handle('studio:pick', async (event: IpcMainInvokeEvent, kind: unknown) => {
    if (!allowed(event)) return refused;
    if (options.showOpenDialog === undefined) return { ok: false, error: { code: 'UNSUPPORTED', message: 'No open dialog in this window.' } };
    try {
      const chosen = await options.showOpenDialog(event.sender, kind === 'folder' ? 'folder' : 'files');
      return { ok: true, result: picked.add(chosen) };
    } catch (e) {
      return { ok: false, error: renderError(e) };
    }
  });
  ipcMain.handle('studio:picked', (event: IpcMainInvokeEvent, path: unknown) => {
    if (!allowed(event)) return refused;
    return { ok: true, result: typeof path === 'string' ? picked.add([path]) : [] };
  });
  const unsubscribe = service.subscribe((event: ApiEvent) => {
    for (const wc of targets()) if (!wc.isDestroyed()) wc.send('studio:event', event);
  });
  return () => {
    unsubscribe();
    ipcMain.removeHandler('studio:call');
    ipcMain.removeHandler('studio:pick');
    ipcMain.removeHandler('studio:picked');
  };
}
