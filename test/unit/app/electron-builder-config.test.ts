import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../helpers/tmp.js';

interface BuilderConfig {
  appId: string;
  productName: string;
  files: string[];
  asarUnpack: string[];
  extraResources: { from: string; to: string }[];
  npmRebuild: boolean;
  linux: { target: string[] };
  mac: { target: string[] };
  win: { target: string[] };
  electronFuses?: Record<string, boolean>;
}

const config = parse(readFileSync(`${REPO_ROOT}/electron-builder.yml`, 'utf8')) as BuilderConfig;
const pkg = JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, 'utf8')) as { main: string; productName: string; dependencies: Record<string, string> };

describe('electron-builder.yml', () => {
  it('targets AppImage and deb, dmg, nsis', () => {
    expect(config.linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(config.mac.target).toContain('dmg');
    expect(config.win.target).toContain('nsis');
  });

  it('keeps native modules and the onnxruntime libraries out of the asar archive and rebuilds for Electron', () => {
    expect(config.asarUnpack).toEqual(expect.arrayContaining(['**/*.node', '**/node_modules/onnxruntime-node/bin/**', '**/node_modules/better-sqlite3/**']));
    expect(config.npmRebuild).toBe(true);
    expect(Object.keys(pkg.dependencies)).toEqual(expect.arrayContaining(['better-sqlite3', 'onnxruntime-node']));
  });

  it('packages the compiled main process, preload and renderer, and ships models and the demo recipe', () => {
    expect(config.productName).toBe(pkg.productName);
    expect(config.files).toEqual(expect.arrayContaining(['package.json', 'build/src-main/**', 'build/renderer/**']));
    expect(pkg.main.startsWith('build/src-main/')).toBe(true);
    expect(config.extraResources.map((r) => r.from)).toEqual(expect.arrayContaining(['models', 'resources']));
  });

  it('sets the Electron fuses: no RunAsNode, NODE_OPTIONS or inspect; encrypted cookies; only an integrity-checked app.asar', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
    // onlyLoadAppFromAsar needs an asar archive.
    expect((config as unknown as { asar?: boolean }).asar).not.toBe(false);
  });
});
