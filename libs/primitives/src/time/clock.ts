// Time as a port (STYLE: "clock, filesystem, randomness are passed in";
// SlateDB's SystemClock): everything that reads "now" or waits takes a
// Clock, so tests move time by hand (ManualClock) instead of sleeping.
//
// Two readings, for two purposes:
// - wallMicros: the calendar (cell timestamps, purge-by-age, seeding a
//   revision counter above anything handed out before). It may step.
// - monotonicMs: durations (leases, deadlines, back-pressure waits). It
//   never goes back, so a wall-clock step (NTP, a VM resumed with its clock
//   reset) can neither lengthen nor shorten a lease (DESIGN §8).
// sleep() waits on the monotonic reading.

export interface Clock {
  /** Wall-clock microseconds since the Unix epoch. */
  wallMicros(): number;
  /** Milliseconds on a clock that never goes back; its zero means nothing. */
  monotonicMs(): number;
  /**
   * Resolves once monotonicMs() has advanced by at least `ms`. When
   * `signal` aborts first, rejects with `signal.reason`.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The process's clocks: Date.now for the wall, performance.now for durations, real timers. */
export const systemClock: Clock = {
  wallMicros: () => Date.now() * 1000,
  monotonicMs: () => performance.now(),
  sleep: (ms, signal) => realSleep(ms, () => performance.now(), signal),
};

/**
 * A clock whose monotonic reading is `monotonicMs` (which must tick at the
 * rate of real time), with real timers for waiting and the system's wall
 * clock.
 */
export function clockFromMonotonic(monotonicMs: () => number): Clock {
  return {
    wallMicros: systemClock.wallMicros,
    monotonicMs,
    sleep: (ms, signal) => realSleep(ms, monotonicMs, signal),
  };
}

/**
 * Sleeps on real timers until `now()` has moved by `ms`. Node timers may
 * fire a fraction of a millisecond before a high-resolution clock agrees
 * the time has come, so the wait is re-armed until it has.
 */
function realSleep(ms: number, now: () => number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const until = now() + Math.max(0, ms);
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      reject(signal?.reason);
    };
    const arm = (): void => {
      const left = until - now();
      if (left <= 0) {
        signal?.removeEventListener('abort', onAbort);
        resolve();
        return;
      }
      timer = setTimeout(arm, Math.ceil(left));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    arm();
  });
}
