// Time is a port (SlateDB's SystemClock): purge-by-age and anything else
// that reads "now" takes a Clock, so tests can move time by hand.

export interface Clock {
  /** Wall-clock microseconds since the epoch. */
  nowMicros(): number;
}

export const systemClock: Clock = {
  nowMicros: () => Date.now() * 1000,
};

/** A clock that moves only when told. */
export class ManualClock implements Clock {
  constructor(private micros = 0) {}
  nowMicros(): number {
    return this.micros;
  }
  set(micros: number): void {
    this.micros = micros;
  }
  advance(micros: number): void {
    this.micros += micros;
  }
}
