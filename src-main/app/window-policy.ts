/**
 * Security policy of the desktop shell, in one place so it can be unit-tested without
 * Electron: window options, Content-Security-Policy, which URLs the renderer may be at,
 * and what happens to new windows and permission requests.
 */
import type { BrowserWindowConstructorOptions } from 'electron';

/** The renderer is served from a privileged custom scheme, never from file:// or http. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'studio';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

export function rendererContentSecurityPolicy(): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "frame-src 'none'",
    "worker-src 'self' blob:",
  ].join('; ');
}

export interface WindowBounds {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized?: boolean;
}

export function mainWindowOptions(preloadPath: string, bounds: WindowBounds): BrowserWindowConstructorOptions {
  const options: BrowserWindowConstructorOptions = {
    width: bounds.width,
    height: bounds.height,
    minWidth: 900,
    minHeight: 600,
    title: 'TTM Studio',
    show: false,
    backgroundColor: '#f7f7f5',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
    },
  };
  if (bounds.x !== undefined && bounds.y !== undefined) {
    options.x = bounds.x;
    options.y = bounds.y;
  }
  return options;
}

/** True for URLs inside the app (the only place the renderer may be). */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

/** Navigation (link clicks, location changes, drag-and-drop of URLs) is allowed only inside the app. */
export function navigationAllowed(url: string): boolean {
  return isAppUrl(url);
}

/**
 * New windows are always denied; https links (documentation, model cards) are handed to the
 * system browser instead, anything else is dropped.
 */
export function windowOpenDecision(url: string): { action: 'deny'; openExternally: boolean } {
  let external = false;
  try {
    external = new URL(url).protocol === 'https:';
  } catch {
    external = false;
  }
  return { action: 'deny', openExternally: external };
}

/** The app needs no camera, microphone, notifications, geolocation, MIDI…: deny every permission. */
export function permissionAllowed(_permission: string): boolean {
  return false;
}

/** Only the top frame of our own renderer may call the API over IPC. */
export function ipcSenderAllowed(frameUrl: string | undefined, isMainFrame: boolean): boolean {
  return isMainFrame && frameUrl !== undefined && isAppUrl(frameUrl);
}
