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
 * The only pages the app hands to the system browser: IBM's TinyTimeMixer pages on Hugging Face
 * (model cards, the Help menu) and the granite-tsfm repository (the reference implementation and
 * its documentation). Anything else — other https sites, http, file:, custom schemes — is dropped,
 * so a link in imported data or a compromised renderer cannot launch arbitrary URLs.
 */
export const EXTERNAL_URL_ALLOW_LIST: readonly { readonly host: string; readonly pathPrefix: string }[] = [
  { host: 'huggingface.co', pathPrefix: '/ibm-granite/' },
  { host: 'github.com', pathPrefix: '/ibm-granite/granite-tsfm' },
];

/** https, no credentials or port, an allow-listed host and path (after URL normalisation). */
export function externalUrlAllowed(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'https:' || u.username !== '' || u.password !== '' || u.port !== '') return false;
  return EXTERNAL_URL_ALLOW_LIST.some(
    (a) =>
      u.hostname === a.host &&
      (u.pathname.startsWith(a.pathPrefix.endsWith('/') ? a.pathPrefix : `${a.pathPrefix}/`) || u.pathname === a.pathPrefix.replace(/\/$/, '')),
  );
}

/**
 * New windows are always denied; allow-listed https pages (model cards, granite-tsfm docs) are
 * handed to the system browser instead, anything else is dropped.
 */
export function windowOpenDecision(url: string): { action: 'deny'; openExternally: boolean } {
  return { action: 'deny', openExternally: externalUrlAllowed(url) };
}

/** The app needs no camera, microphone, notifications, geolocation, MIDI…: deny every permission. */
export function permissionAllowed(_permission: string): boolean {
  return false;
}

/** Only the top frame of our own renderer may call the API over IPC. */
export function ipcSenderAllowed(frameUrl: string | undefined, isMainFrame: boolean): boolean {
  return isMainFrame && frameUrl !== undefined && isAppUrl(frameUrl);
}
