// Retrying routed calls (DESIGN §12): WRONG_TABLET, a refused or reset
// connection, UNAVAILABLE and RESOURCE_EXHAUSTED are retried with
// exponential backoff and full jitter (a pause drawn uniformly from
// [0, min(max, initial·2^attempt)], never below the server's retryAfterMs)
// until the call's deadline. A WRONG_TABLET that carries a location hint
// (the server looked the row up in META) is retried at once the first
// time: the cached range is dropped and META read again, which now names
// the new server and the tablet's bounds. The pure part (which errors, how long) is
// here; the loop sleeps on the call's scope so an abort or the deadline
// ends it at once.

import { isKdiError, KdiError, LocationHintSchema } from '@kdi/protocol';
import type { CallScope } from './call-scope.js';

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 20, maxMs: 1_000 };

/** The pause before retry number `attempt` (0-based); `random` in [0, 1). */
export function backoffMs(attempt: number, policy: BackoffPolicy, random: () => number, retryAfterMs = 0): number {
  const cap = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, 30));
  return Math.max(retryAfterMs, Math.floor(random() * cap));
}

/** Codes after which a routed call is worth repeating (after refreshing locations where it says so). */
const ROUTING_RETRY = new Set(['WRONG_TABLET', 'UNAVAILABLE', 'RESOURCE_EXHAUSTED']);

/** Whether a routed call that failed with `e` may be tried again (the request was refused or never arrived). */
export function isRoutingRetry(e: unknown): e is KdiError {
  return isKdiError(e) && ROUTING_RETRY.has(e.code);
}

/**
 * Whether a request certainly did not reach the server (the connection was
 * refused), so even a non-idempotent call may be sent again.
 */
export function notSent(e: KdiError): boolean {
  return e.code === 'UNAVAILABLE' && e.details?.['cause'] === 'ECONNREFUSED';
}

/**
 * Whether `e` is a WRONG_TABLET whose location hint names a server: META
 * already has the tablet's new location, so the first retry need not wait.
 */
export function hasLocationHint(e: unknown): boolean {
  return isKdiError(e) && e.code === 'WRONG_TABLET' && LocationHintSchema.safeParse(e.details?.['locationHint']).success;
}

/**
 * Runs `attempt` until it succeeds, fails with an error `retry` refuses,
 * or the scope ends (its error — DEADLINE_EXCEEDED or CANCELLED — wins,
 * with the last failure as its cause in the message).
 */
export async function retryUntilDeadline<T>(
  scope: CallScope,
  policy: BackoffPolicy,
  attempt: (n: number) => Promise<T>,
  retry: (e: unknown) => boolean = isRoutingRetry,
  random: () => number = Math.random,
): Promise<T> {
  let last: unknown;
  for (let n = 0; ; n++) {
    if (scope.aborted) throw withLastFailure(scope.reason, last);
    try {
      return await attempt(n);
    } catch (e) {
      if (scope.aborted) throw withLastFailure(scope.reason, last);
      if (!retry(e)) throw e;
      last = e;
      const after = isKdiError(e) ? (e.retryAfterMs ?? 0) : 0;
      // The first retry after a hinted WRONG_TABLET goes at once; later ones back off.
      const pause = n === 0 && hasLocationHint(e) ? 0 : Math.min(backoffMs(n, policy, random, after), scope.remainingMs());
      try {
        await scope.sleep(pause);
      } catch (ended) {
        throw withLastFailure(ended, e);
      }
    }
  }
}

function withLastFailure(ended: unknown, last: unknown): unknown {
  if (!isKdiError(ended) || !isKdiError(last)) return ended;
  return new KdiError(ended.code, `${ended.message} (last failure: ${last.code}: ${last.message})`, { cause: last, ...(last.requestId && { requestId: last.requestId }) });
}
