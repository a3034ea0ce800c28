import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Structured log: one JSON object per line in <logsDir>/studio.log, and optionally a
 * short human line on stderr (the CLI's verbose mode).
 */
export function createLogger(options: { logsDir?: string; stderr?: boolean; level?: LogLevel } = {}): Logger {
  const min = ORDER[options.level ?? 'info'];
  let file: string | null = null;
  if (options.logsDir !== undefined) {
    try {
      mkdirSync(options.logsDir, { recursive: true });
      file = join(options.logsDir, 'studio.log');
    } catch {
      file = null;
    }
  }
  const write = (level: LogLevel, message: string, fields?: Record<string, unknown>): void => {
    if (ORDER[level] < min) return;
    const entry = { time: new Date().toISOString(), level, message, ...fields };
    if (file !== null) {
      try {
        appendFileSync(file, JSON.stringify(entry) + '\n');
      } catch {
        file = null; // a read-only or vanished log dir must not break the app
      }
    }
    if (options.stderr === true) process.stderr.write(`[${level}] ${message}\n`);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
