/**
 * PDF from the same HTML file: headless Debian chromium from the CLI (the Electron app uses
 * webContents.printToPDF on the same file instead). The report has no scripts and no network
 * references, and chromium runs with networking, sync and updates disabled, so printing is
 * the only thing it does.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { StudioError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** CHROMIUM_PATH, else /usr/bin/chromium; a clear error when neither is an executable file. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.CHROMIUM_PATH;
  const candidate = explicit !== undefined && explicit !== '' ? explicit : DEFAULT_CHROMIUM;
  try {
    accessSync(candidate, constants.X_OK);
    return candidate;
  } catch {
    throw new StudioError(
      'UNSUPPORTED',
      explicit !== undefined && explicit !== ''
        ? `CHROMIUM_PATH is set to ${explicit}, which is not an executable file. Point it at a Chromium or Chrome binary.`
        : `PDF output needs Chromium, and ${DEFAULT_CHROMIUM} was not found. Install it (Debian: apt-get install chromium), set CHROMIUM_PATH to a Chromium/Chrome binary, or write --out report.html and print that from a browser.`,
    );
  }
}

/** Arguments for one headless print (exported for tests and the docs). */
export function chromiumPrintArgs(htmlFile: string, pdfFile: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-extensions',
    '--no-first-run',
    '--no-default-browser-check',
    '--no-pdf-header-footer',
    `--print-to-pdf=${pdfFile}`,
    pathToFileURL(htmlFile).href,
  ];
}

export interface PdfOptions {
  chromiumPath?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Prints `htmlFile` to `pdfFile` (written via a temporary file, so a failure leaves no half PDF). */
export async function renderPdf(htmlFile: string, pdfFile: string, o: PdfOptions = {}): Promise<{ path: string; bytes: number }> {
  const chromium = o.chromiumPath ?? findChromium();
  const tmp = `${pdfFile}.partial.pdf`;
  await rm(tmp, { force: true });
  await new Promise<void>((resolve, reject) => {
    execFile(
      chromium,
      chromiumPrintArgs(htmlFile, tmp),
      { timeout: o.timeoutMs ?? 120_000, ...(o.signal !== undefined ? { signal: o.signal } : {}), maxBuffer: 4 * 1024 * 1024 },
      (err, _stdout, stderr) => {
        if (err === null) return resolve();
        const tail = String(stderr).trim().split('\n').slice(-3).join(' | ');
        reject(
          new StudioError(
            o.signal?.aborted === true ? 'CANCELLED' : 'RUNTIME',
            `Chromium could not print the report to PDF (${err.message.split('\n')[0]}). ${tail}`,
          ),
        );
      },
    );
  });
  const st = await stat(tmp).catch(() => null);
  if (st === null || st.size === 0) throw new StudioError('RUNTIME', `Chromium finished but wrote no PDF to ${tmp}.`);
  await rename(tmp, pdfFile);
  return { path: pdfFile, bytes: st.size };
}

/**
 * The app prints with Electron instead of a separate Chromium: what a hidden BrowserWindow's
 * webContents offers, typed structurally so the engine stays free of Electron imports. Load
 * the report in a window with JavaScript disabled (`webPreferences: { javascript: false,
 * sandbox: true }`): the report needs none.
 */
export interface PdfPrinter {
  loadFile(path: string): Promise<void>;
  printToPDF(options: typeof ELECTRON_PRINT_OPTIONS): Promise<Uint8Array>;
}

/**
 * printToPDF options matching the Chromium CLI print: backgrounds kept (range colours), no
 * header/footer, and the paper of the report's own @page rule (A4 or Letter by locale, see
 * styles.ts paperSize), as the Chromium CLI print honours it.
 */
export const ELECTRON_PRINT_OPTIONS = {
  printBackground: true,
  displayHeaderFooter: false,
  preferCSSPageSize: true,
  margins: { marginType: 'default' },
} as const;

/** Prints `htmlFile` with an Electron webContents to `pdfFile` (temp file + rename, as renderPdf). */
export async function renderPdfWith(printer: PdfPrinter, htmlFile: string, pdfFile: string): Promise<{ path: string; bytes: number }> {
  await printer.loadFile(htmlFile);
  const bytes = await printer.printToPDF(ELECTRON_PRINT_OPTIONS);
  if (bytes.byteLength === 0) throw new StudioError('RUNTIME', 'Printing the report produced an empty PDF.');
  await writeFileAtomic(pdfFile, bytes);
  return { path: pdfFile, bytes: bytes.byteLength };
}
