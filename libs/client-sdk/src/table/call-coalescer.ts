// Concurrent calls that can share one request are sent as one — what
// ioredis' auto-pipelining, HBase's AsyncBufferedMutator and Cloud
// Bigtable's bulk batchers do. A call joins the open group of its key; a
// group is sent when the current turn of the event loop is over
// (setImmediate), so the calls of one burst — the continuations one shared
// reply resumes, a Promise.all — ride together, and a lone call waits only
// for the end of its turn. Nothing waits on a timer.
//
// Promises:
//  - each call settles with its own result (the runner returns one per
//    item, in the order given) or its own error (a runner may fail one item
//    with ItemFailure and not the others; a runner that throws fails all);
//  - a call whose signal fires settles at once with the signal's reason:
//    before its group is sent it is left out of it; after, the group's
//    request goes on for the others (a write's outcome is then unknown, as
//    for any cancelled call). The group's own signal fires only when every
//    member's has;
//  - a group holds at most maxItems items and maxWeight weight (an item
//    heavier than that goes alone); more calls open another group;
//  - pipelining: when fewer than `pipeline` requests of the key are in
//    flight, a group is sent as that many requests (split evenly), so the
//    callers' next calls and the server's work on the rest overlap — one
//    request per burst would leave client and server waiting on each other.

import type { Cancellation } from './call-scope.js';

const noop = (): void => {};

export interface CoalescerLimits {
  readonly maxItems: number;
  readonly maxWeight: number;
  /** Requests of one key the coalescer keeps in flight when a group is big enough (default 2). */
  readonly pipeline?: number;
}

/** Sends the items of one group as one request; one result (or ItemFailure) per item, in order. */
export type GroupRunner<I, R> = (items: readonly I[], signal: AbortSignal) => Promise<ReadonlyArray<R | ItemFailure>>;

/** The failure of one item of a group whose other items may have succeeded. */
export class ItemFailure {
  constructor(readonly error: unknown) {}
}

/** A runner's fallback: each item sent on its own, its failure kept as its ItemFailure. */
export function eachAlone<I, R>(items: readonly I[], one: (item: I) => Promise<R>): Promise<Array<R | ItemFailure>> {
  return Promise.all(items.map((item) => one(item).catch((e: unknown) => new ItemFailure(e))));
}

interface Member<I, R> {
  readonly item: I;
  readonly cancel: Cancellation;
  resolve(r: R): void;
  reject(e: unknown): void;
  settled: boolean;
  /** Unsubscribes from `cancel`. */
  off: () => void;
  /** The group it is in (the open one, then the one it is sent in). */
  group: Group<I, R>;
}

interface Group<I, R> {
  readonly members: Member<I, R>[];
  weight: number;
  readonly run: GroupRunner<I, R>;
  /** Set once sent: aborts the group's request when every member's signal fired. */
  controller?: AbortController;
}

export class CallCoalescer<I, R> {
  readonly #open = new Map<string, Group<I, R>>();
  /** Requests in flight per key. */
  readonly #inFlight = new Map<string, number>();

  constructor(readonly limits: CoalescerLimits) {}

  /** Runs `item` in the open group of `key` (`run` sends a group: the same for every call of one key). */
  call(key: string, item: I, weight: number, cancel: Cancellation, run: GroupRunner<I, R>): Promise<R> {
    if (cancel.aborted) return Promise.reject(cancel.reason);
    let group = this.#open.get(key);
    if (group !== undefined && (group.members.length >= this.limits.maxItems || group.weight + weight > this.limits.maxWeight)) {
      this.#open.delete(key); // full: it is still sent at the end of this turn, as scheduled
      group = undefined;
    }
    if (group === undefined) {
      const g: Group<I, R> = { members: [], weight: 0, run };
      this.#open.set(key, g);
      setImmediate(() => {
        if (this.#open.get(key) === g) this.#open.delete(key);
        this.#sendSplit(key, g);
      });
      group = g;
    }
    const g = group;
    return new Promise<R>((resolve, reject) => {
      const m: Member<I, R> = { item, cancel, resolve, reject, settled: false, group: g, off: noop };
      m.off = cancel.onEnd((reason) => {
        settle(m, () => reject(reason));
        const sent = m.group;
        if (sent.controller !== undefined && sent.members.every((o) => o.cancel.aborted)) sent.controller.abort(reason);
      });
      g.members.push(m);
      g.weight += weight;
    });
  }

  /** Sends `g` as one request, or as several while fewer than `pipeline` requests of `key` are in flight. */
  #sendSplit(key: string, g: Group<I, R>): void {
    const live = g.members.filter((m) => !m.settled);
    if (live.length === 0) return;
    const inFlight = this.#inFlight.get(key) ?? 0;
    const parts = Math.max(1, Math.min(live.length, (this.limits.pipeline ?? 2) - inFlight));
    this.#inFlight.set(key, inFlight + parts);
    const done = () => {
      const n = (this.#inFlight.get(key) ?? 1) - 1;
      if (n === 0) this.#inFlight.delete(key);
      else this.#inFlight.set(key, n);
    };
    for (let i = 0; i < parts; i++) {
      const part: Group<I, R> = { members: live.slice(Math.floor((i * live.length) / parts), Math.floor(((i + 1) * live.length) / parts)), weight: 0, run: g.run };
      for (const m of part.members) m.group = part;
      void this.#send(part).finally(done);
    }
  }

  async #send(g: Group<I, R>): Promise<void> {
    const live = g.members.filter((m) => !m.settled);
    if (live.length === 0) return;
    // One member: its own signal is the request's (no controller to join).
    let signal: AbortSignal;
    if (live.length === 1) signal = live[0]!.cancel.signal;
    else {
      g.controller = new AbortController();
      signal = g.controller.signal;
    }
    let results: ReadonlyArray<R | ItemFailure>;
    try {
      results = await g.run(
        live.map((m) => m.item),
        signal,
      );
    } catch (e) {
      for (const m of live) settle(m, () => m.reject(e));
      return;
    }
    live.forEach((m, i) => {
      const r = results[i];
      settle(m, () => (r instanceof ItemFailure ? m.reject(r.error) : m.resolve(r as R)));
    });
  }
}

function settle<I, R>(m: Member<I, R>, how: () => void): void {
  if (m.settled) return;
  m.settled = true;
  m.off();
  how();
}
