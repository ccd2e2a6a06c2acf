// Per-tablet request rates for the heartbeats (DESIGN §9: the master
// assigns to the least-loaded server — bytes, then request rate). The data
// path counts; the heartbeat reads rates. Units:
//   writes — cells written by acknowledged applies;
//   reads  — cells returned by scan pages, a page part that returned
//            nothing counting as one read (a lookup of an absent row is
//            still load).
//
// Promises: counting is O(1) and synchronous (it never blocks the data
// path); rates() reports the last completed window — the time between two
// roll() calls, i.e. one periodic heartbeat interval — or, before the
// first roll, the time since creation; a split hands half of the parent's
// counts to each half, so the master sees the load where it now is.
// Time is a port (monotonic milliseconds).

export interface TabletRates {
  readonly readsPerSec: number;
  readonly writesPerSec: number;
}

interface Counts {
  reads: number;
  writes: number;
}

interface Window {
  readonly startMs: number;
  endMs: number | undefined;
  readonly counts: Map<string, Counts>;
}

const ZERO: TabletRates = { readsPerSec: 0, writesPerSec: 0 };

export class RequestRates {
  private current: Window;
  private last: Window | undefined;

  constructor(private readonly now: () => number = () => performance.now()) {
    this.current = { startMs: now(), endMs: undefined, counts: new Map() };
  }

  recordWrites(tabletId: string, cells: number): void {
    this.counts(tabletId).writes += cells;
  }

  recordReads(tabletId: string, reads: number): void {
    this.counts(tabletId).reads += reads;
  }

  /** Ends the current window (a periodic heartbeat): rates() reports it until the next roll. */
  roll(): void {
    const t = this.now();
    this.current.endMs = t;
    this.last = this.current;
    this.current = { startMs: t, endMs: undefined, counts: new Map() };
  }

  /** Tablet `parent` became `low` and `high`: each takes half of its counts, in both windows. */
  split(parent: string, low: string, high: string): void {
    for (const w of [this.last, this.current]) {
      const c = w?.counts.get(parent);
      if (w === undefined || c === undefined) continue;
      w.counts.delete(parent);
      for (const child of [low, high]) w.counts.set(child, { reads: c.reads / 2, writes: c.writes / 2 });
    }
  }

  /** Tablets `low` and `high` became `merged`: it takes the sum of their counts, in both windows. */
  merge(low: string, high: string, merged: string): void {
    for (const w of [this.last, this.current]) {
      if (w === undefined) continue;
      const sum = { reads: 0, writes: 0 };
      let any = false;
      for (const id of [low, high]) {
        const c = w.counts.get(id);
        if (c === undefined) continue;
        any = true;
        sum.reads += c.reads;
        sum.writes += c.writes;
        w.counts.delete(id);
      }
      if (any) w.counts.set(merged, sum);
    }
  }

  /** The tablet's rates over the last completed window (before the first roll: since creation). */
  rates(tabletId: string): TabletRates {
    const w = this.last ?? this.current;
    const c = w.counts.get(tabletId);
    if (c === undefined) return ZERO;
    const seconds = Math.max(1, (w.endMs ?? this.now()) - w.startMs) / 1000;
    return { readsPerSec: c.reads / seconds, writesPerSec: c.writes / seconds };
  }

  private counts(tabletId: string): Counts {
    let c = this.current.counts.get(tabletId);
    if (c === undefined) this.current.counts.set(tabletId, (c = { reads: 0, writes: 0 }));
    return c;
  }
}
