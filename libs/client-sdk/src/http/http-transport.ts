// JSON over HTTP/1.1 with undici: one connection pool per service origin
// (keep-alive), one request function that turns every failure into a
// KdiError (DESIGN §12), so callers branch on `code` alone:
//  - an error response          → errorFromBody (the server's own code);
//  - the caller's signal aborts → CANCELLED (or the signal's reason, when
//    that is already a KdiError: internal callers use this to say *why*
//    they gave up, e.g. a keep-alive that ran past its lease);
//  - our own timer fires        → DEADLINE_EXCEEDED, outcome unknown;
//  - the network fails          → UNAVAILABLE;
//  - a 2xx whose body does not match the contract → INTERNAL.

import { errorFromBody, isKdiError, KdiError } from '@kdi/protocol';
import { Pool, type Dispatcher } from 'undici';
import { describeIssues, type ResponseSchema } from './response-schema.js';

export interface HttpTransportOptions {
  /** Base URL, e.g. http://127.0.0.1:7100 (a path prefix is kept). */
  readonly url: string;
  /** Sent as `Authorization: Bearer <secret>`; never logged. */
  readonly secret?: string | undefined;
  /** Time allowed for one request beyond any wait the server is asked to do. */
  readonly requestTimeoutMs: number;
  /** Use this dispatcher instead of a private pool (it is not closed by us). */
  readonly dispatcher?: Dispatcher | undefined;
  /** Max sockets of the private pool; default unlimited, so long polls never queue other calls. */
  readonly connections?: number | null | undefined;
  /** How long an idle keep-alive socket is kept (undici `keepAliveTimeout`). */
  readonly keepAliveTimeoutMs?: number | undefined;
  readonly connectTimeoutMs?: number | undefined;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RequestSpec<T> {
  readonly method: HttpMethod;
  /** Path and query below the base URL, starting with '/'. */
  readonly path: string;
  readonly body?: unknown;
  /** Validates a 2xx JSON body; omitted for responses without one (204). */
  readonly schema?: ResponseSchema<T> | undefined;
  readonly signal?: AbortSignal | undefined;
  /** How long the server may legitimately hold the call (long poll, lock wait). */
  readonly serverWaitMs?: number | undefined;
}

/** Network error codes that mean "could not talk to the service". */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_INFO',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export class HttpTransport {
  readonly baseUrl: string;
  readonly #origin: string;
  readonly #prefix: string;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  #closed = false;

  constructor(opts: HttpTransportOptions) {
    let url: URL;
    try {
      url = new URL(opts.url);
    } catch {
      throw new KdiError('INVALID_ARGUMENT', `url ${JSON.stringify(opts.url)} is not an absolute URL such as http://127.0.0.1:7100`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new KdiError('INVALID_ARGUMENT', `url ${JSON.stringify(opts.url)} must use http: or https:`);
    }
    if (!(opts.requestTimeoutMs > 0)) throw new KdiError('INVALID_ARGUMENT', `requestTimeoutMs must be positive, got ${opts.requestTimeoutMs}`);
    this.baseUrl = url.origin + url.pathname.replace(/\/+$/, '');
    this.#origin = url.origin;
    this.#prefix = url.pathname.replace(/\/+$/, '');
    this.#timeoutMs = opts.requestTimeoutMs;
    this.#headers = { accept: 'application/json' };
    if (opts.secret !== undefined) this.#headers.authorization = `Bearer ${opts.secret}`;
    if (opts.dispatcher) {
      this.#dispatcher = opts.dispatcher;
      this.#ownsDispatcher = false;
    } else {
      // Our own timers bound every call (long polls included), so undici's
      // header/body timeouts are off rather than racing them.
      this.#dispatcher = new Pool(url.origin, {
        connections: opts.connections ?? null,
        keepAliveTimeout: opts.keepAliveTimeoutMs ?? 4_000,
        headersTimeout: 0,
        bodyTimeout: 0,
        ...(opts.connectTimeoutMs !== undefined && { connectTimeout: opts.connectTimeoutMs }),
      });
      this.#ownsDispatcher = true;
    }
  }

  async request<T>(spec: RequestSpec<T>): Promise<T> {
    const what = `${spec.method} ${spec.path}`;
    if (this.#closed) throw new KdiError('FAILED_PRECONDITION', `the client is closed; ${what} was not sent`);
    const caller = spec.signal;
    if (caller?.aborted) throw abortError(caller, what);

    const controller = new AbortController();
    let timedOut = false;
    const timeoutMs = this.#timeoutMs + Math.max(0, spec.serverWaitMs ?? 0);
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = (): void => controller.abort();
    caller?.addEventListener('abort', onAbort, { once: true });

    try {
      const hasBody = spec.body !== undefined;
      const res = await this.#dispatcher.request({
        // A shared dispatcher (Agent) needs to be told where; our Pool knows.
        origin: this.#ownsDispatcher ? undefined : this.#origin,
        method: spec.method,
        path: this.#prefix + spec.path,
        headers: hasBody ? { ...this.#headers, 'content-type': 'application/json' } : this.#headers,
        body: hasBody ? JSON.stringify(spec.body) : null,
        signal: controller.signal,
      });
      const text = await res.body.text();
      if (res.statusCode >= 400) throw errorFromBody(parseJson(text) ?? text, res.statusCode);
      if (!spec.schema) return undefined as T;
      const json = parseJson(text);
      const parsed = spec.schema.safeParse(json);
      if (!parsed.success) {
        throw new KdiError('INTERNAL', `${what} answered ${res.statusCode} with a body that breaks the lock-service contract: ${describeIssues(parsed.error.issues)}`);
      }
      return parsed.data;
    } catch (e) {
      if (caller?.aborted) throw abortError(caller, what);
      if (timedOut) {
        throw new KdiError('DEADLINE_EXCEEDED', `${what} got no answer within ${timeoutMs} ms; its outcome is unknown`, { cause: e });
      }
      if (isKdiError(e)) throw e;
      throw networkError(e, what, this.baseUrl, this.#closed);
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onAbort);
    }
  }

  /** Closes the private pool (in-flight calls fail with FAILED_PRECONDITION / UNAVAILABLE). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsDispatcher) await this.#dispatcher.destroy();
  }
}

function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function abortError(signal: AbortSignal, what: string): KdiError {
  if (isKdiError(signal.reason)) return signal.reason;
  return new KdiError('CANCELLED', `${what} was cancelled by the caller; its outcome is unknown`, { cause: signal.reason });
}

function networkError(e: unknown, what: string, baseUrl: string, closed: boolean): KdiError {
  if (closed) return new KdiError('FAILED_PRECONDITION', `the client was closed while ${what} was in flight`, { cause: e });
  const code = errorCode(e);
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return new KdiError('DEADLINE_EXCEEDED', `${what} timed out (${code}); its outcome is unknown`, { cause: e });
  }
  if (code === undefined || NETWORK_CODES.has(code) || code.startsWith('UND_ERR_') || /^E[A-Z]+$/.test(code)) {
    const detail = code ?? (e instanceof Error ? e.message : String(e));
    return new KdiError('UNAVAILABLE', `lock service at ${baseUrl} could not be reached for ${what}: ${detail}`, { cause: e, details: { cause: detail } });
  }
  return new KdiError('INTERNAL', `${what} failed in the HTTP client: ${code}`, { cause: e });
}

/** The errno/undici code of an error or of its cause chain. */
function errorCode(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}
