import type { Command } from 'commander';
import { contextFrom } from '../context.js';

export function register(program: Command): void {
  program
    .command('info')
    .description('Versions, data directory and the onnxruntime execution providers available')
    .action(async (_opts, command: Command) => {
      const ctx = contextFrom(command);
      const info = await ctx.withService((s) => s.invoke('app.info', {}));
      ctx.out.result(info, () =>
        [
          `${info.app.name} ${info.app.version}`,
          `node ${info.node}${info.electron !== null ? `, electron ${info.electron}` : ''}, ${info.platform}/${info.arch}, ${info.cpus} CPUs`,
          `onnxruntime ${info.onnxruntime.version}: ` +
            info.onnxruntime.providers.map((p) => `${p.name} ${p.available ? 'available' : 'not available'}`).join(', '),
          ...info.onnxruntime.providers.filter((p) => p.note !== undefined && !p.available).map((p) => `  ${p.name}: ${p.note}`),
          `sqlite ${info.sqlite}, schema version ${info.schemaVersion}`,
          `data directory ${info.dataDir}`,
        ].join('\n'),
      );
    });
}
