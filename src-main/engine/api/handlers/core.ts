import { cancelledError, StudioError } from '../../errors.js';
import { readSchemaVersion, sqliteVersion } from '../../store/index.js';
import { appVersion, cpuCount, executionProviders, onnxruntimeVersion } from '../../system.js';
import { SettingsSchema, type Settings } from '../contract.js';
import type { CallContext, Handlers } from './context.js';

function defaultSettings(): Settings {
  return { glucoseUnit: 'mg/dL', threads: Math.min(cpuCount(), 8), device: 'cpu', theme: 'system' };
}

export function readSettings(ctx: Pick<CallContext, 'store'>): Settings {
  const stored = ctx.store.settings.all();
  const merged = { ...defaultSettings(), ...stored };
  const parsed = SettingsSchema.safeParse(merged);
  // A hand-edited or older settings row must not lock the user out: fall back per field.
  if (parsed.success) return parsed.data;
  const out = defaultSettings();
  for (const key of Object.keys(out) as (keyof Settings)[]) {
    const one = SettingsSchema.shape[key].safeParse(stored[key]);
    if (one.success) (out as Record<string, unknown>)[key] = one.data;
  }
  return out;
}

export const coreHandlers = {
  'app.info': (_req, ctx) => {
    return {
      app: { name: 'TTM Studio', version: appVersion() },
      node: process.versions.node,
      electron: ctx.electronVersion,
      platform: process.platform,
      arch: process.arch,
      cpus: cpuCount(),
      onnxruntime: { version: onnxruntimeVersion(), providers: executionProviders() },
      sqlite: sqliteVersion(),
      dataDir: ctx.layout.root,
      databaseFile: ctx.layout.database,
      schemaVersion: readSchemaVersion(ctx.store.db),
    };
  },
  'settings.get': (_req, ctx) => readSettings(ctx),
  'settings.update': (req, ctx) => {
    if (req.threads !== undefined && req.threads > cpuCount() * 4) {
      throw new StudioError('INVALID_INPUT', `threads = ${req.threads} is more than 4× this machine's ${cpuCount()} CPUs; choose 1–${cpuCount()}.`);
    }
    ctx.store.transaction(() => {
      for (const [k, v] of Object.entries(req)) if (v !== undefined) ctx.store.settings.set(k, v);
    });
    ctx.emit({ type: 'data.changed', what: 'settings' });
    return readSettings(ctx);
  },
  'operations.cancel': (req, ctx) => ({ cancelled: ctx.operations.cancel(req.operationId, cancelledError('Operation')) }),
} satisfies Partial<Handlers>;
