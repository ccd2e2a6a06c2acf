// Time as a port (STYLE: "clock, filesystem, randomness are passed in").
// Lease accounting must use a MONOTONIC clock (DESIGN §8: a server measures
// its lease from when it sent the keep-alive, on the monotonic clock), so
// wall-clock jumps (NTP steps, a VM resumed from suspend with its clock
// reset) can neither lengthen nor shorten a lease.

/** Milliseconds on a clock that never goes back; its zero means nothing. */
export interface MonotonicClock {
  now(): number;
  /**
   * Resolves once `now()` has advanced by at least `ms`. When `signal`
   * aborts first, rejects with `signal.reason`.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The process's monotonic clock (performance.now) with real timers. */
export const systemClock: MonotonicClock = {
  now: () => performance.now(),
  sleep: (ms, signal) => realSleep(ms, () => performance.now(), signal),
};

/**
 * Accepts either a full clock or a bare `now()` function; a bare function
 * gets real timers for waiting (it must tick at the rate of real time).
 */
export function toClock(clock: MonotonicClock | (() => number) | undefined): MonotonicClock {
  if (clock === undefined) return systemClock;
  if (typeof clock !== 'function') return clock;
  return { now: clock, sleep: (ms, signal) => realSleep(ms, clock, signal) };
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
