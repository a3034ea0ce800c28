/**
 * Electron main process: single instance, the StudioService, the privileged app:// scheme
 * serving the renderer with its CSP, one locked-down window, IPC transport.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, shell, utilityProcess } from 'electron';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StudioService } from '../engine/api/service.js';
import { prepareDataDir } from '../engine/first-start.js';
import { utilityProcessSpawn } from '../engine/jobs/host.js';
import { createLogger } from '../engine/logger.js';
import { dataDirLayout, resolveDataDir } from '../engine/paths.js';
import { registerIpc } from './ipc.js';
import { PickedPaths } from './picked-paths.js';
import { buildMenu } from './menu.js';
import { loadWindowBounds, saveWindowBounds } from './window-state.js';
import {
  APP_ENTRY_URL,
  APP_HOST,
  APP_SCHEME,
  mainWindowOptions,
  navigationAllowed,
  permissionAllowed,
  rendererContentSecurityPolicy,
  windowOpenDecision,
} from './window-policy.js';

const RENDERER_DIR = fileURLToPath(new URL('../../renderer/', import.meta.url));
const PRELOAD = fileURLToPath(new URL('./preload.cjs', import.meta.url));
const MIME: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void start();
}

async function start(): Promise<void> {
  await app.whenReady();
  const dataDir = resolveDataDir(undefined);
  const layout = dataDirLayout(dataDir);
  const logger = createLogger({ logsDir: layout.logs });
  let service: StudioService;
  try {
    service = new StudioService({
      dataDir,
      logger,
      electronVersion: process.versions.electron ?? null,
      // Training, prediction and evaluation run in an Electron utility process, never on the main thread.
      spawnWorker: utilityProcessSpawn((script) => utilityProcess.fork(script, [], { serviceName: 'TTM Studio worker', stdio: 'inherit' })),
    });
  } catch (e) {
    dialog.showErrorBox('TTM Studio cannot open its data', e instanceof Error ? e.message : String(e));
    app.exit(1);
    return;
  }

  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== APP_HOST) return new Response('Not found', { status: 404 });
    const rel = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '') || 'index.html';
    const file = join(RENDERER_DIR, rel);
    if (!file.startsWith(RENDERER_DIR.endsWith(sep) ? RENDERER_DIR : RENDERER_DIR + sep)) return new Response('Not found', { status: 404 });
    try {
      const body = await readFile(file);
      return new Response(body, {
        headers: {
          'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
          'Content-Security-Policy': rendererContentSecurityPolicy(),
          'X-Content-Type-Options': 'nosniff',
        },
      });
    } catch {
      return new Response('Not found', { status: 404 });
    }
  });

  session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) => callback(permissionAllowed(permission)));
  session.defaultSession.setPermissionCheckHandler((_wc, permission) => permissionAllowed(permission));

  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!navigationAllowed(url)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!navigationAllowed(url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      const decision = windowOpenDecision(url);
      if (decision.openExternally) void shell.openExternal(url);
      return { action: decision.action };
    });
  });

  const stateFile = join(app.getPath('userData'), 'window-state.json');
  const bounds = loadWindowBounds(stateFile);
  const win = new BrowserWindow(mainWindowOptions(PRELOAD, bounds));
  if (bounds.maximized === true) win.maximize();
  win.once('ready-to-show', () => win.show());
  win.on('close', () => saveWindowBounds(stateFile, { ...win.getNormalBounds(), maximized: win.isMaximized() }));

  const unregister = registerIpc(ipcMain, service, () => BrowserWindow.getAllWindows().map((w) => w.webContents), {
    picked: new PickedPaths(),
    // The native open dialog: several files, or folders (a Nightscout or Glucose-ML export).
    showOpenDialog: async (sender, kind) => {
      const owner = BrowserWindow.fromWebContents(sender) ?? win;
      const r = await dialog.showOpenDialog(owner, {
        title: kind === 'folder' ? 'Import folders' : 'Import files',
        properties: kind === 'folder' ? ['openDirectory', 'multiSelections'] : ['openFile', 'multiSelections'],
        ...(kind === 'files'
          ? {
              filters: [
                { name: 'CGM exports', extensions: ['csv', 'tsv', 'txt', 'json', 'xml'] },
                { name: 'All files', extensions: ['*'] },
              ],
            }
          : {}),
      });
      return r.canceled ? [] : r.filePaths;
    },
  });
  Menu.setApplicationMenu(buildMenu({ dataDir, isMac: process.platform === 'darwin', navigate: (hash) => void win.loadURL(APP_ENTRY_URL + hash) }));
  await win.loadURL(APP_ENTRY_URL);
  // After the window shows: the Data page refreshes itself when the demo cohort lands.
  prepareDataDir(service, { demo: true }).catch((e: unknown) =>
    logger.error('first start preparation failed', { message: e instanceof Error ? e.message : String(e) }),
  );

  app.on('second-instance', () => {
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('window-all-closed', () => app.quit());
  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting) return;
    // A running training is cancelled after its current step and checkpointed (resumable)
    // before the store closes; a worker that does not stop in time is killed.
    event.preventDefault();
    quitting = true;
    unregister();
    service.training
      .shutdown(10_000)
      .catch((e: unknown) => logger.error('worker shutdown failed', { message: e instanceof Error ? e.message : String(e) }))
      .finally(() => {
        service.close();
        app.quit();
      });
  });
}
