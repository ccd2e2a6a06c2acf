// A MonotonicClock that moves only when told (SlateDB's mock clock): lease
// and keep-alive tests advance it step by step and observe exactly when a
// session enters jeopardy or expires, without waiting in real time.

import type { MonotonicClock } from './clock.js';

interface Sleeper {
  readonly wakeAt: number;
  readonly seq: number;
  readonly resolve: () => void;
}

export class ManualClock implements MonotonicClock {
  #now: number;
  #seq = 0;
  readonly #sleepers = new Set<Sleeper>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        this.#sleepers.delete(sleeper);
        reject(signal?.reason);
      };
      const sleeper: Sleeper = {
        wakeAt: this.#now + Math.max(0, ms),
        seq: this.#seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (sleeper.wakeAt <= this.#now) sleeper.resolve();
      else this.#sleepers.add(sleeper);
    });
  }

  /** Moves the clock forward and wakes, in wake-time order, every sleeper now due. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a monotonic clock cannot move by ${ms} ms`);
    this.#now += ms;
    const due = [...this.#sleepers].filter((s) => s.wakeAt <= this.#now).sort((a, b) => a.wakeAt - b.wakeAt || a.seq - b.seq);
    for (const s of due) {
      this.#sleepers.delete(s);
      s.resolve();
    }
  }

  /** How many sleeps are waiting (tests use it to know a loop has parked). */
  get pendingSleeps(): number {
    return this.#sleepers.size;
  }

  /** The earliest pending wake-up time, if any sleep is waiting. */
  get nextWakeAt(): number | undefined {
    let next: number | undefined;
    for (const s of this.#sleepers) if (next === undefined || s.wakeAt < next) next = s.wakeAt;
    return next;
  }
}
