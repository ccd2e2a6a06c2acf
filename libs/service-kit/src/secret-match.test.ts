import { describe, expect, it } from 'vitest';
import { secretMatcher } from './secret-match.js';

describe('secretMatcher', () => {
  it('matches only the secret, whatever the length of the guess', () => {
    const matches = secretMatcher('a-cluster-secret-of-length');
    expect(matches('a-cluster-secret-of-length')).toBe(true);
    expect(matches('a-cluster-secret-of-lengtH')).toBe(false);
    expect(matches('')).toBe(false);
    expect(matches('x'.repeat(10_000))).toBe(false);
  });
});
