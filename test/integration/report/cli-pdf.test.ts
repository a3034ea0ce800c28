/**
 * `ttm-studio report` from the command line: HTML and PDF for a dataset and for a run. Page 1
 * of each PDF is rendered to a greyscale image with pdftoppm (Debian poppler-utils) and must
 * not be blank. A bad CHROMIUM_PATH fails with a message that says what to do.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedReportFixture, type ReportFixture } from '../../../bench/sections/report.js';
import { checkReportHtml } from '../../../src-main/engine/report/validate.js';
import { Store } from '../../../src-main/engine/store/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { cli as studioCli, type CliResult } from '../../helpers/cli.js';

const run = promisify(execFile);
const PDFTOPPM = '/usr/bin/pdftoppm';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let tmp: { dir: string; cleanup: () => void };
let fixture: ReportFixture;

const cli = (args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> => studioCli(tmp.dir, args, { env, timeout: 170_000 });

/** Binary greyscale PGM (P5, 8-bit) → width, height and pixels. */
function parsePgm(buf: Buffer): { width: number; height: number; pixels: Uint8Array } {
  let pos = 0;
  const tokens: string[] = [];
  while (tokens.length < 4) {
    while (pos < buf.length && /\s/.test(String.fromCharCode(buf[pos]!))) pos++;
    if (buf[pos] === 0x23) {
      while (pos < buf.length && buf[pos] !== 0x0a) pos++;
      continue;
    }
    let t = '';
    while (pos < buf.length && !/\s/.test(String.fromCharCode(buf[pos]!))) t += String.fromCharCode(buf[pos++]!);
    tokens.push(t);
  }
  pos++; // the single whitespace after maxval
  const [magic, w, h, max] = tokens;
  if (magic !== 'P5' || Number(max) > 255) throw new Error(`not an 8-bit binary PGM: ${tokens.join(' ')}`);
  const width = Number(w);
  const height = Number(h);
  return { width, height, pixels: new Uint8Array(buf.subarray(pos, pos + width * height)) };
}

/** Share of page-1 pixels darker than near-white. */
async function inkOnFirstPage(pdf: string): Promise<number> {
  const prefix = join(tmp.dir, `page-${Date.now()}`);
  await run(PDFTOPPM, ['-gray', '-r', '40', '-f', '1', '-l', '1', pdf, prefix]);
  const file = readdirSync(tmp.dir).find((f) => join(tmp.dir, f).startsWith(prefix) && f.endsWith('.pgm'));
  if (file === undefined) throw new Error('pdftoppm wrote no page image');
  const img = parsePgm(readFileSync(join(tmp.dir, file)));
  expect(img.width).toBeGreaterThan(200);
  expect(img.pixels.length).toBe(img.width * img.height);
  let ink = 0;
  for (const v of img.pixels) if (v < 230) ink++;
  return ink / img.pixels.length;
}

const canPrint = existsSync(CHROMIUM) && existsSync(PDFTOPPM);

beforeAll(async () => {
  tmp = tempDir('ttm-report-cli-');
  const store = Store.open(join(tmp.dir, 'studio.sqlite'));
  fixture = await seedReportFixture(store, { patients: 3, days: 10 });
  store.close();
});

afterAll(() => tmp?.cleanup());

describe('ttm-studio report', () => {
  it('parses PGM headers with comments', () => {
    const img = parsePgm(Buffer.concat([Buffer.from('P5\n# made by hand\n2 2\n255\n'), Buffer.from([0, 255, 128, 255])]));
    expect(img).toEqual({ width: 2, height: 2, pixels: new Uint8Array([0, 255, 128, 255]) });
  });

  it('writes a valid HTML data report and reports it as JSON', async () => {
    const out = join(tmp.dir, 'data.html');
    const r = await cli(['--json', 'report', '--dataset', fixture.datasetName, '--unit', 'mmol/L', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as { format: string; path: string; unit: string; bytes: number };
    expect(res).toMatchObject({ format: 'html', path: out, unit: 'mmol/L' });
    const html = readFileSync(out, 'utf8');
    expect(res.bytes).toBe(Buffer.byteLength(html));
    expect(checkReportHtml(html, ['overview', 'time-in-ranges', 'quality', 'methods']).errors).toEqual([]);
  });

  it.runIf(canPrint)('prints the data report and the model report to PDFs whose first page is not blank', async () => {
    for (const args of [
      ['--dataset', fixture.datasetName],
      ['--run', String(fixture.runId)],
    ]) {
      const out = join(tmp.dir, `${args[0]!.slice(2)}.pdf`);
      const r = await cli(['report', ...args, '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/PDF\) to /);
      const pdf = readFileSync(out);
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      const ink = await inkOnFirstPage(out);
      // A text-and-table page inks a few percent of its pixels; blank is 0, a black page 1.
      expect(ink).toBeGreaterThan(0.01);
      expect(ink).toBeLessThan(0.5);
    }
    // The temporary HTML was removed with its folder; only the PDFs are left.
    expect(readdirSync(tmp.dir).filter((f) => f.endsWith('.html') && f !== 'data.html')).toEqual([]);
  });

  it.runIf(canPrint && existsSync('/usr/bin/pdfinfo'))(
    'prints on the paper of the locale: Letter in the US, A4 in Germany, or what TTM_STUDIO_PAPER says',
    async () => {
      const size = async (env: NodeJS.ProcessEnv, name: string): Promise<string> => {
        const out = join(tmp.dir, `${name}.pdf`);
        const r = await cli(['report', '--dataset', fixture.datasetName, '--out', out], { LC_ALL: '', LC_PAPER: '', LANG: '', TTM_STUDIO_PAPER: '', ...env });
        expect(r.code, r.stderr).toBe(0);
        const info = await run('/usr/bin/pdfinfo', [out]);
        return /Page size:\s+([\d.]+ x [\d.]+)/.exec(info.stdout)![1]!;
      };
      expect(await size({ LANG: 'en_US.UTF-8' }, 'us')).toBe('612 x 792');
      expect(await size({ LANG: 'de_DE.UTF-8' }, 'de')).toMatch(/^59[45](\.\d+)? x 84[12](\.\d+)?$/);
      expect(await size({ LANG: 'en_US.UTF-8', LC_PAPER: 'en_GB.UTF-8' }, 'gb-paper')).toMatch(/^59[45](\.\d+)? x 84[12]/);
      expect(await size({ LANG: 'de_DE.UTF-8', TTM_STUDIO_PAPER: 'letter' }, 'forced')).toBe('612 x 792');
    },
  );

  it('explains what to do when Chromium is missing, before doing the work', async () => {
    const r = await cli(['report', '--dataset', fixture.datasetName, '--out', join(tmp.dir, 'x.pdf')], { CHROMIUM_PATH: join(tmp.dir, 'no-chromium') });
    // UNSUPPORTED: exit 2 in the CLI's exit-code table (1 is kept for internal failures).
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CHROMIUM_PATH is set to .*no-chromium, which is not an executable file/);
    expect(existsSync(join(tmp.dir, 'x.pdf'))).toBe(false);
  });

  it('rejects an unknown output type and a missing subject', async () => {
    expect((await cli(['report', '--dataset', fixture.datasetName, '--out', join(tmp.dir, 'x.docx')])).code).toBe(2);
    const none = await cli(['report', '--out', join(tmp.dir, 'x.html')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/Give --dataset \(data report\) or --run \(model report\)/);
  });
});
