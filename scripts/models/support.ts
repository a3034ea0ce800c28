/** What the model-training scripts share: the repository root, progress lines, formatted output. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiEvent } from '../../src-main/engine/api/contract.js';
import { StudioService } from '../../src-main/engine/api/service.js';
import { createLogger } from '../../src-main/engine/logger.js';

/** The repository root (build/scripts/models/… at run time, scripts/models/… in the sources). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'resources'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

/** Logs a training run's progress at most every `everyMs` (and its last step). */
export function logRunProgress(service: StudioService, log: (msg: string) => void, everyMs: number): void {
  let last = 0;
  service.subscribe((e: ApiEvent) => {
    if (e.type !== 'run' || e.step === undefined) return;
    const now = Date.now();
    if (now - last < everyMs && e.step !== e.totalSteps) return;
    last = now;
    const loss = e.trainLoss !== undefined && Number.isFinite(e.trainLoss) ? e.trainLoss.toFixed(4) : '—';
    const val = e.validLoss !== undefined && e.validLoss !== null ? ` val ${e.validLoss.toFixed(4)}` : '';
    log(`run ${e.runId} step ${e.step}/${e.totalSteps ?? '?'} loss ${loss}${val} ${e.samplesPerSecond?.toFixed(0) ?? '—'} samples/s`);
  });
}

/**
 * The scripts' working store: `keepData` (kept between runs, so a recipe's data is imported once)
 * or a fresh temporary folder, with training progress logged every `everyMs`.
 */
export function scriptService(
  keepData: string | undefined,
  tmpPrefix: string,
  log: (msg: string) => void,
  everyMs: number,
): { service: StudioService; dataDir: string } {
  const dataDir = keepData !== undefined ? resolve(keepData) : mkdtempSync(join(tmpdir(), tmpPrefix));
  mkdirSync(dataDir, { recursive: true });
  const service = new StudioService({ dataDir, logger: createLogger({ logsDir: join(dataDir, 'logs') }) });
  logRunProgress(service, log, everyMs);
  return { service, dataDir };
}

/**
 * Formats the text files of a model directory like `npx prettier --write` would, so a fresh run
 * commits cleanly (CI checks formatting; config.json stays the same JSON, only re-wrapped).
 */
export async function prettifyModelDir(dir: string): Promise<void> {
  const prettier = await import('prettier');
  for (const f of ['config.json', 'training-summary.json', 'MODEL_CARD.md']) {
    const file = join(dir, f);
    if (!existsSync(file)) continue;
    const options = (await prettier.resolveConfig(file)) ?? {};
    writeFileSync(file, await prettier.format(readFileSync(file, 'utf8'), { ...options, filepath: file }));
  }
}
