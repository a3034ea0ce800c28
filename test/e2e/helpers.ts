import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { REPO_ROOT, tempDir } from '../helpers/tmp.js';

export const SCREENSHOT_DIR = join(REPO_ROOT, 'test/e2e/screenshots');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface RunningHost {
  child: ChildProcess;
  url: string;
  loginUrl: string;
  token: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts `ttm-studio serve` as a real child process, as a user would, and reads its URL. */
export async function startServe(dataDir: string): Promise<RunningHost> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/ttm-studio.js'), '--data-dir', dataDir, '--json', 'serve', '--port', '0'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const info = await new Promise<{ url: string; loginUrl: string; token: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      try {
        const parsed = JSON.parse(out) as { url: string; loginUrl: string; token: string };
        clearTimeout(timer);
        resolve(parsed);
      } catch {
        /* wait for the rest of the JSON */
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${err}`));
    });
  });
  return {
    child,
    ...info,
    port: Number(new URL(info.url).port),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** A browser logged in to the web host, on the Data page, collecting console problems. */
export interface AppSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  problems: string[];
}

export async function openApp(
  host: Pick<RunningHost, 'loginUrl'>,
  o: { width?: number; height?: number; acceptDownloads?: boolean } = {},
): Promise<AppSession> {
  const browser = await launchChromium();
  const context = await browser.newContext({
    viewport: { width: o.width ?? 1280, height: o.height ?? 900 },
    colorScheme: 'light',
    ...(o.acceptDownloads === true ? { acceptDownloads: true } : {}),
  });
  const page = await context.newPage();
  const problems = watchProblems(page);
  await page.goto(host.loginUrl);
  await page.getByTestId('page-data').waitFor();
  return { browser, context, page, problems };
}

/** Runs the built `ttm-studio` with `--data-dir` synchronously, output ignored (set-up done the way a user would at a shell). */
export function cliSync(dataDir: string, args: readonly string[]): void {
  execFileSync(process.execPath, [join(REPO_ROOT, 'bin/ttm-studio.js'), '--data-dir', dataDir, ...args], { stdio: 'ignore' });
}

/** What an e2e file drives: its temporary folder, the served host and a logged-in browser. */
export interface ServedApp extends AppSession {
  readonly dir: string;
  readonly host: RunningHost;
}

/**
 * Registers beforeAll/afterAll hooks for an e2e file: a temporary folder, `prepare` with the
 * data folder (`<tmp>/data`, e.g. a CLI import), `ttm-studio serve` on it, `setup` with the
 * host (API calls), then a browser logged in to it (openApp's options). Afterwards the browser,
 * the host and the folder go. `hookTimeout` is the beforeAll time limit (the project's when
 * left out). The fields are read inside tests and later hooks.
 */
export function useServedApp(
  o: {
    prepare?: (dataDir: string) => void;
    setup?: (host: RunningHost) => Promise<void>;
    open?: Parameters<typeof openApp>[1];
    hookTimeout?: number;
  } = {},
): ServedApp {
  let tmp: { dir: string; cleanup: () => void } | undefined;
  let host: RunningHost | undefined;
  let session: AppSession | undefined;
  beforeAll(async () => {
    tmp = tempDir();
    o.prepare?.(join(tmp.dir, 'data'));
    host = await startServe(join(tmp.dir, 'data'));
    await o.setup?.(host);
    session = await openApp(host, o.open);
  }, o.hookTimeout);
  afterAll(async () => {
    await session?.context.close();
    await session?.browser.close();
    await host?.stop();
    tmp?.cleanup();
  });
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`${what} starts in beforeAll`);
    return v;
  };
  return {
    get dir() {
      return need(tmp, 'the temporary folder').dir;
    },
    get host() {
      return need(host, 'the host');
    },
    get browser() {
      return need(session, 'the browser').browser;
    },
    get context() {
      return need(session, 'the browser').context;
    },
    get page() {
      return need(session, 'the browser').page;
    },
    get problems() {
      return need(session, 'the browser').problems;
    },
  };
}

/** Calls StudioApi on a running host directly (test set-up that is not under test). */
export async function apiCall<T = unknown>(host: Pick<RunningHost, 'url' | 'token'>, method: string, request: unknown = {}): Promise<T> {
  const res = await fetch(`${host.url}api/call/${method}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(request),
  });
  const body = (await res.json()) as { ok: boolean; result?: T; error?: { message: string } };
  if (!body.ok) throw new Error(`${method}: ${body.error?.message ?? res.status}`);
  return body.result as T;
}

/** Collects console errors (CSP violations among them) and uncaught page errors. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text())) problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return problems;
}

/** Non-transparent pixels drawn on the canvases inside `selector` (a blank chart has none). */
export async function paintedPixels(page: Page, selector: string): Promise<number> {
  // a string, evaluated in the page: this project's Node typings have no DOM
  return page.evaluate<number>(`(() => {
    let painted = 0;
    for (const c of document.querySelectorAll(${JSON.stringify(`${selector} canvas`)})) {
      const ctx = c.getContext('2d');
      if (ctx === null || c.width === 0 || c.height === 0) continue;
      const px = ctx.getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < px.length; i += 4) if (px[i] > 0) painted++;
    }
    return painted;
  })()`);
}

/** The window sizes every first-user screen is checked at: 1280×800 and the narrowest the layout supports, 1024×700. */
export const SHOT_SIZES = [
  [1280, 800],
  [1024, 700],
] as const;

/** How far the page scrolls sideways (0 when it fits the window). */
export function sideways(page: Page): Promise<number> {
  return page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
}

/** The innermost elements that reach past the window's right edge, for a failure message. */
function overflowing(page: Page): Promise<string> {
  return page.evaluate<string>(`(() => {
    const w = document.documentElement.clientWidth;
    const over = [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > w + 1);
    return over
      .filter((el) => !over.some((o) => o !== el && el.contains(o)))
      .slice(0, 5)
      .map((el) => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + ' "' + (el.textContent || '').trim().slice(0, 40) + '"')
      .join('; ');
  })()`);
}

/**
 * Screenshots `<name>-1280.png` and `<name>-1024.png` (viewport only, as a user sees it) with
 * `subject` scrolled into view, after checking that the page does not scroll sideways at either
 * width; the viewport size is restored afterwards.
 */
export async function shotAtSizes(page: Page, name: string, subject?: Locator): Promise<void> {
  const before = page.viewportSize();
  for (const [width, height] of SHOT_SIZES) {
    await page.setViewportSize({ width, height });
    // charts re-measure on resize (ResizeObserver): give them a moment to do it
    const fits = await expect
      .poll(() => sideways(page))
      .toBeLessThanOrEqual(0)
      .then(
        () => true,
        () => false,
      );
    if (subject !== undefined) await subject.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${width}.png`) });
    // the screenshot above shows what runs over
    if (!fits) expect(await sideways(page), `${name} scrolls sideways at ${width} px: ${await overflowing(page)}`).toBeLessThanOrEqual(0);
  }
  if (before !== null) await page.setViewportSize(before);
}
