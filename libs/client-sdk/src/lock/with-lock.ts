// "Hold this lock while running": acquire (creating the lock file when
// asked), run the caller's function with the grant's sequencer and a signal
// that aborts the moment the hold can no longer be trusted, release after.
//
// What withLock promises:
//  - fn runs only after the grant, and the lock is released when fn
//    settles (returns or throws), whatever the caller's signal did.
//  - calls on one session for one path take turns locally first (the
//    service grants a path once per session, so a second concurrent call
//    would otherwise be refused rather than wait); the local wait counts
//    against waitMs.
//  - `signal` given to fn aborts when the session expires or is closed (the
//    lease is over, so the lock may be someone else's), when a re-validation
//    after a reconnect finds the sequencer stale, or when the caller's own
//    signal aborts. The reason is a KdiError (FAILED_PRECONDITION for loss).
//  - withLock resolves only if the hold was never seen lost while fn ran:
//    when fn returns normally after a loss, withLock rejects with the loss.
//  - fn's own error wins over a release failure; after a successful fn a
//    release failure is thrown (the lock may stay held until the session ends).
// Writes made under the lock should still carry `sequencer` so receivers can
// reject them once stale — the signal only tells this process.

import { isKdiError, KdiError, type LockMode, type Sequencer } from '@kdi/protocol';
import { linkSignals } from '../events/signals.js';
import { abortableDelay } from '../http/retry.js';
import { MAX_SERVER_WAIT_MS } from './lock-client-options.js';
import type { LockSession, SessionEvents } from './lock-session.js';

export interface WithLockOptions {
  readonly mode?: LockMode;
  /** Total time to wait for the lock (default 0: try once). Longer than 60 s is done in several waits. */
  readonly waitMs?: number;
  /** Create the lock file (empty, not ephemeral) when it does not exist. */
  readonly createIfMissing?: boolean;
  /** Cancels waiting for the lock and is passed on (linked) to fn. */
  readonly signal?: AbortSignal;
}

export interface LockContext {
  readonly sequencer: Sequencer;
  /** Aborts when the hold is lost or the caller cancels; see the header. */
  readonly signal: AbortSignal;
  readonly session: LockSession;
}

export type LockedFn<T> = (ctx: LockContext) => Promise<T> | T;

/** How long to pause between tries when the service gives no retryAfterMs. */
const RETRY_PAUSE_MS = 50;

/** Per session and path, the tail of the local queue of withLock calls. */
const turns = new WeakMap<LockSession, Map<string, Promise<void>>>();

export async function withLock<T>(session: LockSession, path: string, fn: LockedFn<T>, opts: WithLockOptions = {}): Promise<T> {
  session.assertLive();
  const waitMs = opts.waitMs ?? 0;
  if (!(waitMs >= 0)) throw new KdiError('INVALID_ARGUMENT', `waitMs must be a non-negative number of milliseconds, got ${waitMs}`);
  const started = performance.now();
  const endTurn = await takeTurn(session, path, waitMs, opts.signal);
  try {
    return await holdAndRun(session, path, fn, opts, Math.max(0, waitMs - (performance.now() - started)));
  } finally {
    endTurn();
  }
}

async function holdAndRun<T>(session: LockSession, path: string, fn: LockedFn<T>, opts: WithLockOptions, waitMs: number): Promise<T> {
  if (opts.createIfMissing) {
    try {
      await session.client.createFile(path, { signal: opts.signal });
    } catch (e) {
      if (!(isKdiError(e) && e.code === 'ALREADY_EXISTS')) throw e;
    }
  }
  const sequencer = await acquireWithin(session, path, opts.mode ?? 'exclusive', waitMs, opts.signal);

  const linked = linkSignals(opts.signal);
  let lost: KdiError | undefined;
  const loseHold = (why: string): void => {
    if (lost) return;
    lost = new KdiError('FAILED_PRECONDITION', `lock ${path} (generation ${sequencer.generation}) was lost: ${why}`, {
      details: { path, generation: sequencer.generation, reason: why },
    });
    linked.abort(lost);
  };
  const onExpired = (e: SessionEvents['expired']): void => loseHold(`session ${session.id} expired (${e.reason})`);
  const onClosed = (): void => loseHold(`session ${session.id} was closed`);
  const onLockLost = (e: SessionEvents['lock-lost']): void => {
    if (e.sequencer.path === path && e.sequencer.generation === sequencer.generation) loseHold(e.reason);
  };
  session.on('expired', onExpired).on('closed', onClosed).on('lock-lost', onLockLost);
  // The session may have died between the grant and the subscription.
  if (!session.isLive()) loseHold(`session ${session.id} is no longer live`);

  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    const value = await fn({ sequencer, signal: linked.signal, session });
    outcome = lost ? { ok: false, error: lost } : { ok: true, value };
  } catch (e) {
    outcome = { ok: false, error: e };
  } finally {
    session.off('expired', onExpired).off('closed', onClosed).off('lock-lost', onLockLost);
    linked.dispose();
  }

  let releaseError: unknown;
  if (session.isLive()) {
    try {
      await session.release(path);
    } catch (e) {
      releaseError = e;
    }
  }
  if (!outcome.ok) throw outcome.error;
  if (releaseError !== undefined) throw releaseError;
  return outcome.value;
}

/** Acquires within `waitMs` (real time), in server waits of at most 60 s; UNAVAILABLE when it cannot. */
async function acquireWithin(session: LockSession, path: string, mode: LockMode, waitMs: number, signal: AbortSignal | undefined): Promise<Sequencer> {
  const deadline = performance.now() + waitMs;
  for (;;) {
    const left = Math.max(0, deadline - performance.now());
    // Each try is its own logical acquire (a fresh requestId): the previous one was not granted.
    const result = await session.acquire(path, { mode, waitMs: Math.floor(Math.min(left, MAX_SERVER_WAIT_MS)), signal });
    if (result.acquired) return result.sequencer;
    const stillLeft = deadline - performance.now();
    if (stillLeft <= 0) {
      throw new KdiError('UNAVAILABLE', `lock ${path} was not granted within ${waitMs} ms (${result.reason})`, {
        ...(result.retryAfterMs !== undefined && { retryAfterMs: result.retryAfterMs }),
        details: { path, reason: result.reason },
      });
    }
    await abortableDelay(Math.min(stillLeft, result.retryAfterMs ?? RETRY_PAUSE_MS), signal);
  }
}

/**
 * Waits (up to waitMs) for earlier withLock calls of this session on this
 * path to finish; returns the function that lets the next one in.
 */
async function takeTurn(session: LockSession, path: string, waitMs: number, signal: AbortSignal | undefined): Promise<() => void> {
  let queue = turns.get(session);
  if (!queue) turns.set(session, (queue = new Map()));
  const previous = queue.get(path) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((resolve) => (done = resolve));
  const tail = previous.then(() => mine);
  queue.set(path, tail);
  void tail.then(() => {
    if (queue.get(path) === tail) queue.delete(path);
  });
  try {
    await waitForTurn(previous, path, waitMs, signal);
  } catch (e) {
    // Give up the place in line; later calls still wait for `previous`.
    done();
    throw e;
  }
  return done;
}

function waitForTurn(previous: Promise<void>, path: string, waitMs: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const finish = (error?: unknown): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onAbort = (): void =>
      finish(isKdiError(signal?.reason) ? signal.reason : new KdiError('CANCELLED', `cancelled while waiting for lock ${path}`, { cause: signal?.reason }));
    // A free path resolves `previous` in a microtask, before this timer can fire.
    const timer = setTimeout(
      () => finish(new KdiError('UNAVAILABLE', `lock ${path} is held by another withLock of this session for longer than ${waitMs} ms`, { details: { path, reason: 'held' } })),
      waitMs,
    );
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    void previous.then(() => finish());
  });
}
