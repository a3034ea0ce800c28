import { describe, expect, it } from 'vitest';
import {
  APP_ENTRY_URL,
  ipcSenderAllowed,
  isAppUrl,
  mainWindowOptions,
  navigationAllowed,
  permissionAllowed,
  rendererContentSecurityPolicy,
  windowOpenDecision,
  externalUrlAllowed,
  EXTERNAL_URL_ALLOW_LIST,
} from '../../../src-main/app/window-policy.js';

describe('Electron window policy', () => {
  it('locks the renderer down: isolation, sandbox, no Node, web security on', () => {
    const o = mainWindowOptions('/x/preload.cjs', { width: 1000, height: 700 });
    expect(o.webPreferences).toMatchObject({
      preload: '/x/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
    });
    expect(o.x).toBeUndefined();
    expect(mainWindowOptions('/p', { x: 10, y: 20, width: 900, height: 600 })).toMatchObject({ x: 10, y: 20 });
  });

  it('has a strict CSP: only self scripts, no inline, no eval, no objects, no framing', () => {
    const csp = rendererContentSecurityPolicy();
    const directives = Object.fromEntries(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([k, ...v]) => [k, v]),
    );
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(directives['object-src']).toEqual(["'none'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });

  it('allows navigation only inside app://studio', () => {
    expect(isAppUrl(APP_ENTRY_URL)).toBe(true);
    expect(navigationAllowed('app://studio/index.html#/train')).toBe(true);
    for (const url of ['https://example.com/', 'file:///etc/passwd', 'app://other/index.html', 'http://127.0.0.1:3000/', 'javascript:alert(1)', 'not a url']) {
      expect(navigationAllowed(url)).toBe(false);
    }
  });

  it('denies every new window; hands https links to the system browser only', () => {
    expect(windowOpenDecision('https://huggingface.co/ibm-granite/granite-timeseries-ttm-r2')).toEqual({ action: 'deny', openExternally: true });
    expect(windowOpenDecision('https://evil.example/')).toEqual({ action: 'deny', openExternally: false });
    expect(windowOpenDecision('http://insecure.example')).toEqual({ action: 'deny', openExternally: false });
    expect(windowOpenDecision('file:///etc/passwd')).toEqual({ action: 'deny', openExternally: false });
    expect(windowOpenDecision('smb://share/x')).toEqual({ action: 'deny', openExternally: false });
  });

  it('opens only allow-listed pages externally', () => {
    for (const ok of [
      'https://huggingface.co/ibm-granite/granite-timeseries-ttm-r2',
      'https://huggingface.co/ibm-granite/granite-timeseries-ttm-r1/blob/main/README.md',
      'https://github.com/ibm-granite/granite-tsfm',
      'https://github.com/ibm-granite/granite-tsfm/tree/main/notebooks',
    ])
      expect(externalUrlAllowed(ok), ok).toBe(true);
    for (const bad of [
      'https://huggingface.co/',
      'https://huggingface.co/ibm-granitex/model',
      'https://huggingface.co/someone/ibm-granite/x',
      'https://huggingface.co/ibm-granite/../evil/x',
      'https://huggingface.co.evil.example/ibm-granite/x',
      'https://user:pw@huggingface.co/ibm-granite/x',
      'https://huggingface.co:8443/ibm-granite/x',
      'http://huggingface.co/ibm-granite/x',
      'https://github.com/ibm-granite/granite-tsfm-evil',
      'https://github.com/evil/granite-tsfm',
      'https://evil.example/',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'not a url',
    ])
      expect(externalUrlAllowed(bad), bad).toBe(false);
    expect(EXTERNAL_URL_ALLOW_LIST.map((a) => a.host)).toEqual(['huggingface.co', 'github.com']);
  });

  it('denies permission requests and IPC from other frames', () => {
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) expect(permissionAllowed(p)).toBe(false);
    expect(ipcSenderAllowed('app://studio/index.html', true)).toBe(true);
    expect(ipcSenderAllowed('app://studio/index.html', false)).toBe(false);
    expect(ipcSenderAllowed('https://evil.example/', true)).toBe(false);
    expect(ipcSenderAllowed(undefined, true)).toBe(false);
  });
});
