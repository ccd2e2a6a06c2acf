// The heartbeat body: what the master's schema accepts, with bounds as
// UTF-8 text — or all of them base64 when one is not text — and each
// tablet's rates, memory and lease as whole numbers.

import { HeartbeatBodySchema } from '@kdi/protocol';
import { describe, expect, it } from 'vitest';
import type { TabletView } from '../tablets/tablet-types.js';
import { heartbeatBody, type HeartbeatSources } from './heartbeat-status.js';

const view = (tabletId: string, lower?: Uint8Array, upper?: Uint8Array): TabletView => ({
  tabletId,
  table: 't',
  lowerExclusive: lower,
  upperInclusive: upper,
  state: 'serving',
  fragments: 1,
  diskBytes: 100,
  diskCells: 3,
});

function sources(tablets: TabletView[]): HeartbeatSources {
  return {
    serverId: 'ts-1',
    url: 'http://127.0.0.1:7201',
    startedAt: '2026-01-01T00:00:00.000Z',
    tablets: () => tablets,
    rates: (id) => (id === 'a' ? { readsPerSec: 2.5, writesPerSec: 10 } : { readsPerSec: 0, writesPerSec: 0 }),
    disks: async () => [{ path: '/d0', capacityBytes: 1000, freeBytes: 400, kdiBytes: 50 }],
    memoryFragmentBytes: () => 1234.5,
    memoryBudgetBytes: 1 << 20,
    leaseRemainingMs: () => 812.7,
    memoryUsage: () => ({ rss: 5e7, heapUsed: 2e7 }),
  };
}

describe('heartbeatBody', () => {
  it('is a HeartbeatBody with UTF-8 bounds', async () => {
    const body = await heartbeatBody(sources([view('a', undefined, Buffer.from('m')), view('b', Buffer.from('m'))]), 'split');
    expect(HeartbeatBodySchema.parse(body)).toEqual(body);
    expect(body).toMatchObject({
      encoding: 'utf8',
      reason: 'split',
      leaseRemainingMs: 812,
      memory: { rssBytes: 5e7, heapUsedBytes: 2e7, memoryFragmentBytes: 1234, memoryBudgetBytes: 1 << 20 },
      tablets: [
        { tabletId: 'a', upperInclusive: 'm', readsPerSec: 2.5, writesPerSec: 10, diskBytes: 100, state: 'serving' },
        { tabletId: 'b', lowerExclusive: 'm', readsPerSec: 0, writesPerSec: 0 },
      ],
    });
    expect(body.tablets[0]).not.toHaveProperty('lowerExclusive');
  });

  it('writes every bound in base64 when one is not UTF-8', async () => {
    const body = await heartbeatBody(sources([view('a', undefined, Buffer.from([0xff])), view('b', Buffer.from([0xff]), Buffer.from('z'))]), 'periodic');
    expect(HeartbeatBodySchema.parse(body)).toEqual(body);
    expect(body.encoding).toBe('base64');
    expect(body.tablets.map((t) => [t.lowerExclusive, t.upperInclusive])).toEqual([
      [undefined, '/w=='],
      ['/w==', 'eg=='],
    ]);
  });
});
