// LockClient: typed calls for every route of the lock service
// (libs/protocol/src/lock/lock-api.ts), each validated against the
// contract's schemas, each taking an AbortSignal, each failing only with a
// KdiError. Sessions with a keep-alive loop and lease accounting are
// LockSession (openSession); the helpers withLock, watchIter and
// SequencerChecker are built on these calls.
//
// Retries: reads, validations, acquire and release are repeated on
// retryable errors (acquire with the same requestId, so the server returns
// the grant it already made instead of making a second one). Creating,
// writing and deleting files are not: a DEADLINE_EXCEEDED or UNAVAILABLE
// from them means "outcome unknown", and the caller decides.

import { randomUUID } from 'node:crypto';
import {
  AcquireResultSchema,
  DirListingSchema,
  FileInfoSchema,
  KdiError,
  LockServiceStatusSchema,
  ReleaseResultSchema,
  SessionInfoSchema,
  ValidateResultSchema,
  WatchResultSchema,
  lockPathProblem,
  type AcquireResult,
  type DirListing,
  type FileInfo,
  type LockMode,
  type LockServiceStatus,
  type ReleaseResult,
  type Sequencer,
  type SessionInfo,
  type ValidateResult,
  type WatchResult,
} from '@kdi/protocol';
import { HttpTransport, type RequestSpec } from '../http/http-transport.js';
import { DEFAULT_RETRY_POLICY, withRetries, type RetryPolicy } from '../http/retry.js';
import { clockFromMonotonic, systemClock, type Clock } from '@kdi/primitives';
import { encodeContents, type Contents } from './contents.js';
import { LOCK_CLIENT_DEFAULTS, MAX_SERVER_WAIT_MS, type LockClientOptions } from './lock-client-options.js';
import { LockSession } from './lock-session.js';
import { watchIter, type WatchIterOptions, type WatchItem } from './watch-iter.js';

export interface CallOptions {
  readonly signal?: AbortSignal | undefined;
}

export interface OpenSessionOptions extends CallOptions {
  readonly ttlMs?: number;
  readonly keepAliveIntervalMs?: number;
}

export interface CreateFileOptions extends CallOptions {
  readonly contents?: Contents;
  /** Deleted when the session ends; requires sessionId. */
  readonly ephemeral?: boolean;
  readonly sessionId?: string;
}

export interface AcquireOptions extends CallOptions {
  readonly sessionId: string;
  readonly mode?: LockMode;
  /** 0 = try once; otherwise the server waits up to this long (≤ 60 s) for the lock. */
  readonly waitMs?: number;
  /** Identifies this logical acquire across retries; generated when omitted. */
  readonly requestId?: string;
}

export interface WatchOptions extends CallOptions {
  readonly path: string;
  readonly recursive?: boolean;
  /** Events with a revision above this; omitted = from now on. */
  readonly after?: number;
  /** How long the server may hold the poll when nothing happens (≤ 60 s). */
  readonly timeoutMs?: number;
}

export class LockClient {
  readonly url: string;
  readonly clock: Clock;
  readonly ttlMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveIntervalMs: number | undefined;
  readonly watchPollMs: number;
  readonly #http: HttpTransport;
  readonly #retry: RetryPolicy;

  constructor(opts: LockClientOptions) {
    this.requestTimeoutMs = opts.requestTimeoutMs ?? LOCK_CLIENT_DEFAULTS.requestTimeoutMs;
    this.#http = new HttpTransport({
      url: opts.url,
      secret: opts.secret,
      requestTimeoutMs: this.requestTimeoutMs,
      dispatcher: opts.pool?.dispatcher,
      connections: opts.pool?.connections,
      keepAliveTimeoutMs: opts.pool?.keepAliveTimeoutMs,
      connectTimeoutMs: opts.pool?.connectTimeoutMs,
    });
    this.url = this.#http.baseUrl;
    this.clock = opts.clock === undefined ? systemClock : typeof opts.clock === 'function' ? clockFromMonotonic(opts.clock) : opts.clock;
    this.ttlMs = positive('ttlMs', opts.ttlMs ?? LOCK_CLIENT_DEFAULTS.ttlMs);
    this.keepAliveIntervalMs = opts.keepAliveIntervalMs === undefined ? undefined : positive('keepAliveIntervalMs', opts.keepAliveIntervalMs);
    this.watchPollMs = Math.min(MAX_SERVER_WAIT_MS, opts.watchPollMs ?? LOCK_CLIENT_DEFAULTS.watchPollMs);
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
  }

  // ---- sessions ---------------------------------------------------------

  /**
   * Opens a session and starts its keep-alive loop. The lease is counted
   * from when this call was sent, on the monotonic clock.
   */
  openSession(opts: OpenSessionOptions = {}): Promise<LockSession> {
    return LockSession.open(this, {
      ttlMs: opts.ttlMs ?? this.ttlMs,
      keepAliveIntervalMs: opts.keepAliveIntervalMs ?? this.keepAliveIntervalMs,
      signal: opts.signal,
    });
  }

  /** POST /v1/sessions — the bare call; openSession also keeps the session alive. */
  async createSession(opts: { ttlMs?: number } & CallOptions = {}): Promise<SessionInfo> {
    return this.#call({ method: 'POST', path: '/v1/sessions', body: opts.ttlMs === undefined ? {} : { ttlMs: opts.ttlMs }, schema: SessionInfoSchema, signal: opts.signal });
  }

  /** POST /v1/sessions/{id}/keepalive — one attempt; NOT_FOUND when the session is gone. */
  async keepAlive(sessionId: string, opts: CallOptions = {}): Promise<SessionInfo> {
    return this.#call({ method: 'POST', path: `/v1/sessions/${encodeURIComponent(sessionId)}/keepalive`, schema: SessionInfoSchema, signal: opts.signal });
  }

  /** DELETE /v1/sessions/{id} — releases its locks and deletes its ephemeral files. */
  async closeSession(sessionId: string, opts: CallOptions = {}): Promise<void> {
    return this.#call({ method: 'DELETE', path: `/v1/sessions/${encodeURIComponent(sessionId)}`, signal: opts.signal });
  }

  // ---- files ------------------------------------------------------------

  /** ALREADY_EXISTS when the file exists. Not retried (outcome unknown on timeouts). */
  async createFile(path: string, opts: CreateFileOptions = {}): Promise<FileInfo> {
    const body = {
      ...encodeContents(opts.contents ?? ''),
      ...(opts.ephemeral !== undefined && { ephemeral: opts.ephemeral }),
      ...(opts.sessionId !== undefined && { sessionId: opts.sessionId }),
    };
    return this.#call({ method: 'POST', path: filePath('/v1/files', path), body, schema: FileInfoSchema, signal: opts.signal });
  }

  /** The file with its contents in `encoding` (default utf8); NOT_FOUND when absent. */
  async getFile(path: string, opts: { encoding?: 'utf8' | 'base64' } & CallOptions = {}): Promise<FileInfo> {
    const q = opts.encoding ? `?encoding=${opts.encoding}` : '';
    return this.#retried(opts.signal, { method: 'GET', path: filePath('/v1/files', path) + q, schema: FileInfoSchema, signal: opts.signal });
  }

  /** Replaces the contents; with ifGeneration only if the file's generation still is that (ABORTED otherwise). */
  async setContents(path: string, contents: Contents, opts: { ifGeneration?: number } & CallOptions = {}): Promise<FileInfo> {
    const body = { ...encodeContents(contents), ...(opts.ifGeneration !== undefined && { ifGeneration: opts.ifGeneration }) };
    return this.#call({ method: 'PUT', path: filePath('/v1/files', path), body, schema: FileInfoSchema, signal: opts.signal });
  }

  /** FAILED_PRECONDITION when another session holds its lock; pass your sessionId to delete a file you hold. */
  async deleteFile(path: string, opts: { ifGeneration?: number; sessionId?: string } & CallOptions = {}): Promise<void> {
    return this.#call({ method: 'DELETE', path: filePath('/v1/files', path) + query({ ifGeneration: opts.ifGeneration, sessionId: opts.sessionId }), signal: opts.signal });
  }

  /** The file without its contents. */
  async stat(path: string, opts: CallOptions = {}): Promise<FileInfo> {
    return this.#retried(opts.signal, { method: 'GET', path: filePath('/v1/stat', path), schema: FileInfoSchema, signal: opts.signal });
  }

  /** Immediate children of a directory ('/' for the root). */
  async list(dir: string, opts: CallOptions = {}): Promise<DirListing> {
    const path = dir === '/' ? '/v1/dirs' : filePath('/v1/dirs', dir);
    return this.#retried(opts.signal, { method: 'GET', path, schema: DirListingSchema, signal: opts.signal });
  }

  // ---- locks --------------------------------------------------------------

  /**
   * One logical acquire. Its requestId (generated unless given) is reused
   * on every retry, so a grant whose answer was lost is not made twice.
   */
  async acquire(path: string, opts: AcquireOptions): Promise<AcquireResult> {
    const waitMs = opts.waitMs ?? 0;
    if (!(waitMs >= 0 && waitMs <= MAX_SERVER_WAIT_MS)) {
      throw new KdiError('INVALID_ARGUMENT', `waitMs must be 0..${MAX_SERVER_WAIT_MS}, got ${waitMs}`);
    }
    const body = { sessionId: opts.sessionId, mode: opts.mode ?? 'exclusive', requestId: opts.requestId ?? randomUUID(), waitMs: Math.floor(waitMs) };
    return this.#retried(opts.signal, { method: 'POST', path: filePath('/v1/locks', path), body, schema: AcquireResultSchema, signal: opts.signal, serverWaitMs: waitMs });
  }

  /** Releases the session's hold; `released: false` when it held none (also after a retried release). */
  async release(path: string, opts: { sessionId: string } & CallOptions): Promise<ReleaseResult> {
    return this.#retried(opts.signal, {
      method: 'DELETE',
      path: filePath('/v1/locks', path) + query({ sessionId: opts.sessionId }),
      schema: ReleaseResultSchema,
      signal: opts.signal,
    });
  }

  /** Whether exactly this grant still holds (receivers of privileged calls reject stale sequencers). */
  async validateSequencer(sequencer: Sequencer, opts: CallOptions = {}): Promise<ValidateResult> {
    return this.#retried(opts.signal, { method: 'POST', path: '/v1/sequencers/validate', body: { sequencer }, schema: ValidateResultSchema, signal: opts.signal });
  }

  // ---- watches and status ------------------------------------------------

  /** One long poll: events after `after`, or an empty batch when `timeoutMs` passes quietly. */
  async watch(opts: WatchOptions): Promise<WatchResult> {
    const problem = lockPathProblem(opts.path, { allowRoot: true });
    if (problem) throw new KdiError('INVALID_ARGUMENT', `watch path: ${problem}`, { details: { path: opts.path } });
    const timeoutMs = Math.min(MAX_SERVER_WAIT_MS, opts.timeoutMs ?? this.watchPollMs);
    const q = query({ path: opts.path, recursive: opts.recursive ? 'true' : undefined, after: opts.after, timeoutMs });
    return this.#retried(opts.signal, { method: 'GET', path: `/v1/watch${q}`, schema: WatchResultSchema, signal: opts.signal, serverWaitMs: timeoutMs });
  }

  /** Every event under `path`, in order, polling for ever; see watch-iter.ts. */
  watchIter(path: string, opts: WatchIterOptions = {}): AsyncGenerator<WatchItem, void, undefined> {
    return watchIter(this, path, opts);
  }

  async status(opts: CallOptions = {}): Promise<LockServiceStatus> {
    return this.#retried(opts.signal, { method: 'GET', path: '/v1/status', schema: LockServiceStatusSchema, signal: opts.signal });
  }

  /** Closes the connection pool. Sessions are not closed (close them first). */
  close(): Promise<void> {
    return this.#http.close();
  }

  #call<T>(spec: RequestSpec<T>): Promise<T> {
    return this.#http.request(spec);
  }

  #retried<T>(signal: AbortSignal | undefined, spec: RequestSpec<T>): Promise<T> {
    return withRetries(this.#retry, signal, () => this.#http.request(spec));
  }
}

/** `/v1/files` + `/kdi/root` → `/v1/files/kdi/root`, after checking the path. */
function filePath(prefix: string, path: string): string {
  const problem = lockPathProblem(path);
  if (problem) throw new KdiError('INVALID_ARGUMENT', problem, { details: { path } });
  return `${prefix}/${path.slice(1).split('/').map(encodeURIComponent).join('/')}`;
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw new KdiError('INVALID_ARGUMENT', `${name} must be a positive number of milliseconds, got ${value}`);
  return value;
}
