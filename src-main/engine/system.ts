import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

export interface ProviderInfo {
  name: string;
  available: boolean;
  note?: string;
}

function packageVersion(name: string): string {
  try {
    const pkgFile = require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(pkgFile, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

let cachedVersion: string | null = null;

/**
 * The app's version from its package.json, found by walking up from this file: the same code
 * runs from src-main/ (tests), build/src-main/ (CLI) and inside an asar archive (desktop app).
 */
export function appVersion(): string {
  if (cachedVersion !== null) return cachedVersion;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'ttm-studio' && typeof pkg.version === 'string') return (cachedVersion = pkg.version);
    }
    const parent = dirname(dir);
    if (parent === dir) return (cachedVersion = 'unknown');
    dir = parent;
  }
}

export function onnxruntimeVersion(): string {
  return packageVersion('onnxruntime-node');
}

/**
 * Execution providers this installation can use. CPU is always there; CUDA needs the
 * provider library next to onnxruntime's own (installed with ONNXRUNTIME_NODE_INSTALL=cuda12)
 * and NVIDIA's CUDA 12 + cuDNN 9 runtime on the system.
 */
export function executionProviders(): ProviderInfo[] {
  const out: ProviderInfo[] = [{ name: 'cpu', available: true }];
  let binDir: string | null = null;
  try {
    binDir = join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    binDir = null;
  }
  const cudaLib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  const hasCuda = binDir !== null && existsSync(join(binDir, cudaLib));
  out.push(
    hasCuda
      ? { name: 'cuda', available: true, note: 'CUDA provider library installed; needs an NVIDIA driver with CUDA 12 and cuDNN 9 at run time.' }
      : { name: 'cuda', available: false, note: 'CUDA provider not installed (reinstall with ONNXRUNTIME_NODE_INSTALL=cuda12, see README "GPU").' },
  );
  return out;
}

export function cpuCount(): number {
  return Math.max(1, cpus().length);
}
