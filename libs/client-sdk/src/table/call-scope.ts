// Every SDK call runs under a scope: the caller's AbortSignal and a
// deadline, joined into one signal that every request and every backoff
// pause of the call listens to. When it fires, the call ends with the
// reason as a typed error:
//   - the caller aborted       → CANCELLED (or the signal's reason, when that is a KdiError);
//   - the deadline passed      → DEADLINE_EXCEEDED.
// A scope belongs to one call; dispose() releases its timer and listener.

import { isKdiError, KdiError } from '@kdi/protocol';

export interface CallOptions {
  /** Ends the call with CANCELLED when aborted. */
  readonly signal?: AbortSignal | undefined;
  /** The whole call (retries and backoff included) ends with DEADLINE_EXCEEDED after this many milliseconds. */
  readonly timeoutMs?: number | undefined;
}

/**
 * What ends a call, as the coalescer and the retry loop see it: cheaper
 * than an AbortSignal (no EventTarget per call); `signal` makes one only
 * for a request that needs it.
 */
export interface Cancellation {
  readonly aborted: boolean;
  /** The typed error the call ends with, once aborted. */
  readonly reason: unknown;
  /** An AbortSignal that fires with the same reason (made on first use). */
  readonly signal: AbortSignal;
  /** Calls `fn` once when the call ends (not if it already has); the returned function unsubscribes. */
  onEnd(fn: (reason: unknown) => void): () => void;
}

export class CallScope implements Cancellation {
  /** performance.now() value at which the deadline passes. */
  readonly deadline: number;
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;
  #listeners: Array<(reason: unknown) => void> | undefined;
  readonly #timer: NodeJS.Timeout;
  readonly #caller: AbortSignal | undefined;
  readonly #onAbort: () => void;

  constructor(what: string, opts: CallOptions, defaultTimeoutMs: number) {
    const timeoutMs = opts.timeoutMs ?? defaultTimeoutMs;
    if (!(timeoutMs > 0)) throw new KdiError('INVALID_ARGUMENT', `timeoutMs must be positive, got ${timeoutMs}`);
    this.deadline = performance.now() + timeoutMs;
    this.#caller = opts.signal;
    this.#onAbort = () => this.#end(cancelled(what, this.#caller?.reason));
    this.#timer = setTimeout(
      () => this.#end(new KdiError('DEADLINE_EXCEEDED', `${what} did not finish within ${timeoutMs} ms; the outcome of a write in flight is unknown`)),
      timeoutMs,
    );
    this.#timer.unref?.();
    if (opts.signal?.aborted) this.#onAbort();
    else opts.signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  /** Fires with the scope's typed error; what every request and pause of the call listens to. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  onEnd(fn: (reason: unknown) => void): () => void {
    (this.#listeners ??= []).push(fn);
    return () => {
      const i = this.#listeners?.indexOf(fn) ?? -1;
      if (i >= 0) this.#listeners!.splice(i, 1);
    };
  }

  #end(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    clearTimeout(this.#timer);
    this.#controller?.abort(reason);
    const listeners = this.#listeners;
    this.#listeners = undefined;
    for (const fn of listeners ?? []) fn(reason);
  }

  /** Throws the scope's typed error if it has ended. */
  check(): void {
    if (this.#aborted) throw this.#reason as KdiError;
  }

  remainingMs(): number {
    return Math.max(0, this.deadline - performance.now());
  }

  /** Waits `ms` unless the scope ends first (then rejects with its error). */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#aborted) {
        reject(this.#reason);
        return;
      }
      const off = this.onEnd((reason) => {
        clearTimeout(timer);
        reject(reason);
      });
      const timer = setTimeout(() => {
        off();
        resolve();
      }, ms);
    });
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#caller?.removeEventListener('abort', this.#onAbort);
  }
}

/** An AbortSignal seen as a Cancellation (for callers that hold only a signal). */
export function cancellationOf(signal: AbortSignal): Cancellation {
  return {
    get aborted() {
      return signal.aborted;
    },
    get reason() {
      return signal.reason as unknown;
    },
    signal,
    onEnd(fn) {
      const listener = () => fn(signal.reason);
      signal.addEventListener('abort', listener, { once: true });
      return () => signal.removeEventListener('abort', listener);
    },
  };
}

function cancelled(what: string, reason: unknown): KdiError {
  if (isKdiError(reason)) return reason;
  return new KdiError('CANCELLED', `${what} was cancelled by the caller; the outcome of a write in flight is unknown`, { cause: reason });
}

/** Runs `fn` under a fresh scope and disposes it. */
export async function inScope<T>(what: string, opts: CallOptions, defaultTimeoutMs: number, fn: (scope: CallScope) => Promise<T>): Promise<T> {
  const scope = new CallScope(what, opts, defaultTimeoutMs);
  try {
    return await fn(scope);
  } finally {
    scope.dispose();
  }
}
