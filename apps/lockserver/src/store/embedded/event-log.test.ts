import { describe, expect, it } from 'vitest';
import { EventLog } from './event-log.js';

describe('EventLog', () => {
  const filled = (capacity: number, count: number, first = 100): EventLog => {
    const log = new EventLog(capacity, first);
    for (let r = first + 1; r <= first + count; r += 1) log.append(r, 'created', `/f${r}`);
    return log;
  };

  it('answers every event after a cursor it still covers, in order, up to the limit', () => {
    const log = filled(4, 3);
    expect(log.read(100, 10, 103).events.map((e) => e.revision)).toEqual([101, 102, 103]);
    expect(log.read(101, 1, 103)).toEqual({ events: [{ revision: 102, type: 'created', path: '/f102' }], revision: 102, reset: false });
    expect(log.read(103, 10, 103)).toEqual({ events: [], revision: 103, reset: false });
  });

  it('keeps the last `capacity` events and resets cursors older than the oldest dropped one', () => {
    const log = filled(4, 10); // keeps 107..110, dropped up to 106
    expect(log.size).toBe(4);
    expect(log.read(106, 10, 110).events.map((e) => e.revision)).toEqual([107, 108, 109, 110]);
    expect(log.read(105, 10, 110)).toEqual({ events: [], revision: 110, reset: true });
    expect(log.read(108, 10, 110).events.map((e) => e.revision)).toEqual([109, 110]);
  });

  it('resets cursors from an earlier incarnation or from the future', () => {
    const log = filled(4, 2);
    expect(log.read(99, 10, 102).reset).toBe(true);
    expect(log.read(103, 10, 102).reset).toBe(true);
    expect(log.read(100, 10, 102).reset).toBe(false);
  });

  it('finds the cursor among revisions with gaps', () => {
    const log = new EventLog(8, 0);
    for (const r of [3, 7, 8, 20]) log.append(r, 'changed', '/x');
    expect(log.read(7, 10, 25).events.map((e) => e.revision)).toEqual([8, 20]);
    expect(log.read(10, 10, 25)).toEqual({ events: [{ revision: 20, type: 'changed', path: '/x' }], revision: 20, reset: false });
    expect(log.read(21, 10, 25)).toEqual({ events: [], revision: 25, reset: false });
  });
});
