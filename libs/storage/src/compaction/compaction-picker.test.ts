import { describe, expect, it } from 'vitest';
import { compactionScore, pickCompaction } from './compaction-picker.js';

const o = { minChainLength: 4, maxFragments: 10, ratio: 2 };

describe('pickCompaction', () => {
  it('leaves short chains alone', () => {
    expect(pickCompaction([], o)).toBeUndefined();
    expect(pickCompaction([100, 10, 10], o)).toBeUndefined();
  });

  it('merges small recent fragments, not the big base', () => {
    expect(pickCompaction([1000, 10, 10, 10], o)).toEqual({ start: 1, end: 4, major: false });
  });

  it('takes the whole chain (major) when the sizes are comparable', () => {
    expect(pickCompaction([40, 20, 10, 10], o)).toEqual({ start: 0, end: 4, major: true });
  });

  it('always merges at least two once the chain is long enough', () => {
    expect(pickCompaction([1000, 500, 100, 1], o)).toEqual({ start: 2, end: 4, major: false });
  });

  it('never takes more than maxFragments', () => {
    const p = pickCompaction(Array(30).fill(1), o)!;
    expect(p.end - p.start).toBe(10);
    expect(p.end).toBe(30);
  });

  it('keeps chains short under steady serialization', () => {
    // Simulate: serialize a 10-unit fragment, then compact as picked.
    let chain: number[] = [];
    let longest = 0;
    for (let i = 0; i < 2000; i++) {
      chain.push(10);
      for (let p = pickCompaction(chain, o); p; p = pickCompaction(chain, o)) {
        const merged = chain.slice(p.start, p.end).reduce((a, b) => a + b, 0);
        chain = [...chain.slice(0, p.start), merged, ...chain.slice(p.end)];
      }
      longest = Math.max(longest, chain.length);
    }
    expect(longest).toBeLessThanOrEqual(o.minChainLength);
    expect(chain.reduce((a, b) => a + b, 0)).toBe(20000);
  });

  it('scores by chain length times size', () => {
    expect(compactionScore([10, 20])).toBe(60);
    expect(compactionScore([])).toBe(0);
  });
});
