import { KdiError } from '@kdi/protocol';
import { describe, expect, it } from 'vitest';
import { LocationCache } from './location-cache.js';
import { Locator } from './locator.js';
import { forgetAfter } from './routing.js';
import type { ServerPools } from './server-pools.js';

const b = (s: string) => Buffer.from(s);

function locatorWith(url: string, epoch: number): Locator {
  const cache = new LocationCache();
  cache.insert({ table: 't', lowerExclusive: b('f'), upperInclusive: b('p'), location: { serverId: 'S', url, epoch } });
  return new Locator({} as ServerPools, ['http://bootstrap'], cache);
}

const wrongTablet = (row: string, hint?: object) => new KdiError('WRONG_TABLET', 'not here', { details: { table: 't', row, serverId: 'S', ...(hint && { locationHint: hint }) } });

describe('forgetAfter', () => {
  it('a WRONG_TABLET hinting a move (serving, newer epoch, another server): the range names the hinted server, bounds kept', () => {
    const locator = locatorWith('http://s', 7);
    forgetAfter(locator, wrongTablet('k', { serverId: 'D', url: 'http://d', epoch: 8, state: 'serving' }), 't', b('k'), 'http://s');
    const r = locator.cache.find('t', b('k'));
    expect(r?.location).toEqual({ serverId: 'D', url: 'http://d', epoch: 8 });
    expect(r?.lowerExclusive).toEqual(b('f'));
    expect(r?.upperInclusive).toEqual(b('p'));
  });

  it('any other WRONG_TABLET drops the range (META is read again)', () => {
    for (const hint of [
      undefined,
      { serverId: 'D', url: 'http://d', epoch: 7, state: 'serving' }, // not newer
      { serverId: 'D', url: 'http://d', epoch: 8, state: 'loading' }, // not serving yet
      { serverId: 'S', url: 'http://s', epoch: 8, state: 'serving' }, // the server that refused
    ]) {
      const locator = locatorWith('http://s', 7);
      forgetAfter(locator, wrongTablet('k', hint), 't', b('k'), 'http://s');
      expect(locator.cache.find('t', b('k')), JSON.stringify(hint)).toBeUndefined();
    }
    // The row the server names lies outside the routed range (a split): both dropped.
    const locator = locatorWith('http://s', 7);
    forgetAfter(locator, wrongTablet('z', { serverId: 'D', url: 'http://d', epoch: 8, state: 'serving' }), 't', b('k'), 'http://s');
    expect(locator.cache.find('t', b('k'))).toBeUndefined();
  });
});
