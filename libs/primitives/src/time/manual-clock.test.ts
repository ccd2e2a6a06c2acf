import { describe, expect, it } from 'vitest';
import { clockFromMonotonic, systemClock } from './clock.js';
import { MANUAL_CLOCK_DEFAULT_WALL_MICROS, ManualClock } from './manual-clock.js';

describe('ManualClock', () => {
  it('wakes sleepers only when advanced past their time, earliest first', async () => {
    const clock = new ManualClock({ monotonicMs: 100 });
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
    expect(clock.monotonicMs()).toBe(150);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('resolves a sleep of zero (or less) at once', async () => {
    const clock = new ManualClock();
    await clock.sleep(0);
    await clock.sleep(-5);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('rejects an aborted sleep with the reason and forgets it', async () => {
    const clock = new ManualClock();
    const ac = new AbortController();
    const p = clock.sleep(10, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(clock.pendingSleeps).toBe(0);
    await expect(clock.sleep(10, ac.signal)).rejects.toThrow('stop');
  });

  it('never moves backwards', () => {
    expect(() => new ManualClock().advance(-1)).toThrow(RangeError);
    expect(() => new ManualClock().advance(Number.NaN)).toThrow(RangeError);
  });

  it('moves the wall with advance, and alone with setWall', () => {
    const clock = new ManualClock({ wallMicros: 5_000_000 });
    clock.advance(3);
    expect(clock.wallMicros()).toBe(5_003_000);
    clock.setWall(1_000);
    expect(clock.wallMicros()).toBe(1_000);
    expect(clock.monotonicMs()).toBe(3);
    expect(new ManualClock().wallMicros()).toBe(MANUAL_CLOCK_DEFAULT_WALL_MICROS);
  });
});

describe('systemClock and clockFromMonotonic', () => {
  it('sleep on real timers until the monotonic reading has moved', async () => {
    const before = systemClock.monotonicMs();
    await systemClock.sleep(5);
    expect(systemClock.monotonicMs() - before).toBeGreaterThanOrEqual(5);

    const clock = clockFromMonotonic(() => performance.now());
    const start = clock.monotonicMs();
    await clock.sleep(5);
    expect(clock.monotonicMs() - start).toBeGreaterThanOrEqual(5);
    expect(Math.abs(clock.wallMicros() - Date.now() * 1000)).toBeLessThan(60_000_000);
  });

  it('rejects a real sleep aborted before or during the wait', async () => {
    const ac = new AbortController();
    const p = systemClock.sleep(10_000, ac.signal);
    ac.abort(new Error('gone'));
    await expect(p).rejects.toThrow('gone');
    await expect(systemClock.sleep(1, ac.signal)).rejects.toThrow('gone');
  });
});
