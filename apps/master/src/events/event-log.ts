// The master's recent events (DESIGN §9, §15): a bounded ring of
// ClusterEvents, numbered by a seq that increases by one per event, read
// by GET /v1/events (newest last, `after` a seq, at most `limit`). Each
// event is also handed to `onEvent` (the master logs it). The ring forgets
// the oldest event once full; a reader asking `after` a forgotten seq gets
// what is left.
//
// The ring is part of the master's history (src/history/): a master that
// takes over restores the events its predecessor wrote, and numbers its own
// after them, so a reader polling `after` a seq goes on across a failover.

import type { ClusterEvent } from '@kdi/protocol';

export const DEFAULT_EVENT_CAPACITY = 1000;
export const DEFAULT_EVENT_LIMIT = 100;

export type EventInput = Omit<ClusterEvent, 'seq' | 'at'>;

export class EventLog {
  readonly #events: ClusterEvent[] = [];
  #nextSeq = 1;
  /** The largest seq restore() took from another master: events up to it are theirs, the ones after it this master's. */
  #restoredUpTo = 0;
  #onChange: () => void = () => {};

  constructor(
    readonly capacity: number = DEFAULT_EVENT_CAPACITY,
    private readonly onEvent: (event: ClusterEvent) => void = () => {},
    private readonly now: () => Date = () => new Date(),
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`event capacity must be a positive integer, got ${capacity}`);
  }

  /** Called after each add and restore (the history recorder marks itself dirty). */
  onChange(listener: () => void): void {
    this.#onChange = listener;
  }

  add(input: EventInput): ClusterEvent {
    const event: ClusterEvent = { seq: this.#nextSeq++, at: this.now().toISOString(), ...input };
    this.#events.push(event);
    if (this.#events.length > this.capacity) this.#events.shift();
    this.onEvent(event);
    this.#onChange();
    return event;
  }

  /**
   * Puts events a previous master kept before this master's own, merged by seq with those restored before
   * (restoring the same file twice changes nothing); this master's own are numbered again after them (at a
   * takeover there are none yet). Not handed to onEvent: they were logged when they happened.
   */
  restore(events: readonly ClusterEvent[]): void {
    const theirs = new Map<number, ClusterEvent>();
    const mine: ClusterEvent[] = [];
    for (const e of this.#events) {
      if (e.seq <= this.#restoredUpTo) theirs.set(e.seq, e);
      else mine.push(e);
    }
    for (const e of events) theirs.set(e.seq, e);
    const old = [...theirs.values()].sort((a, b) => a.seq - b.seq);
    let seq = old.at(-1)?.seq ?? 0;
    this.#restoredUpTo = seq;
    const renumbered = mine.map((e) => ({ ...e, seq: ++seq }));
    this.#events.splice(0, this.#events.length, ...[...old, ...renumbered].slice(-this.capacity));
    this.#nextSeq = seq + 1;
    this.#onChange();
  }

  /** Events with seq > after (all when undefined), the newest `limit` of them, oldest first. */
  list(opts: { limit?: number | undefined; after?: number | undefined } = {}): ClusterEvent[] {
    const limit = Math.min(opts.limit ?? DEFAULT_EVENT_LIMIT, this.capacity);
    const after = opts.after ?? 0;
    const newer = this.#events.filter((e) => e.seq > after);
    return newer.slice(Math.max(0, newer.length - limit));
  }
}
