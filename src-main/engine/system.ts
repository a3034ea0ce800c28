import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';

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

export function appVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
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
