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

  it("restores a previous master's events before its own and numbers new ones after them", () => {
    const log = new EventLog(10);
    log.add({ kind: 'master-elected', message: 'mine' });
    log.restore([
      { seq: 41, at: '2026-12-07T00:00:00.000Z', kind: 'error', message: 'old-41' },
      { seq: 42, at: '2026-12-07T00:00:01.000Z', kind: 'error', message: 'old-42' },
    ]);
    log.add({ kind: 'error', message: 'next' });
    expect(log.list().map((e) => [e.seq, e.message])).toEqual([
      [41, 'old-41'],
      [42, 'old-42'],
      [43, 'mine'],
      [44, 'next'],
    ]);
    expect(log.list({ after: 42 }).map((e) => e.message)).toEqual(['mine', 'next']);
    // The same file read again (a write conflict at the claim), with one more event of the deposed master: merged, not doubled.
    log.restore([
      { seq: 42, at: '2026-12-07T00:00:01.000Z', kind: 'error', message: 'old-42' },
      { seq: 43, at: '2026-12-07T00:00:02.000Z', kind: 'error', message: 'old-43' },
    ]);
    expect(log.list().map((e) => [e.seq, e.message])).toEqual([
      [41, 'old-41'],
      [42, 'old-42'],
      [43, 'old-43'],
      [44, 'mine'],
      [45, 'next'],
    ]);
  });
});
