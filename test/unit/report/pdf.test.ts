import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chromiumPrintArgs, ELECTRON_PRINT_OPTIONS, findChromium, renderPdfWith, type PdfPrinter } from '../../../src-main/engine/report/pdf.js';
import { pageRule, paperSize } from '../../../src-main/engine/report/styles.js';

const dir = mkdtempSync(join(tmpdir(), 'ttm-pdf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('PDF printing', () => {
  it('finds Chromium through CHROMIUM_PATH and explains a missing one', () => {
    const fake = join(dir, 'chromium');
    writeFileSync(fake, '#!/bin/sh\n');
    chmodSync(fake, 0o755);
    expect(findChromium({ CHROMIUM_PATH: fake })).toBe(fake);
    expect(() => findChromium({ CHROMIUM_PATH: join(dir, 'missing') })).toThrow(/CHROMIUM_PATH is set to .*missing, which is not an executable file/);
    const notExec = join(dir, 'plain');
    writeFileSync(notExec, '');
    expect(() => findChromium({ CHROMIUM_PATH: notExec })).toThrow(/not an executable file/);
  });

  it('prints headless, offline, without header/footer, from a file:// URL', () => {
    const args = chromiumPrintArgs('/tmp/a b/r.html', '/tmp/out.pdf');
    for (const flag of [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--no-pdf-header-footer',
    ])
      expect(args).toContain(flag);
    expect(args).toContain('--print-to-pdf=/tmp/out.pdf');
    expect(args[args.length - 1]).toBe('file:///tmp/a%20b/r.html');
  });

  it('prints through an Electron-like webContents, keeping backgrounds, and refuses an empty result', async () => {
    const calls: string[] = [];
    const printer: PdfPrinter = {
      loadFile: (p) => {
        calls.push(`load ${p}`);
        return Promise.resolve();
      },
      printToPDF: (o) => {
        calls.push(`print ${o.printBackground}`);
        return Promise.resolve(new TextEncoder().encode('%PDF-1.7 fake'));
      },
    };
    const out = join(dir, 'app.pdf');
    expect(await renderPdfWith(printer, '/r.html', out)).toEqual({ path: out, bytes: 13 });
    expect(calls).toEqual(['load /r.html', 'print true']);
    expect(readFileSync(out, 'latin1')).toBe('%PDF-1.7 fake');
    expect(ELECTRON_PRINT_OPTIONS.displayHeaderFooter).toBe(false);
    const empty: PdfPrinter = { loadFile: () => Promise.resolve(), printToPDF: () => Promise.resolve(new Uint8Array(0)) };
    await expect(renderPdfWith(empty, '/r.html', join(dir, 'empty.pdf'))).rejects.toThrow(/empty PDF/);
    expect(existsSync(join(dir, 'empty.pdf'))).toBe(false);
  });

  it('chooses the paper by locale: Letter in North America, A4 elsewhere, TTM_STUDIO_PAPER wins', () => {
    expect(paperSize({ LANG: 'en_US.UTF-8' }, 'en-US')).toBe('letter');
    expect(paperSize({ LANG: 'fr_CA.UTF-8' }, 'en-US')).toBe('letter');
    expect(paperSize({ LANG: 'nb_NO.UTF-8' }, 'en-US')).toBe('A4');
    expect(paperSize({ LANG: 'en_US.UTF-8', LC_PAPER: 'de_DE.UTF-8' }, 'en-US')).toBe('A4');
    expect(paperSize({ LANG: 'C' }, 'en-GB')).toBe('A4');
    expect(paperSize({}, 'en-US')).toBe('letter');
    expect(paperSize({ LANG: 'en_US.UTF-8', TTM_STUDIO_PAPER: 'A4' }, 'en-US')).toBe('A4');
    expect(pageRule('letter')).toBe('@page { size: letter; }');
    // The desktop app prints on the report's own page size.
    expect(ELECTRON_PRINT_OPTIONS.preferCSSPageSize).toBe(true);
  });
});
