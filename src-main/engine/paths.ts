import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const APP_NAME = 'TTM Studio';

/**
 * The per-user data directory, the same one Electron's app.getPath('userData') gives for
 * this app, so the CLI, the web host and the desktop app share one store by default.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_NAME);
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_NAME);
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), APP_NAME);
}

/** --data-dir beats TTM_STUDIO_DATA_DIR beats the default. */
export function resolveDataDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = explicit ?? env.TTM_STUDIO_DATA_DIR;
  return chosen !== undefined && chosen !== '' ? resolve(chosen) : defaultDataDir(env);
}

/** Where things live inside a data directory. */
export function dataDirLayout(dataDir: string) {
  return {
    root: dataDir,
    database: join(dataDir, 'studio.sqlite'),
    models: join(dataDir, 'models'),
    hubCache: join(dataDir, 'models', 'hub'),
    runs: join(dataDir, 'runs'),
    logs: join(dataDir, 'logs'),
    uploads: join(dataDir, 'uploads'),
    reports: join(dataDir, 'reports'),
    clusterJobs: join(dataDir, 'cluster-jobs'),
  } as const;
}
export type DataDirLayout = ReturnType<typeof dataDirLayout>;
