import { describe, expect, it } from 'vitest';
import { LocationCache, type TabletRange } from './location-cache.js';

const b = (s: string) => Buffer.from(s);
const loc = (url: string) => ({ serverId: url, url, epoch: 1 });
const range = (table: string, lower: string | undefined, upper: string | undefined, url = 'http://a'): TabletRange => ({
  table,
  lowerExclusive: lower === undefined ? undefined : b(lower),
  upperInclusive: upper === undefined ? undefined : b(upper),
  location: loc(url),
});
const urlAt = (c: LocationCache, table: string, row: string) => c.find(table, b(row))?.location.url;

describe('LocationCache', () => {
  it('finds the range holding a row: lower bound exclusive, upper inclusive, open ends', () => {
    const c = new LocationCache();
    c.insert(range('t', undefined, 'g', 'http://1'));
    c.insert(range('t', 'g', 'p', 'http://2'));
    c.insert(range('t', 'p', undefined, 'http://3'));
    expect(urlAt(c, 't', '')).toBe('http://1');
    expect(urlAt(c, 't', 'g')).toBe('http://1');
    expect(urlAt(c, 't', 'g\0')).toBe('http://2');
    expect(urlAt(c, 't', 'p')).toBe('http://2');
    expect(urlAt(c, 't', 'zzz')).toBe('http://3');
    expect(urlAt(c, 'other', 'a')).toBeUndefined();
  });

  it('leaves gaps unknown rather than guessing', () => {
    const c = new LocationCache();
    c.insert(range('t', undefined, 'g'));
    c.insert(range('t', 'p', undefined));
    expect(urlAt(c, 't', 'h')).toBeUndefined();
  });

  it('replaces every overlapping range when a split or a move is learned', () => {
    const c = new LocationCache();
    c.insert(range('t', undefined, 'm', 'http://old'));
    c.insert(range('t', 'm', undefined, 'http://old'));
    c.insert(range('t', 'f', 'r', 'http://new')); // overlaps both
    expect(c.size).toBe(1);
    expect(urlAt(c, 't', 'g')).toBe('http://new');
    expect(urlAt(c, 't', 'a')).toBeUndefined();
    expect(urlAt(c, 't', 's')).toBeUndefined();
  });

  it('forgets a row, a server, a table', () => {
    const c = new LocationCache();
    c.insert(range('t', undefined, 'g', 'http://1'));
    c.insert(range('t', 'g', undefined, 'http://2'));
    c.insert(range('u', undefined, undefined, 'http://2'));
    c.forget('t', b('a'));
    expect(urlAt(c, 't', 'a')).toBeUndefined();
    expect(urlAt(c, 't', 'z')).toBe('http://2');
    c.forgetServer('http://2');
    expect(c.size).toBe(0);
    c.insert(range('t', undefined, undefined));
    c.forgetTable('t');
    expect(c.size).toBe(0);
  });

  it('stays within maxEntries, evicting the least recently used range', () => {
    const c = new LocationCache(2);
    c.insert(range('a', undefined, undefined));
    c.insert(range('b', undefined, undefined));
    expect(urlAt(c, 'a', 'x')).toBe('http://a'); // a is now the most recent
    c.insert(range('c', undefined, undefined));
    expect(c.size).toBe(2);
    expect(urlAt(c, 'b', 'x')).toBeUndefined();
    expect(urlAt(c, 'a', 'x')).toBe('http://a');
    expect(urlAt(c, 'c', 'x')).toBe('http://a');
  });
});
