// Time as a port (SlateDB's SystemClock idea): the embedded store reads
// leases and delays from a monotonic clock, which a wall-clock step cannot
// move, and reads the wall clock only to seed a new incarnation's revision
// counter (microseconds since the epoch, above anything handed out before).
// Tests pass a ManualStoreClock that moves only when told.

export interface StoreClock {
  /** Milliseconds on a clock that never goes back (performance.now in production). */
  monotonicMs(): number;
  /** Milliseconds since the Unix epoch (Date.now in production). */
  wallMs(): number;
}

export const SYSTEM_STORE_CLOCK: StoreClock = {
  monotonicMs: () => performance.now(),
  wallMs: () => Date.now(),
};

/** A clock for tests: both readings move only through advance(). */
export class ManualStoreClock implements StoreClock {
  private monotonic = 0;

  constructor(private wall = Date.UTC(2030, 0, 1)) {}

  monotonicMs(): number {
    return this.monotonic;
  }

  wallMs(): number {
    return this.wall;
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a clock only moves forward; got ${ms} ms`);
    this.monotonic += ms;
    this.wall += ms;
  }

  /** Steps the wall clock alone (as NTP may); the monotonic clock does not follow. */
  setWall(ms: number): void {
    this.wall = ms;
  }
}
