// Blocking acquire (AcquireRequest.waitMs > 0). The store offers one
// attempt at a time; this loop retries while the outcome is one that time
// can change (held, lock-delay, safe-mode) until the deadline.
//
// Promises:
//  - no wake-up is missed: the revision is read BEFORE each attempt and the
//    wait is for a change after it, so a release that lands between the
//    attempt and the wait ends the wait at once;
//  - the call returns by the deadline (plus the time of one store call):
//    every wait is cut to the time left, and when the deadline passes the
//    last outcome is returned as it is;
//  - once `signal` aborts (the client went away, the server is closing) no
//    further attempt is made, so nobody is granted a lock it will never
//    hear about (a retry with the same requestId would get it anyway).

import type { LockMode } from '@kdi/protocol';
import type { AcquireOutcome, LockStore } from '../store/lock-store.js';

export interface BlockingAcquireRequest {
  readonly sessionId: string;
  readonly path: string;
  readonly mode: LockMode;
  readonly requestId: string;
  readonly waitMs: number;
}

export async function blockingAcquire(store: LockStore, req: BlockingAcquireRequest, opts: { readonly now: () => number; readonly signal: AbortSignal }): Promise<AcquireOutcome> {
  const attempt = () => store.acquire({ sessionId: req.sessionId, path: req.path, mode: req.mode, requestId: req.requestId });
  if (req.waitMs <= 0) return attempt();
  const deadline = opts.now() + req.waitMs;
  for (;;) {
    // With no cursor readEvents returns no events, only the current revision.
    const { revision } = await store.readEvents(undefined, 1);
    const outcome = await attempt();
    if (outcome.acquired) return outcome;
    const left = deadline - opts.now();
    if (left <= 0 || opts.signal.aborted) return outcome;
    // A lock-delay or safe mode ends by time, not by a change: sleep until it
    // may be over, but still wake on changes (the holder may have closed).
    const wait = outcome.retryAfterMs !== undefined && outcome.retryAfterMs > 0 ? Math.min(left, outcome.retryAfterMs) : left;
    await store.waitForChange(revision, wait, opts.signal);
    if (opts.signal.aborted) return outcome;
  }
}
