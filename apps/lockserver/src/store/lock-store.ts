// The lock store: the lock service's state and every change to it, behind
// one interface with two backends (DESIGN §8):
//  - redis-store: state in Redis, every change one Lua script, time from
//    Redis TIME, so several lock-server processes can share one Redis;
//  - embedded-store: the same state machine in-process (standalone mode),
//    non-ephemeral files persisted atomically under a data directory.
// Both run the one conformance suite (store-conformance.ts).
//
// What every backend promises:
//  - Every change is one atomic step, and takes the next value of one
//    revision counter that never goes down — not even across a Redis
//    restart that lost the data (a new incarnation starts the counter at
//    the store clock in microseconds, above any value handed out before).
//  - Each step first expires every session whose deadline has passed,
//    together with its locks and ephemeral files (and emits their events);
//    a lock freed by expiry is not granted again for the lock-delay.
//  - Lock grants return a sequencer whose generation is the grant's
//    revision; validateSequencer is true only while that exact grant holds.
//  - acquire is idempotent per (session, requestId): a retry of a grant
//    that succeeded returns the same sequencer.
//  - Data loss (Redis restarted without persistence) is detected by the
//    incarnation key; the store then refuses grants (safe mode) for
//    maxTtlMs + lockDelayMs, so an old holder's lease has run out before
//    anybody else gets its lock. The embedded store starts in safe mode for
//    the same reason (a restart loses its sessions and locks).
//  - Every change appends its events (in revision order) to an event log
//    kept for `eventRetention` events; readEvents says `reset` when the
//    caller's cursor is older than what is kept, or from another incarnation.
//
// Errors are KdiErrors from @kdi/protocol: NOT_FOUND (no such file or
// session — an expired session is gone), ALREADY_EXISTS, ABORTED
// (ifGeneration mismatch), FAILED_PRECONDITION (e.g. deleting a file another
// session holds locked, an ephemeral file without a live session),
// INVALID_ARGUMENT (contents too large, bad path), UNAVAILABLE (the
// backend cannot be reached; the outcome of the call is unknown).

import type { LockMode, Sequencer, WatchEvent } from '@kdi/protocol';

export interface LockStoreLimits {
  readonly minTtlMs: number;
  readonly maxTtlMs: number;
  /** Floor of the lock-delay; the delay for a lock is max(this, the expired session's TTL). */
  readonly lockDelayMs: number;
  readonly maxContentsBytes: number;
  /** How many recent events the log keeps for watchers. */
  readonly eventRetention: number;
}

export const DEFAULT_LOCK_STORE_LIMITS: LockStoreLimits = {
  minTtlMs: 1_000,
  maxTtlMs: 120_000,
  lockDelayMs: 10_000,
  maxContentsBytes: 256 * 1024,
  eventRetention: 10_000,
};

export interface SessionGrant {
  readonly sessionId: string;
  /** The lease actually granted (clamped to the limits). */
  readonly ttlMs: number;
  readonly lockDelayMs: number;
}

export interface LockHold {
  readonly mode: LockMode;
  /** Sequencer generations of the holders. */
  readonly holders: readonly number[];
}

export interface StoredFile {
  readonly path: string;
  readonly contents: Uint8Array;
  /** Revision of the last change to contents or existence (compare-and-set key). */
  readonly generation: number;
  /** Owning session of an ephemeral file. */
  readonly ephemeralOwner: string | undefined;
  readonly lock: LockHold | undefined;
  /** Milliseconds left of the lock-delay, when one applies. */
  readonly lockDelayRemainingMs: number;
}

export interface Read<T> {
  readonly value: T;
  /** The store's revision when it was read. */
  readonly revision: number;
}

export interface ChildEntry {
  readonly name: string;
  readonly path: string;
  readonly file: boolean;
  readonly children: boolean;
}

export type AcquireOutcome =
  { readonly acquired: true; readonly sequencer: Sequencer } | { readonly acquired: false; readonly reason: 'held' | 'lock-delay' | 'safe-mode'; readonly retryAfterMs?: number };

export interface EventBatch {
  /** Events with revision > the cursor, in order (at most the limit asked for). */
  readonly events: readonly WatchEvent[];
  /** Cursor to continue from: the last event's revision, or the store's revision when none. */
  readonly revision: number;
  /** The cursor is older than the kept history or from another incarnation: re-read state. */
  readonly reset: boolean;
}

export interface StoreStatus {
  readonly backend: 'redis' | 'embedded';
  readonly incarnation: string;
  readonly revision: number;
  readonly safeModeRemainingMs: number;
  readonly sessions: number;
}

export interface LockStore {
  readonly backend: 'redis' | 'embedded';
  readonly limits: LockStoreLimits;

  openSession(ttlMs: number | undefined): Promise<SessionGrant>;
  /** Extends the lease by the session's TTL from now; NOT_FOUND when the session is gone. */
  keepAlive(sessionId: string): Promise<SessionGrant>;
  /** Ends the session now: its locks are released (no lock-delay) and its ephemeral files deleted. */
  closeSession(sessionId: string): Promise<void>;

  /** Creates a file; with ephemeralOwner it vanishes with that (live) session. */
  createFile(path: string, contents: Uint8Array, opts?: { ephemeralOwner?: string }): Promise<Read<StoredFile>>;
  getFile(path: string): Promise<Read<StoredFile>>;
  setContents(path: string, contents: Uint8Array, opts?: { ifGeneration?: number }): Promise<Read<StoredFile>>;
  /** Deleting releases the caller's own lock on it; another session's lock refuses the delete. */
  deleteFile(path: string, opts?: { ifGeneration?: number; sessionId?: string }): Promise<void>;
  /** Immediate children of a directory (implicit directories included), sorted by name. */
  listChildren(dir: string): Promise<Read<ChildEntry[]>>;

  /** One attempt; waiting is the service layer's (it watches for lock-released). */
  acquire(req: { sessionId: string; path: string; mode: LockMode; requestId: string }): Promise<AcquireOutcome>;
  /** Releases this session's hold on the lock; false when it held none. */
  release(sessionId: string, path: string): Promise<boolean>;
  validateSequencer(s: Sequencer): Promise<{ valid: boolean; reason?: string }>;

  /** Events after `after` (undefined: none, just the current revision). */
  readEvents(after: number | undefined, limit: number): Promise<EventBatch>;
  /**
   * Resolves once the store's revision may have passed `after`, or after
   * `timeoutMs`, or when `signal` aborts — whichever is first. Spurious
   * wake-ups are allowed; callers re-read with readEvents.
   */
  waitForChange(after: number, timeoutMs: number, signal?: AbortSignal): Promise<void>;

  /** Expires sessions past their deadline (also done inside every other call). */
  expireSessions(): Promise<void>;
  status(): Promise<StoreStatus>;
  close(): Promise<void>;
}
