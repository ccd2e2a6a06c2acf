import { describe, expect, it } from 'vitest';
import { EventLog } from './event-log.js';

describe('EventLog', () => {
  it('numbers events, returns the newest `limit` oldest first, and filters by `after`', () => {
    const seen: number[] = [];
    const log = new EventLog(
      10,
      (e) => seen.push(e.seq),
      () => new Date(0),
    );
    for (let i = 0; i < 5; i++) log.add({ kind: 'error', message: `m${i}` });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(log.list().map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(log.list({ limit: 2 }).map((e) => e.seq)).toEqual([4, 5]);
    expect(log.list({ after: 3 }).map((e) => e.message)).toEqual(['m3', 'm4']);
    expect(log.list()[0]!.at).toBe('1970-01-01T00:00:00.000Z');
  });

  it('forgets the oldest events past its capacity', () => {
    const log = new EventLog(3);
    for (let i = 0; i < 7; i++) log.add({ kind: 'error', message: `m${i}` });
    expect(log.list({ limit: 100 }).map((e) => e.seq)).toEqual([5, 6, 7]);
    expect(log.list({ after: 1 }).map((e) => e.seq)).toEqual([5, 6, 7]);
    expect(() => new EventLog(0)).toThrow(/capacity/);
  });
});
