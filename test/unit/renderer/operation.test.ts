import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileModule } from 'svelte/compiler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type ApiEvent, type StudioApi } from '../../../src-main/engine/api/contract.js';

/** What the test uses of src-renderer/lib/operation.svelte.ts (runes: not importable by tsc here). */
interface OperationType {
  status: string;
  running: boolean;
  done: number;
  fraction: number | null;
  label: string;
  etaMs: number | null;
  error: string | null;
  run<T>(label: string, work: (operationId: string) => Promise<T>): Promise<T | undefined>;
  cancel(): Promise<void>;
}

// operation.svelte.ts uses runes; the unit project has no Svelte plugin, so compile it here
// (TypeScript stripped by esbuild, runes by the Svelte compiler) and import the result.
let dir: string;
let Operation: new (api: StudioApi, prefix?: string) => OperationType;

beforeAll(async () => {
  const { transform } = await import('esbuild');
  const root = new URL('../../../', import.meta.url);
  dir = mkdtempSync(join(tmpdir(), 'ttm-op-'));
  const compileTs = async (rel: string, runes: boolean): Promise<string> => {
    const ts = readFileSync(new URL(rel, root), 'utf8');
    const js = (await transform(ts, { loader: 'ts', format: 'esm' })).code;
    return runes ? compileModule(js, { generate: 'client', filename: rel }).js.code : js;
  };
  // format.ts re-exports the engine's byte formatter: put it beside the copy.
  writeFileSync(join(dir, 'bytes.js'), await compileTs('src-main/engine/util/bytes.ts', false));
  writeFileSync(
    join(dir, 'format.js'),
    (await compileTs('src-renderer/lib/format.ts', false)).replace(/from ['"]\.\.\/\.\.\/src-main\/engine\/util\/bytes(\.js)?['"]/, "from './bytes.js'"),
  );
  writeFileSync(join(dir, 'contract.js'), `export class ApiError extends Error { constructor(code, message) { super(message); this.code = code; } }`);
  const op = (await compileTs('src-renderer/lib/operation.svelte.ts', true))
    .replace(/from ['"]\.\.\/\.\.\/src-main\/engine\/api\/contract(\.js)?['"]/, "from './contract.js'")
    .replace(/from ['"]\.\/format(\.js)?['"]/, "from './format.js'");
  writeFileSync(join(dir, 'operation.js'), op);
  Operation = ((await import(pathToFileURL(join(dir, 'operation.js')).href)) as { Operation: typeof Operation }).Operation;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeApi(): { api: StudioApi; emit: (e: ApiEvent) => void; cancelled: string[] } {
  const listeners = new Set<(e: ApiEvent) => void>();
  const cancelled: string[] = [];
  const api = {
    call: async (method: string, req: { operationId: string }) => {
      if (method === 'operations.cancel') cancelled.push(req.operationId);
      return { cancelled: true };
    },
    subscribe: (l: (e: ApiEvent) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  } as unknown as StudioApi;
  return { api, emit: (e) => listeners.forEach((l) => l(e)), cancelled };
}

describe('Operation (progress, ETA, cancel)', () => {
  it('follows progress events of its own id only and completes', async () => {
    const { api, emit } = fakeApi();
    const op = new Operation(api, 'test');
    let release!: (v: string) => void;
    const done = op.run('Working', (id) => {
      emit({ type: 'progress', operationId: 'someone-else', label: 'x', done: 9, total: 10, unit: 'u', elapsedMs: 1, etaMs: 1 });
      emit({ type: 'progress', operationId: id, label: 'Importing', done: 25, total: 100, unit: 'bytes', elapsedMs: 1000, etaMs: 3000 });
      return new Promise<string>((r) => (release = r));
    });
    expect(op.running).toBe(true);
    expect(op.done).toBe(25);
    expect(op.fraction).toBe(0.25);
    expect(op.label).toBe('Importing');
    expect(op.etaMs).toBe(3000);
    release('ok');
    await expect(done).resolves.toBe('ok');
    expect(op.status).toBe('completed');
    expect(op.running).toBe(false);
  });

  it('cancel asks the service to cancel its id; a CANCELLED answer ends as cancelled, not failed', async () => {
    const { api, cancelled } = fakeApi();
    const op = new Operation(api, 'test');
    let fail!: (e: Error) => void;
    let seen = '';
    const done = op.run('Working', (id) => {
      seen = id;
      return new Promise((_, rej) => (fail = rej));
    });
    await op.cancel();
    expect(cancelled).toEqual([seen]);
    fail(new ApiError('CANCELLED', 'Operation cancelled'));
    await expect(done).resolves.toBeUndefined();
    expect(op.status).toBe('cancelled');
    expect(op.error).toBeNull();
  });

  it('a failure keeps the readable message', async () => {
    const { api } = fakeApi();
    const op = new Operation(api);
    await expect(op.run('Working', () => Promise.reject(new ApiError('PARSE', '001.csv, line 12: glucose value is not a number.')))).resolves.toBeUndefined();
    expect(op.status).toBe('failed');
    expect(op.error).toBe('001.csv, line 12: glucose value is not a number.');
  });
});
