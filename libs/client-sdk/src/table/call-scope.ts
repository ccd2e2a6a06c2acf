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

export class CallScope {
  readonly signal: AbortSignal;
  /** performance.now() value at which the deadline passes. */
  readonly deadline: number;
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #caller: AbortSignal | undefined;
  readonly #onAbort: () => void;

  constructor(what: string, opts: CallOptions, defaultTimeoutMs: number) {
    const timeoutMs = opts.timeoutMs ?? defaultTimeoutMs;
    if (!(timeoutMs > 0)) throw new KdiError('INVALID_ARGUMENT', `timeoutMs must be positive, got ${timeoutMs}`);
    this.signal = this.#controller.signal;
    this.deadline = performance.now() + timeoutMs;
    this.#caller = opts.signal;
    this.#onAbort = () => this.#controller.abort(cancelled(what, this.#caller?.reason));
    this.#timer = setTimeout(
      () => this.#controller.abort(new KdiError('DEADLINE_EXCEEDED', `${what} did not finish within ${timeoutMs} ms; the outcome of a write in flight is unknown`)),
      timeoutMs,
    );
    this.#timer.unref?.();
    if (opts.signal?.aborted) this.#onAbort();
    else opts.signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Throws the scope's typed error if it has ended. */
  check(): void {
    if (this.signal.aborted) throw this.signal.reason as KdiError;
  }

  remainingMs(): number {
    return Math.max(0, this.deadline - performance.now());
  }

  /** Waits `ms` unless the scope ends first (then rejects with its error). */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.signal.aborted) {
        reject(this.signal.reason);
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(this.signal.reason);
      };
      const timer = setTimeout(() => {
        this.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      this.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#caller?.removeEventListener('abort', this.#onAbort);
  }
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
