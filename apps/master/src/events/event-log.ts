// The master's recent events (DESIGN §9, §15): a bounded ring of
// ClusterEvents, numbered by a seq that increases by one per event, read
// by GET /v1/events (newest last, `after` a seq, at most `limit`). Each
// event is also handed to `onEvent` (the master logs it). The ring forgets
// the oldest event once full; a reader asking `after` a forgotten seq gets
// what is left.

import type { ClusterEvent } from '@kdi/protocol';

export const DEFAULT_EVENT_CAPACITY = 1000;
export const DEFAULT_EVENT_LIMIT = 100;

export type EventInput = Omit<ClusterEvent, 'seq' | 'at'>;

export class EventLog {
  readonly #events: ClusterEvent[] = [];
  #nextSeq = 1;

  constructor(
    readonly capacity: number = DEFAULT_EVENT_CAPACITY,
    private readonly onEvent: (event: ClusterEvent) => void = () => {},
    private readonly now: () => Date = () => new Date(),
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`event capacity must be a positive integer, got ${capacity}`);
  }

  add(input: EventInput): ClusterEvent {
    const event: ClusterEvent = { seq: this.#nextSeq++, at: this.now().toISOString(), ...input };
    this.#events.push(event);
    if (this.#events.length > this.capacity) this.#events.shift();
    this.onEvent(event);
    return event;
  }

  /** Events with seq > after (all when undefined), the newest `limit` of them, oldest first. */
  list(opts: { limit?: number | undefined; after?: number | undefined } = {}): ClusterEvent[] {
    const limit = Math.min(opts.limit ?? DEFAULT_EVENT_LIMIT, this.capacity);
    const after = opts.after ?? 0;
    const newer = this.#events.filter((e) => e.seq > after);
    return newer.slice(Math.max(0, newer.length - limit));
  }
}
