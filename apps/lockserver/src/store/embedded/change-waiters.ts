// In-process waiters for waitForChange: each resolves once the revision
// passes its cursor, on its timeout, on its abort signal, or when the store
// closes — whichever comes first — and leaves no timer or listener behind.

interface Waiter {
  readonly after: number;
  readonly done: () => void;
}

export class ChangeWaiters {
  private readonly waiters = new Set<Waiter>();

  get size(): number {
    return this.waiters.size;
  }

  wait(after: number, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const onAbort = (): void => waiter.done();
      const timer = setTimeout(() => waiter.done(), Math.max(0, timeoutMs));
      const waiter: Waiter = {
        after,
        done: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      this.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Wakes every waiter whose cursor is below `revision`. */
  wake(revision: number): void {
    for (const w of [...this.waiters]) if (w.after < revision) w.done();
  }

  wakeAll(): void {
    for (const w of [...this.waiters]) w.done();
  }
}
