// A Clock that moves only when told (SlateDB's mock clock): lease,
// keep-alive, purge and back-pressure tests advance it step by step and
// observe exactly when something happens, without waiting in real time.
// advance() moves both readings and wakes the sleepers now due; setWall()
// steps the wall clock alone, as NTP may.

import type { Clock } from './clock.js';

interface Sleeper {
  readonly wakeAt: number;
  readonly seq: number;
  readonly resolve: () => void;
}

export interface ManualClockStart {
  /** The first monotonic reading in ms (default 0). */
  readonly monotonicMs?: number;
  /** The first wall reading in µs since the epoch (default 2030-01-01T00:00:00Z). */
  readonly wallMicros?: number;
}

export const MANUAL_CLOCK_DEFAULT_WALL_MICROS = Date.UTC(2030, 0, 1) * 1000;

export class ManualClock implements Clock {
  #monotonic: number;
  #wall: number;
  #seq = 0;
  readonly #sleepers = new Set<Sleeper>();

  constructor(start: ManualClockStart = {}) {
    this.#monotonic = start.monotonicMs ?? 0;
    this.#wall = start.wallMicros ?? MANUAL_CLOCK_DEFAULT_WALL_MICROS;
  }

  wallMicros(): number {
    return this.#wall;
  }

  monotonicMs(): number {
    return this.#monotonic;
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
        wakeAt: this.#monotonic + Math.max(0, ms),
        seq: this.#seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (sleeper.wakeAt <= this.#monotonic) sleeper.resolve();
      else this.#sleepers.add(sleeper);
    });
  }

  /**
   * Moves both readings forward by `ms` (the wall by ms × 1000 µs) and
   * wakes, in wake-time order, every sleeper now due.
   */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a monotonic clock cannot move by ${ms} ms`);
    this.#monotonic += ms;
    this.#wall += ms * 1000;
    const due = [...this.#sleepers].filter((s) => s.wakeAt <= this.#monotonic).sort((a, b) => a.wakeAt - b.wakeAt || a.seq - b.seq);
    for (const s of due) {
      this.#sleepers.delete(s);
      s.resolve();
    }
  }

  /** Steps the wall clock alone (as NTP may, backwards too); the monotonic reading does not follow. */
  setWall(micros: number): void {
    this.#wall = micros;
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
