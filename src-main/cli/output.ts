import type { ApiEvent } from '../engine/api/contract.js';
import { escapeControlCharacters } from '../engine/errors.js';

/** Text that came from data (file names, cells, warnings) cannot drive the terminal: escapes visible, line breaks kept. */
export function terminalSafe(text: string): string {
  return text.split('\n').map(escapeControlCharacters).join('\n');
}

export interface Output {
  readonly json: boolean;
  /** The command's result: JSON on stdout with --json, otherwise `human()` lines. */
  result(value: unknown, human: () => string): void;
  /** Progress bar on stderr (human mode, TTY or not); nothing in --json mode. */
  progress(event: ApiEvent): void;
  info(line: string): void;
  endProgress(): void;
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function createOutput(json: boolean, stdout: NodeJS.WritableStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr): Output {
  let barShown = false;
  let lastLine = 0;
  const isTty = stderr.isTTY === true;
  const endProgress = (): void => {
    if (barShown && isTty) stderr.write('\n');
    barShown = false;
  };
  return {
    json,
    result(value, human) {
      endProgress();
      if (json) {
        stdout.write(JSON.stringify(value, null, 2) + '\n');
        return;
      }
      const text = terminalSafe(human());
      stdout.write(text + (text.endsWith('\n') ? '' : '\n'));
    },
    info(line) {
      if (json) return;
      endProgress();
      stderr.write(terminalSafe(line) + '\n');
    },
    progress(event) {
      if (json) return;
      let text: string;
      if (event.type === 'progress') {
        const pct = event.total !== null && event.total > 0 ? Math.min(1, event.done / event.total) : null;
        const width = 24;
        const bar = pct === null ? '' : '[' + '#'.repeat(Math.round(pct * width)).padEnd(width, '.') + '] ' + (pct * 100).toFixed(0).padStart(3) + '% ';
        const counts =
          event.total !== null
            ? `${event.done.toLocaleString('en-US')}/${event.total.toLocaleString('en-US')} ${event.unit}`
            : `${event.done.toLocaleString('en-US')} ${event.unit}`;
        const eta = event.etaMs !== null ? ` ETA ${formatDuration(event.etaMs)}` : '';
        text = `${event.label} ${bar}${counts} ${formatDuration(event.elapsedMs)}${eta}${event.message !== undefined ? ' ' + event.message : ''}`;
      } else if (event.type === 'run') {
        const parts = [`run ${event.runId} ${event.status}`];
        if (event.step !== undefined) parts.push(`step ${event.step}${event.totalSteps !== undefined ? '/' + event.totalSteps : ''}`);
        if (event.epoch !== undefined) parts.push(`epoch ${event.epoch.toFixed(2)}`);
        if (event.trainLoss !== undefined) parts.push(`loss ${event.trainLoss.toPrecision(4)}`);
        if (event.validLoss !== undefined) parts.push(`val ${event.validLoss.toPrecision(4)}`);
        if (event.samplesPerSecond !== undefined) parts.push(`${event.samplesPerSecond.toFixed(0)} samples/s`);
        if (event.etaMs !== undefined && event.etaMs !== null) parts.push(`ETA ${formatDuration(event.etaMs)}`);
        if (event.message !== undefined) parts.push(event.message);
        text = parts.join('  ');
      } else {
        return;
      }
      text = escapeControlCharacters(text);
      if (isTty) {
        stderr.write('\r\x1b[2K' + text.slice(0, (stderr.columns ?? 120) - 1));
        barShown = true;
      } else {
        // Not a terminal (CI logs, pipes): a line at most every 2 s.
        const now = Date.now();
        if (now - lastLine < 2000) return;
        lastLine = now;
        stderr.write(text + '\n');
      }
    },
    endProgress,
  };
}

/** Plain aligned text table; numbers right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  const cells = rows.map((r) => r.map((c) => (c === null ? '—' : typeof c === 'number' ? formatNumber(c) : c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === null));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

function formatNumber(n: number): string {
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return Math.abs(n) >= 100 ? n.toFixed(1) : n.toPrecision(4);
}
