import { describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock.js';
import { toClock } from './clock.js';

describe('ManualClock', () => {
  it('wakes sleepers only when advanced past their time, earliest first', async () => {
    const clock = new ManualClock(100);
    const woke: string[] = [];
    const a = clock.sleep(50).then(() => woke.push('a'));
    const b = clock.sleep(20).then(() => woke.push('b'));
    expect(clock.pendingSleeps).toBe(2);
    expect(clock.nextWakeAt).toBe(120);
    clock.advance(19);
    await Promise.resolve();
    expect(woke).toEqual([]);
    clock.advance(31);
    await Promise.all([a, b]);
    expect(woke).toEqual(['b', 'a']);
    expect(clock.now()).toBe(150);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('rejects an aborted sleep with the reason and forgets it', async () => {
    const clock = new ManualClock();
    const ac = new AbortController();
    const p = clock.sleep(10, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(clock.pendingSleeps).toBe(0);
  });

  it('never moves backwards', () => {
    expect(() => new ManualClock().advance(-1)).toThrow(RangeError);
  });
});

describe('toClock', () => {
  it('gives a bare now() function real timers', async () => {
    const clock = toClock(() => performance.now());
    const before = clock.now();
    await clock.sleep(5);
    expect(clock.now() - before).toBeGreaterThanOrEqual(5);
  });
});
