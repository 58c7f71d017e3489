/**
 * JSON POST to an OpenAI-compatible endpoint with a timeout per attempt (AbortController) and
 * retries with exponential backoff and jitter on 429, 5xx and network errors. Shared by the
 * embeddings provider and the chat provider (src/generate).
 */
import { type ErrorCode, RecError } from '../core/errors.ts';

export interface PostOptions {
  apiKey?: string;
  timeoutMs: number;
  retries: number;
  /** first backoff in ms; doubles each retry (default 250) */
  backoffMs?: number;
  /** error code when the endpoint stays unreachable or keeps failing */
  code: ErrorCode;
  /** aborts the whole call, retries included */
  signal?: AbortSignal;
}

const RETRYABLE = new Set([408, 409, 425, 429, 500, 502, 503, 504]);

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new RecError('INTERRUPTED', 'request aborted'));
      },
      { once: true },
    );
  });

/** Joins a base URL (`http://host/v1` or `http://host/v1/`) and a path (`embeddings`). */
export function endpoint(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

export async function postJson(url: string, body: unknown, opts: PostOptions): Promise<unknown> {
  const backoff = opts.backoffMs ?? 250;
  let lastProblem = '';
  let lastCause: unknown;
  for (let attempt = 0; attempt <= opts.retries; attempt++) {
    if (attempt > 0) {
      const ms = backoff * 2 ** (attempt - 1);
      await sleep(ms * (0.75 + Math.random() * 0.5), opts.signal);
    }
    if (opts.signal?.aborted) throw new RecError('INTERRUPTED', 'request aborted');
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), opts.timeoutMs);
    const onAbort = () => ctl.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
        },
        body: JSON.stringify(body),
        signal: ctl.signal,
      });
      const text = await res.text();
      if (res.ok) {
        try {
          return JSON.parse(text);
        } catch (cause) {
          // a malformed reply is the server's bug, not a transient one: no retry
          throw new RecError(opts.code, `${url} answered with invalid JSON`, { cause });
        }
      }
      lastProblem = `HTTP ${res.status}: ${text.slice(0, 200)}`;
      if (!RETRYABLE.has(res.status))
        throw new RecError(opts.code, `${url} refused the request (${lastProblem})`);
    } catch (e) {
      if (e instanceof RecError) throw e;
      if (opts.signal?.aborted) throw new RecError('INTERRUPTED', 'request aborted');
      lastCause = e;
      lastProblem = ctl.signal.aborted
        ? `no answer within ${opts.timeoutMs} ms`
        : `${(e as Error).message}${(e as { cause?: { code?: string } }).cause?.code ? ` (${(e as { cause: { code: string } }).cause.code})` : ''}`;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }
  throw new RecError(opts.code, `${url} unavailable after ${opts.retries + 1} attempts: ${lastProblem}`, {
    cause: lastCause,
    details: { url },
  });
}
