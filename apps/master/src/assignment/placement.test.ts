import { describe, expect, it } from 'vitest';
import { BYTES_STEP, leastLoaded, planPlacements } from './placement.js';

const c = (serverId: string, diskBytes = 0, requestsPerSec = 0, tablets = 0) => ({ serverId, diskBytes, requestsPerSec, tablets });

describe('placement', () => {
  it('prefers fewer bytes, then a lower request rate, then fewer tablets', () => {
    expect(leastLoaded([c('a', 3 * BYTES_STEP), c('b', BYTES_STEP)])?.serverId).toBe('b');
    expect(leastLoaded([c('a', 0, 500), c('b', 0, 10)])?.serverId).toBe('b');
    expect(leastLoaded([c('a', 0, 0, 3), c('b', 0, 0, 1)])?.serverId).toBe('b');
    expect(leastLoaded([])).toBeUndefined();
  });

  it('treats near-equal servers as equal, so a pre-split table is spread by tablet count', () => {
    const plan = planPlacements([c('a', 1000, 1), c('b', 50_000, 2)], 4);
    expect(plan.sort()).toEqual(['a', 'a', 'b', 'b']);
  });

  it('counts the tablets given out earlier in the round', () => {
    expect(planPlacements([c('a', 0, 0, 2), c('b'), c('c')], 4)).toEqual(['b', 'c', 'b', 'c']);
  });
});
