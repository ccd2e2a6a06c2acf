// A lock-service session kept alive by this client, and the lease the
// client may rely on (DESIGN §8 "clients fence themselves").
//
// Lease accounting, on the client's MONOTONIC clock:
//   leaseDeadline = sentAt + ttlMs
// where sentAt is when the successful keep-alive (or the open) was SENT,
// not when its answer came. The server extends the session by ttlMs from
// when it handled the call, which is after sentAt, so the client's deadline
// is never later than the server's: while isLive() is true the server still
// holds this session's locks. A keep-alive answered after the deadline does
// not revive the session.
//
// States and events:
//   safe ──keep-alive fails or times out──▶ jeopardy   (event 'jeopardy')
//   jeopardy ──a keep-alive succeeds──▶ safe           ('safe', then 'reconnected')
//   safe|jeopardy ──deadline passes, or the server says NOT_FOUND──▶ expired ('expired')
//   safe|jeopardy ──close()──▶ closed                  ('closed')
// In jeopardy the loop retries with backoff until the deadline. expired and
// closed are final: every method that needs the session then rejects with
// FAILED_PRECONDITION. After 'reconnected' the session re-validates the
// locks it holds and emits 'lock-lost' for any whose sequencer is no longer
// valid (defence in depth: a server that lost its data answers NOT_FOUND).

import { isKdiError, KdiError, type AcquireResult, type FileInfo, type LockMode, type Sequencer, type SessionInfo } from '@kdi/protocol';
import { TypedEmitter } from '../events/typed-emitter.js';
import { linkSignals } from '../events/signals.js';
import type { Clock } from '@kdi/primitives';
import type { Contents } from './contents.js';
import type { CallOptions, LockClient } from './lock-client.js';
import { withLock, type LockedFn, type WithLockOptions } from './with-lock.js';

export type SessionState = 'safe' | 'jeopardy' | 'expired' | 'closed';

export interface SessionEvents {
  /** A keep-alive failed; the lease still runs for leaseRemainingMs. */
  jeopardy: { readonly error: KdiError; readonly leaseRemainingMs: number };
  /** A keep-alive succeeded after jeopardy. */
  safe: { readonly leaseRemainingMs: number };
  /** Emitted right after 'safe': re-read whatever state you rely on. */
  reconnected: { readonly leaseRemainingMs: number };
  /** The lease is over; every lock and ephemeral file of the session is (or will be) gone. */
  expired: { readonly reason: 'lease-ran-out' | 'session-gone'; readonly error?: KdiError };
  /** A lock this session held turned out no longer valid after a reconnect. */
  'lock-lost': { readonly sequencer: Sequencer; readonly reason: string };
  closed: { readonly sessionId: string };
}

interface SessionTiming {
  readonly ttlMs: number;
  readonly keepAliveIntervalMs: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

export class LockSession extends TypedEmitter<SessionEvents> {
  readonly client: LockClient;
  readonly id: string;
  /** Lock-delay the server applies to locks this session loses by expiry. */
  readonly lockDelayMs: number;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #stop = new AbortController();
  readonly #held = new Map<string, Sequencer>();
  #ttlMs: number;
  #deadline: number;
  #state: SessionState = 'safe';

  /** Opens a session on the service and starts keeping it alive. */
  static async open(client: LockClient, timing: SessionTiming): Promise<LockSession> {
    const sentAt = client.clock.monotonicMs();
    const info = await client.createSession({ ttlMs: timing.ttlMs, signal: timing.signal });
    const session = new LockSession(client, info, sentAt, timing.keepAliveIntervalMs);
    if (!session.isLive()) {
      // The answer came after the lease it granted had run out.
      void client.closeSession(info.sessionId).catch(() => undefined);
      session.#expire('lease-ran-out');
      throw new KdiError('DEADLINE_EXCEEDED', `session ${info.sessionId} was granted for ${info.ttlMs} ms but the answer took longer; try a longer ttlMs`);
    }
    session.#start();
    return session;
  }

  private constructor(client: LockClient, info: SessionInfo, sentAt: number, intervalMs: number | undefined) {
    super();
    this.client = client;
    this.#clock = client.clock;
    this.id = info.sessionId;
    this.lockDelayMs = info.lockDelayMs;
    this.#ttlMs = info.ttlMs;
    this.#deadline = sentAt + info.ttlMs;
    // An interval at or past the lease would let it lapse between keep-alives.
    this.#intervalMs = Math.max(1, Math.min(intervalMs ?? info.ttlMs / 3, info.ttlMs / 2));
  }

  get state(): SessionState {
    return this.#state;
  }

  /** The lease granted by the last successful keep-alive. */
  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** When the lease ends, on the client's monotonic clock. */
  get leaseDeadline(): number {
    return this.#deadline;
  }

  /**
   * True while the server is certain to still hold this session (and its
   * locks). Computed from the clock on every call, so it turns false at the
   * deadline even if the timer that emits 'expired' has not run yet.
   */
  isLive(): boolean {
    return (this.#state === 'safe' || this.#state === 'jeopardy') && this.#clock.monotonicMs() < this.#deadline;
  }

  /** Milliseconds of lease left; 0 once not live. */
  leaseRemainingMs(): number {
    return this.isLive() ? this.#deadline - this.#clock.monotonicMs() : 0;
  }

  /** Throws FAILED_PRECONDITION unless live: call before acknowledging anything the lease protects. */
  assertLive(): void {
    if (this.isLive()) return;
    const why = this.#state === 'closed' ? 'was closed' : this.#state === 'expired' ? 'has expired' : 'ran out of lease';
    throw new KdiError('FAILED_PRECONDITION', `lock-service session ${this.id} ${why}; open a new session`, {
      details: { sessionId: this.id, state: this.#state },
    });
  }

  /** Locks acquired through this session and not released, by path. */
  heldLocks(): ReadonlyMap<string, Sequencer> {
    return new Map(this.#held);
  }

  // ---- calls on behalf of the session -----------------------------------

  /** One logical acquire (retries reuse its requestId); records the grant for re-validation. */
  async acquire(path: string, opts: { mode?: LockMode; waitMs?: number; requestId?: string } & CallOptions = {}): Promise<AcquireResult> {
    this.assertLive();
    const result = await this.client.acquire(path, { ...opts, sessionId: this.id });
    if (result.acquired) {
      // A grant that arrives after the lease ran out protects nothing.
      this.assertLive();
      this.#held.set(path, result.sequencer);
    }
    return result;
  }

  async release(path: string, opts: CallOptions = {}): Promise<boolean> {
    this.assertLive();
    this.#held.delete(path);
    const { released } = await this.client.release(path, { sessionId: this.id, signal: opts.signal });
    return released;
  }

  /** Creates a file; ephemeral ones vanish with this session. */
  async createFile(path: string, opts: { contents?: Contents; ephemeral?: boolean } & CallOptions = {}): Promise<FileInfo> {
    this.assertLive();
    return this.client.createFile(path, { ...opts, sessionId: this.id });
  }

  /** Deletes a file (one this session holds locked included). */
  async deleteFile(path: string, opts: { ifGeneration?: number } & CallOptions = {}): Promise<void> {
    this.assertLive();
    await this.client.deleteFile(path, { ...opts, sessionId: this.id });
    this.#held.delete(path);
  }

  /** Holds `path` locked while `fn` runs; see with-lock.ts. */
  withLock<T>(path: string, fn: LockedFn<T>, opts: WithLockOptions = {}): Promise<T> {
    return withLock(this, path, fn, opts);
  }

  /** Ends the session on the server (its locks and ephemeral files go now). Idempotent. */
  async close(opts: CallOptions = {}): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'expired') return;
    this.#state = 'closed';
    this.#held.clear();
    this.#stop.abort(new KdiError('FAILED_PRECONDITION', `lock-service session ${this.id} was closed`));
    this.emit('closed', { sessionId: this.id });
    try {
      await this.client.closeSession(this.id, opts);
    } catch (e) {
      if (!(isKdiError(e) && e.code === 'NOT_FOUND')) throw e;
    }
  }

  // ---- the keep-alive loop -----------------------------------------------

  #start(): void {
    void this.#keepAliveLoop();
    void this.#deadlineWatch();
  }

  /** Expires the session when the clock reaches the deadline (re-arming when keep-alives move it). */
  async #deadlineWatch(): Promise<void> {
    while (this.#state === 'safe' || this.#state === 'jeopardy') {
      const left = this.#deadline - this.#clock.monotonicMs();
      if (left <= 0) {
        this.#expire('lease-ran-out');
        return;
      }
      try {
        await this.#clock.sleep(left, this.#stop.signal);
      } catch {
        return;
      }
    }
  }

  async #keepAliveLoop(): Promise<void> {
    const firstBackoff = Math.max(5, Math.min(100, this.#intervalMs / 4));
    let backoff = firstBackoff;
    let delay = this.#intervalMs;
    while (this.#state === 'safe' || this.#state === 'jeopardy') {
      try {
        await this.#clock.sleep(delay, this.#stop.signal);
      } catch {
        return;
      }
      const sentAt = this.#clock.monotonicMs();
      if (sentAt >= this.#deadline) {
        this.#expire('lease-ran-out');
        return;
      }
      try {
        const info = await this.#sendKeepAlive(sentAt);
        if (this.#state !== 'safe' && this.#state !== 'jeopardy') return;
        if (this.#clock.monotonicMs() >= this.#deadline) {
          this.#expire('lease-ran-out');
          return;
        }
        this.#ttlMs = info.ttlMs;
        this.#deadline = Math.max(this.#deadline, sentAt + info.ttlMs);
        backoff = firstBackoff;
        delay = this.#intervalMs;
        if (this.#state === 'jeopardy') this.#reconnected();
      } catch (e) {
        if (this.#state !== 'safe' && this.#state !== 'jeopardy') return;
        const error = isKdiError(e) ? e : new KdiError('INTERNAL', 'keep-alive failed', { cause: e });
        if (error.code === 'NOT_FOUND') {
          this.#expire('session-gone', error);
          return;
        }
        const left = this.#deadline - this.#clock.monotonicMs();
        if (left <= 0) {
          this.#expire('lease-ran-out', error);
          return;
        }
        if (this.#state === 'safe') {
          this.#state = 'jeopardy';
          this.emit('jeopardy', { error, leaseRemainingMs: left });
        }
        delay = Math.min(backoff, left);
        backoff = Math.min(backoff * 2, this.#intervalMs);
      }
    }
  }

  /**
   * One keep-alive, given up (DEADLINE_EXCEEDED) after the smallest of the
   * request timeout, the keep-alive interval and the lease left — measured
   * on the session's clock, so a stalled call cannot hold the loop past
   * the deadline.
   */
  async #sendKeepAlive(sentAt: number): Promise<SessionInfo> {
    const limit = Math.max(1, Math.min(this.client.requestTimeoutMs, this.#intervalMs, this.#deadline - sentAt));
    const attempt = linkSignals(this.#stop.signal);
    const timedOut = new KdiError('DEADLINE_EXCEEDED', `keep-alive of session ${this.id} got no answer within ${Math.round(limit)} ms`);
    this.#clock.sleep(limit, attempt.signal).then(
      () => attempt.abort(timedOut),
      () => undefined,
    );
    try {
      return await this.client.keepAlive(this.id, { signal: attempt.signal });
    } finally {
      attempt.abort();
      attempt.dispose();
    }
  }

  #reconnected(): void {
    this.#state = 'safe';
    const leaseRemainingMs = this.leaseRemainingMs();
    this.emit('safe', { leaseRemainingMs });
    this.emit('reconnected', { leaseRemainingMs });
    void this.#revalidateHeld();
  }

  /** After a reconnect: are the locks we think we hold still ours? */
  async #revalidateHeld(): Promise<void> {
    for (const [path, sequencer] of [...this.#held]) {
      let valid: boolean;
      let reason: string;
      try {
        const r = await this.client.validateSequencer(sequencer, { signal: this.#stop.signal });
        valid = r.valid;
        reason = r.reason ?? 'the service no longer recognises this grant';
      } catch {
        // Unreachable again: the next reconnect checks again, and expiry covers the rest.
        return;
      }
      if (!this.isLive()) return;
      if (!valid && this.#held.get(path) === sequencer) {
        this.#held.delete(path);
        this.emit('lock-lost', { sequencer, reason });
      }
    }
  }

  #expire(reason: 'lease-ran-out' | 'session-gone', error?: KdiError): void {
    if (this.#state === 'expired' || this.#state === 'closed') return;
    this.#state = 'expired';
    this.#held.clear();
    this.#stop.abort(new KdiError('FAILED_PRECONDITION', `lock-service session ${this.id} expired (${reason})`));
    // The session is deliberately not closed on the server: its expiry
    // there applies the lock-delay, which guards receivers against requests
    // this process sent before it noticed; a close would skip it.
    this.emit('expired', error ? { reason, error } : { reason });
  }
}
