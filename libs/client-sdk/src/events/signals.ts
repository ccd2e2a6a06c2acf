// AbortSignal plumbing with explicit cleanup: long-lived sessions create a
// linked signal per keep-alive and per withLock call, so listeners must be
// removed when the call ends rather than left for the collector.

export interface LinkedSignal {
  readonly signal: AbortSignal;
  /** Aborts the linked signal (idempotent). */
  abort(reason?: unknown): void;
  /** Detaches from the parents; the linked signal keeps its current state. */
  dispose(): void;
}

/** A signal that aborts when any parent does (with that parent's reason) or when told to. */
export function linkSignals(...parents: readonly (AbortSignal | undefined)[]): LinkedSignal {
  const controller = new AbortController();
  const detach: (() => void)[] = [];
  for (const parent of parents) {
    if (!parent) continue;
    if (parent.aborted) {
      controller.abort(parent.reason);
      break;
    }
    const onAbort = (): void => controller.abort(parent.reason);
    parent.addEventListener('abort', onAbort, { once: true });
    detach.push(() => parent.removeEventListener('abort', onAbort));
  }
  return {
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    dispose: () => {
      for (const d of detach.splice(0)) d();
    },
  };
}
