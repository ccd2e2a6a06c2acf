// LockClient options: a typed interface plus one defaults object
// (STYLE, after ioredis and pg).

import type { Dispatcher } from 'undici';
import type { RetryPolicy } from '../http/retry.js';
import type { Clock } from '@kdi/primitives';

export interface LockClientOptions {
  /** The lock service, e.g. http://127.0.0.1:7100. */
  readonly url: string;
  /** The cluster secret (DESIGN §14), sent as a bearer token. */
  readonly secret?: string;
  /** Lease asked for when opening a session; the server clamps it to its limits. */
  readonly ttlMs?: number;
  /** Time allowed for one call beyond any wait the server is asked to do. */
  readonly requestTimeoutMs?: number;
  /** How often a session sends keep-alives; default a third of the granted TTL. */
  readonly keepAliveIntervalMs?: number;
  /**
   * Time for lease accounting (its monotonic reading and sleep); default
   * systemClock. A bare function is a monotonic ms reading used with real timers.
   */
  readonly clock?: Clock | (() => number);
  /** Retrying of calls that are safe to repeat. */
  readonly retry?: Partial<RetryPolicy>;
  /** How long one watch long-poll asks the server to wait (≤ 60 s). */
  readonly watchPollMs?: number;
  /** Connection pool (undici). */
  readonly pool?: {
    /** Share an existing dispatcher (Agent, Pool); it is not closed with the client. */
    readonly dispatcher?: Dispatcher;
    /** Max sockets; default unlimited so long polls never hold up keep-alives. */
    readonly connections?: number | null;
    readonly keepAliveTimeoutMs?: number;
    readonly connectTimeoutMs?: number;
  };
}

export const LOCK_CLIENT_DEFAULTS = {
  ttlMs: 10_000,
  requestTimeoutMs: 5_000,
  watchPollMs: 30_000,
} as const;

/** The server caps lock waits and watch polls at this (lock-api.ts). */
export const MAX_SERVER_WAIT_MS = 60_000;
