import type { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { StudioError } from '../../engine/errors.js';
import { prepareDataDir } from '../../engine/first-start.js';
import { isLoopbackHost } from '../../server/security.js';
import { startWebHost } from '../../server/web-host.js';
import { contextFrom } from '../context.js';

export const RENDERER_DIR = fileURLToPath(new URL('../../../renderer/', import.meta.url));

export function register(program: Command): void {
  program
    .command('serve')
    .description('Start the web host: the app in a browser, over HTTP + WebSocket on 127.0.0.1 with an access token')
    .option('--port <port>', 'port to listen on (0 = any free port)', '0')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--demo', 'on the first start of an empty data directory, create the demo cohort (as the desktop app does)')
    .option('--allow-remote', 'allow binding to a non-loopback address (anyone who can reach it and has the token controls this data directory)')
    .action(async (opts: { port: string; host: string; allowRemote?: boolean; demo?: boolean }, command: Command) => {
      const ctx = contextFrom(command);
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new StudioError('INVALID_INPUT', `--port must be an integer 0–65535, not "${opts.port}".`);
      if (!isLoopbackHost(opts.host)) {
        if (opts.allowRemote !== true)
          throw new StudioError('INVALID_INPUT', `Binding to ${opts.host} exposes your data beyond this machine; pass --allow-remote to do it anyway.`);
        process.stderr.write(
          `WARNING: listening on ${opts.host}: anyone who can reach this address and has the token can read and change this data directory. Prefer an SSH tunnel to 127.0.0.1.\n`,
        );
      }
      await ctx.withService(async (service) => {
        const prepared = await prepareDataDir(service, { demo: opts.demo === true });
        if (prepared.demoCreated) ctx.out.info('Created the demo cohort (first start of this data directory).');
        const host = await startWebHost({ service, staticDir: RENDERER_DIR, host: opts.host, port, allowRemote: opts.allowRemote === true });
        ctx.out.result(
          { url: host.url, loginUrl: host.loginUrl, token: host.token, dataDir: ctx.dataDir },
          () => `TTM Studio web host: ${host.loginUrl}\n(data directory ${ctx.dataDir}; Ctrl+C to stop)`,
        );
        await new Promise<void>((resolve) => {
          const stop = (): void => {
            process.removeListener('SIGINT', stop);
            process.removeListener('SIGTERM', stop);
            resolve();
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
        await host.close();
      });
    });
}
