import type { Command } from 'commander';
import { StudioService } from '../engine/api/service.js';
import { registerBundledModels } from '../engine/first-start.js';
import { createLogger } from '../engine/logger.js';
import { dataDirLayout, resolveDataDir } from '../engine/paths.js';
import { createOutput, type Output } from './output.js';

export interface GlobalOptions {
  dataDir?: string;
  json?: boolean;
  verbose?: boolean;
}

/** What a command handler gets: the resolved data dir, output helpers and a service on demand. */
export interface CliContext {
  readonly dataDir: string;
  readonly out: Output;
  /** Opens the service for the command's duration, with progress wired to stderr. */
  withService<T>(fn: (service: StudioService) => Promise<T>): Promise<T>;
}

export function contextFrom(command: Command): CliContext {
  const opts = command.optsWithGlobals<GlobalOptions>();
  const dataDir = resolveDataDir(opts.dataDir);
  const out = createOutput(opts.json === true);
  return {
    dataDir,
    out,
    async withService(fn) {
      const logger = createLogger({ logsDir: dataDirLayout(dataDir).logs, stderr: opts.verbose === true, level: opts.verbose === true ? 'debug' : 'info' });
      const service = new StudioService({ dataDir, logger });
      // Every start registers the models shipped with the app, so a fresh --data-dir has the default one.
      try {
        registerBundledModels(service.store, undefined, (name, problem) => logger.warn('bundled model skipped', { name, problem }));
      } catch (e) {
        logger.warn('bundled models not registered', { message: e instanceof Error ? e.message : String(e) });
      }
      const unsubscribe = service.subscribe((e) => out.progress(e));
      const onSigint = (): void => {
        out.info('\nCancelling… (press Ctrl+C again to force quit)');
        service.operations.cancelAll(new Error('Cancelled from the terminal (Ctrl+C).'));
        process.removeListener('SIGINT', onSigint);
      };
      process.on('SIGINT', onSigint);
      try {
        return await fn(service);
      } finally {
        process.removeListener('SIGINT', onSigint);
        out.endProgress();
        unsubscribe();
        service.close();
      }
    },
  };
}
