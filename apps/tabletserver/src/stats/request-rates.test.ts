// Request rates: counts over a window become per-second rates, the last
// completed window is what is reported, and a split hands the load to
// both halves.

import { describe, expect, it } from 'vitest';
import { RequestRates } from './request-rates.js';

function clock(start = 1000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('RequestRates', () => {
  it('reports counts per second since creation before the first roll', () => {
    const c = clock();
    const r = new RequestRates(c.now);
    r.recordWrites('t1', 50);
    r.recordReads('t1', 10);
    c.advance(500);
    expect(r.rates('t1')).toEqual({ readsPerSec: 20, writesPerSec: 100 });
    expect(r.rates('other')).toEqual({ readsPerSec: 0, writesPerSec: 0 });
  });

  it('reports the last completed window, not the one being counted', () => {
    const c = clock();
    const r = new RequestRates(c.now);
    r.recordWrites('t1', 100);
    c.advance(1000);
    r.roll();
    r.recordWrites('t1', 5000);
    c.advance(10);
    expect(r.rates('t1').writesPerSec).toBe(100);
    c.advance(990);
    r.roll();
    expect(r.rates('t1').writesPerSec).toBe(5000);
    c.advance(1000);
    r.roll();
    expect(r.rates('t1').writesPerSec).toBe(0);
  });

  it('splits a tablet’s counts between its halves', () => {
    const c = clock();
    const r = new RequestRates(c.now);
    r.recordReads('p', 40);
    c.advance(1000);
    r.roll();
    r.recordReads('p', 20);
    r.split('p', 'lo', 'hi');
    expect(r.rates('p').readsPerSec).toBe(0);
    expect(r.rates('lo').readsPerSec).toBe(20);
    expect(r.rates('hi').readsPerSec).toBe(20);
    c.advance(1000);
    r.roll();
    expect(r.rates('lo').readsPerSec).toBe(10);
  });

  it('never divides by a zero-length window', () => {
    const c = clock();
    const r = new RequestRates(c.now);
    r.recordWrites('t', 1);
    expect(Number.isFinite(r.rates('t').writesPerSec)).toBe(true);
  });
});
