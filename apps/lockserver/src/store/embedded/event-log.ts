// The embedded store's event log: the last `capacity` events in a ring
// buffer, in revision order. A reader's cursor is answerable when every
// event after it is still here: that is, when it is at least the revision
// of the newest event dropped so far (`trimmedThrough`). The log starts with
// trimmedThrough at the incarnation's first revision, so a cursor from an
// earlier incarnation (always lower) is told to reset.

import type { WatchEvent, WatchEventType } from '@kdi/protocol';
import type { EventBatch } from '../lock-store.js';

export class EventLog {
  private readonly ring: (WatchEvent | undefined)[];
  private start = 0;
  private count = 0;
  private trimmedThrough: number;

  constructor(
    private readonly capacity: number,
    firstRevision: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`event log capacity must be a positive integer, got ${capacity}`);
    this.ring = new Array<WatchEvent | undefined>(capacity);
    this.trimmedThrough = firstRevision;
  }

  get size(): number {
    return this.count;
  }

  append(revision: number, type: WatchEventType, path: string): void {
    const event: WatchEvent = { revision, type, path };
    if (this.count === this.capacity) {
      this.trimmedThrough = this.at(0).revision;
      this.ring[this.start] = event;
      this.start = (this.start + 1) % this.capacity;
    } else {
      this.ring[(this.start + this.count) % this.capacity] = event;
      this.count += 1;
    }
  }

  /** Events after `after` (at most `limit`); `current` is the store's revision. */
  read(after: number, limit: number, current: number): EventBatch {
    if (after > current || after < this.trimmedThrough) return { events: [], revision: current, reset: true };
    // First logical index whose revision is above the cursor.
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).revision <= after) lo = mid + 1;
      else hi = mid;
    }
    const events: WatchEvent[] = [];
    for (let i = lo; i < this.count && events.length < limit; i += 1) events.push(this.at(i));
    const last = events[events.length - 1];
    return { events, revision: last ? last.revision : current, reset: false };
  }

  private at(logicalIndex: number): WatchEvent {
    const event = this.ring[(this.start + logicalIndex) % this.capacity];
    if (!event) throw new Error(`event log slot ${logicalIndex} of ${this.count} is empty`);
    return event;
  }
}
