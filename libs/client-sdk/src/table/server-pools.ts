// HTTP to tablet servers with undici (DESIGN §12): one keep-alive Pool per
// server origin, shared by every table handle of a client, and one request
// function that turns every failure into a KdiError:
//  - an error response             → errorFromBody (the server's code; requestId from the body or x-request-id);
//  - the call's scope ended        → its reason (CANCELLED or DEADLINE_EXCEEDED);
//  - the network failed            → UNAVAILABLE with details.cause the errno code
//                                    (ECONNREFUSED: the request was certainly not sent).

import { errorFromBody, isKdiError, KdiError } from '@kdi/protocol';
import { Pool } from 'undici';

export const REQUEST_ID_HEADER = 'x-request-id';

export interface PoolOptions {
  /** Sockets per server (default 16). */
  readonly connections?: number | undefined;
  /** Idle keep-alive time of a socket (default 10 s). */
  readonly keepAliveTimeoutMs?: number | undefined;
  readonly connectTimeoutMs?: number | undefined;
}

export interface ServerRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path and query, starting with '/'. */
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: Uint8Array | string | undefined;
  readonly signal: AbortSignal;
}

export interface ServerReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

export class ServerPools {
  readonly #pools = new Map<string, Pool>();
  /** Each base URL's pool and path prefix, parsed once. */
  readonly #byUrl = new Map<string, { pool: Pool; prefix: string }>();
  readonly #token: string | undefined;
  #closed = false;

  constructor(private readonly o: PoolOptions & { readonly token?: string | undefined }) {
    this.#token = o.token;
  }

  /** Sends one request to the server at `url` (its base URL); error replies throw. */
  async request(url: string, req: ServerRequest): Promise<ServerReply> {
    if (this.#closed) throw new KdiError('FAILED_PRECONDITION', `the client is closed; ${describe(url, req)} was not sent`);
    if (req.signal.aborted) throw req.signal.reason;
    const { pool, prefix } = this.#byUrl.get(url) ?? this.#pool(url);
    const headers: Record<string, string> = { ...req.headers };
    if (this.#token !== undefined) headers['authorization'] = `Bearer ${this.#token}`;
    let res;
    let body: Buffer;
    try {
      res = await pool.request({ method: req.method, path: prefix + req.path, headers, body: req.body ?? null, signal: req.signal });
      body = Buffer.from(await res.body.arrayBuffer());
    } catch (e) {
      if (req.signal.aborted) throw req.signal.reason;
      if (isKdiError(e)) throw e;
      throw networkError(e, describe(url, req), this.#closed);
    }
    if (res.statusCode >= 400) {
      const requestId = headerValue(res.headers[REQUEST_ID_HEADER]);
      const error = errorFromBody(parseJson(body) ?? body.toString('utf8'), res.statusCode);
      if (error.requestId !== undefined || requestId === undefined) throw error;
      throw new KdiError(error.code, error.message, {
        ...(error.details && { details: error.details }),
        ...(error.retryAfterMs !== undefined && { retryAfterMs: error.retryAfterMs }),
        requestId,
      });
    }
    return { status: res.statusCode, headers: res.headers, body };
  }

  /** Closes every pool; calls in flight fail. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#pools.values()].map((p) => p.destroy()));
    this.#pools.clear();
    this.#byUrl.clear();
  }

  #pool(url: string): { pool: Pool; prefix: string } {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new KdiError('INVALID_ARGUMENT', `server url ${JSON.stringify(url)} is not an absolute URL such as http://127.0.0.1:7201`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new KdiError('INVALID_ARGUMENT', `server url ${JSON.stringify(url)} must use http: or https:`);
    let pool = this.#pools.get(parsed.origin);
    if (pool === undefined) {
      // The call scope bounds every request, so undici's own timeouts are off rather than racing it.
      pool = new Pool(parsed.origin, {
        connections: this.o.connections ?? 16,
        keepAliveTimeout: this.o.keepAliveTimeoutMs ?? 10_000,
        headersTimeout: 0,
        bodyTimeout: 0,
        ...(this.o.connectTimeoutMs !== undefined && { connectTimeout: this.o.connectTimeoutMs }),
      });
      this.#pools.set(parsed.origin, pool);
    }
    const entry = { pool, prefix: parsed.pathname.replace(/\/+$/, '') };
    this.#byUrl.set(url, entry);
    return entry;
  }
}

function describe(url: string, req: ServerRequest): string {
  return `${req.method} ${url}${req.path.split('?', 1)[0]}`;
}

export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function networkError(e: unknown, what: string, closed: boolean): KdiError {
  if (closed) return new KdiError('FAILED_PRECONDITION', `the client was closed while ${what} was in flight`, { cause: e });
  const code = errorCode(e) ?? (e instanceof Error ? e.message : String(e));
  const sent = code === 'ECONNREFUSED' ? 'the request was not sent' : 'its outcome is unknown';
  return new KdiError('UNAVAILABLE', `${what} failed: ${code} (${sent})`, { cause: e, details: { cause: code } });
}

function errorCode(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const errors = (cur as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = errorCode(errors[0]);
      if (inner !== undefined) return inner;
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}
