// Retrying a call the catalogue marks retryable (UNAVAILABLE,
// DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ...), with exponential backoff
// that honours the server's retryAfterMs. Only calls that are safe to
// repeat go through here: reads, validations, and acquire/release (acquire
// carries the same requestId on every attempt, so a grant whose answer was
// lost is returned again rather than granted twice).

import { isKdiError, KdiError } from '@kdi/protocol';

export interface RetryPolicy {
  /** Attempts after the first; 0 disables retrying. */
  readonly retries: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 3, initialBackoffMs: 50, maxBackoffMs: 1_000 };

export async function withRetries<T>(policy: RetryPolicy, signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T> {
  let backoff = policy.initialBackoffMs;
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (e) {
      if (!isKdiError(e) || !e.retryable || i >= policy.retries || signal?.aborted) throw e;
      const wait = Math.min(policy.maxBackoffMs, Math.max(backoff, e.retryAfterMs ?? 0));
      backoff = Math.min(policy.maxBackoffMs, backoff * 2);
      await abortableDelay(wait, signal, e);
    }
  }
}

/** Real-time delay; on abort rejects with CANCELLED (naming the error that was being retried). */
export function abortableDelay(ms: number, signal: AbortSignal | undefined, retrying?: KdiError): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cancelled = (): KdiError =>
      isKdiError(signal?.reason)
        ? signal.reason
        : new KdiError('CANCELLED', retrying ? `cancelled while waiting to retry after: ${retrying.message}` : 'cancelled by the caller', { cause: retrying });
    if (signal?.aborted) {
      reject(cancelled());
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
