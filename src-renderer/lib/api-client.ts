import {
  ApiError,
  ApiEventSchema,
  type ApiEvent,
  type ApiRequest,
  type ApiResponse,
  type MethodName,
  type StudioApi,
} from '../../src-main/engine/api/contract';

interface Envelope {
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string; details?: Record<string, unknown> };
}

/** What the Electron preload exposes on window.studio. */
interface PreloadBridge {
  call(method: string, request: unknown): Promise<Envelope>;
  subscribe(listener: (event: unknown) => void): () => void;
  /** The local path of a file the user picked or dropped (Electron's webUtils.getPathForFile), recorded by the main process as picked. */
  pathForFile?(file: File): string | Promise<string>;
  /** The native open dialog (main process): files or folders; the envelope's result is the chosen paths. */
  pickPaths?(kind: 'files' | 'folder'): Promise<Envelope>;
}

declare global {
  interface Window {
    studio?: PreloadBridge;
  }
}

function unwrap(env: Envelope): unknown {
  if (env.ok) return env.result;
  throw new ApiError(env.error?.code ?? 'INTERNAL', env.error?.message ?? 'Unknown error', env.error?.details);
}

class Listeners {
  private readonly set = new Set<(e: ApiEvent) => void>();
  add(l: (e: ApiEvent) => void): () => void {
    this.set.add(l);
    return () => this.set.delete(l);
  }
  emit(raw: unknown): void {
    const parsed = ApiEventSchema.safeParse(raw);
    if (!parsed.success) return; // ignore what we do not understand rather than crash the page
    for (const l of this.set) l(parsed.data);
  }
}

/** Electron: calls go through the preload's contextBridge. */
function ipcClient(bridge: PreloadBridge): StudioApi {
  const listeners = new Listeners();
  bridge.subscribe((e) => listeners.emit(e));
  return {
    call: async <M extends MethodName>(method: M, request: ApiRequest<M>) => unwrap(await bridge.call(method, request)) as ApiResponse<M>,
    subscribe: (l) => listeners.add(l),
  };
}

/**
 * Browser: HTTP for calls, a WebSocket for events. The web host set an HttpOnly session
 * cookie when the page was opened with its token, so requests carry no secret in JS.
 */
function webClient(): StudioApi {
  const listeners = new Listeners();
  let retryMs = 500;
  const connect = (): void => {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/api/events`);
    ws.onopen = () => {
      retryMs = 500;
    };
    ws.onmessage = (m) => {
      try {
        listeners.emit(JSON.parse(String(m.data)));
      } catch {
        /* malformed event: ignore */
      }
    };
    ws.onclose = () => {
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 10_000);
    };
  };
  connect();
  return {
    call: async <M extends MethodName>(method: M, request: ApiRequest<M>) => {
      let res: Response;
      try {
        res = await fetch(`/api/call/${method}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          credentials: 'same-origin',
          body: JSON.stringify(request ?? {}),
        });
      } catch {
        throw new ApiError('IO', 'The TTM Studio web host is not reachable. Is `ttm-studio serve` still running?');
      }
      let env: Envelope;
      try {
        env = (await res.json()) as Envelope;
      } catch {
        throw new ApiError('INTERNAL', `The web host answered ${res.status} without a readable body.`);
      }
      if (res.status === 401) throw new ApiError('UNAUTHORIZED', 'The session has no valid token: open the URL that `ttm-studio serve` printed.');
      return unwrap(env) as ApiResponse<M>;
    },
    subscribe: (l) => listeners.add(l),
  };
}

export function createApiClient(): StudioApi {
  return window.studio !== undefined ? ipcClient(window.studio) : webClient();
}

export const api: StudioApi = createApiClient();

/** Whether picked files can reach the service: uploaded to the web host, or by path in the desktop app. */
export function supportsUpload(): boolean {
  return window.studio === undefined || typeof window.studio.pathForFile === 'function';
}

/** True in the desktop window, where the main process shows a native open dialog for files and folders. */
export function supportsNativePick(): boolean {
  return typeof window.studio?.pickPaths === 'function';
}

/** Opens the native dialog; the chosen paths (absolute, recorded as picked by the main process), [] when cancelled. */
export async function pickNative(kind: 'files' | 'folder'): Promise<UploadedFile[]> {
  const bridge = window.studio;
  if (bridge?.pickPaths === undefined) return [];
  const env = await bridge.pickPaths(kind);
  if (!env.ok) throw new ApiError(env.error?.code ?? 'INTERNAL', env.error?.message ?? 'The open dialog failed.');
  const paths = Array.isArray(env.result) ? env.result.filter((p): p is string => typeof p === 'string') : [];
  return paths.map((path) => ({ path, name: path.split(/[\\/]/).pop() ?? path, bytes: 0 }));
}

/** A fresh id for the files of one pick (`uploadFile(…, batch)`): 16 random bytes, base64url. */
export function uploadBatchId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...b))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

export interface UploadedFile {
  /** Server-side path, for datasets.detect / preview / import. */
  path: string;
  name: string;
  bytes: number;
}

/**
 * Copies a file the user picked (file input or drop) to the service's machine and returns
 * its server-side path. Web host: `POST /api/upload` (XMLHttpRequest for upload progress).
 * Desktop app: the service runs on this machine, so the file is read where it is; the preload
 * gives the path of a file the user picked or dropped (nothing else), no copy is made.
 */
export function uploadFile(file: File, onProgress?: (sent: number, total: number) => void, signal?: AbortSignal, batch?: string): Promise<UploadedFile> {
  const bridge = window.studio;
  if (bridge !== undefined) {
    return Promise.resolve(typeof bridge.pathForFile === 'function' ? bridge.pathForFile(file) : '').then((path) => {
      if (path === '') {
        throw new ApiError(
          'UNSUPPORTED',
          `${file.name}: this file has no path on disk (was it dragged from another app?). Save it to a folder first, then import it.`,
        );
      }
      onProgress?.(file.size, file.size);
      return { path, name: file.name, bytes: file.size };
    });
  }
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    // Files picked together share a batch, so the web host puts them in one folder (a Nightscout export's files import together).
    xhr.open('POST', `/api/upload?name=${encodeURIComponent(file.name)}${batch === undefined ? '' : `&batch=${encodeURIComponent(batch)}`}`);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.withCredentials = true;
    xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new ApiError('IO', `${file.name}: the upload failed (the web host is not reachable). Is \`ttm-studio serve\` still running?`));
    xhr.onabort = () => reject(new ApiError('CANCELLED', `${file.name}: upload cancelled.`));
    xhr.onload = () => {
      let env: Envelope;
      try {
        env = JSON.parse(xhr.responseText) as Envelope;
      } catch {
        reject(new ApiError('INTERNAL', `${file.name}: the web host answered ${xhr.status} without a readable body.`));
        return;
      }
      try {
        resolve(unwrap(env) as UploadedFile);
      } catch (e) {
        reject(e instanceof ApiError ? new ApiError(e.code, `${file.name}: ${e.message}`, e.details) : e);
      }
    };
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}
