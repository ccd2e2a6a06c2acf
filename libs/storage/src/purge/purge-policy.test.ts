import { describe, expect, it } from 'vitest';
import { purgeTest, validatePurgePolicy } from './purge-policy.js';

describe('purge policy', () => {
  const now = 1_000_000;
  it('max history drops versions past the newest N', () => {
    const t = purgeTest({ maxHistory: 2 }, now)!;
    expect([0, 1, 2, 3].map((v) => t(v, now))).toEqual([false, false, true, true]);
  });
  it('max age drops versions older than now - age', () => {
    const t = purgeTest({ maxAgeMicros: 100 }, now)!;
    expect(t(0, now - 100)).toBe(false);
    expect(t(0, now - 101)).toBe(true);
  });
  it('combines with or / and', () => {
    const or = purgeTest({ maxHistory: 1, maxAgeMicros: 100, combine: 'or' }, now)!;
    const and = purgeTest({ maxHistory: 1, maxAgeMicros: 100, combine: 'and' }, now)!;
    expect([or(1, now), or(0, 0), or(1, 0), or(0, now)]).toEqual([true, true, true, false]);
    expect([and(1, now), and(0, 0), and(1, 0), and(0, now)]).toEqual([false, false, true, false]);
  });
  it('purges nothing without limits, and rejects bad policies', () => {
    expect(purgeTest(undefined, now)).toBeUndefined();
    expect(purgeTest({}, now)).toBeUndefined();
    expect(validatePurgePolicy({ maxHistory: 0 })).toMatch(/maxHistory/);
    expect(validatePurgePolicy({ maxAgeMicros: 1.5 })).toMatch(/maxAgeMicros/);
    expect(validatePurgePolicy({ combine: 'xor' as 'or' })).toMatch(/combine/);
    expect(validatePurgePolicy({ maxHistory: 3, maxAgeMicros: 5, combine: 'and' })).toBeUndefined();
  });
});
