import { describe, expect, it } from 'vitest';
import { ServerRegistry, type ServerHeartbeat } from './server-registry.js';

const hb = (serverId: string, url: string, tablets: ServerHeartbeat['tablets'] = []): ServerHeartbeat => ({
  serverId,
  url,
  startedAt: '2026-01-01T00:00:00.000Z',
  encoding: 'utf8',
  tablets,
  disks: [],
  memory: { rssBytes: 1, heapUsedBytes: 1, memoryFragmentBytes: 0, memoryBudgetBytes: 1 },
});

describe('ServerRegistry', () => {
  it('tracks joins and deaths from the server files, and the lock-delay after a death', () => {
    let now = 0;
    const r = new ServerRegistry(() => now);
    expect(
      r.observeFiles([
        { serverId: 'a', url: 'http://a' },
        { serverId: 'b', url: 'http://b' },
      ]),
    ).toEqual({
      joined: [
        { serverId: 'a', url: 'http://a' },
        { serverId: 'b', url: 'http://b' },
      ],
      died: [],
    });
    now = 100;
    expect(r.observeFiles([{ serverId: 'a', url: 'http://a' }])).toEqual({ joined: [], died: ['b'] });
    expect(r.isLive('b')).toBe(false);
    expect(r.deadLongEnough('b', 1000)).toBe(false);
    now = 1100;
    expect(r.deadLongEnough('b', 1000)).toBe(true);
    expect(r.deadLongEnough('a', 0)).toBe(false);
    // An id never seen starts its clock when first asked about.
    expect(r.deadLongEnough('c', 1000)).toBe(false);
    now = 2100;
    expect(r.deadLongEnough('c', 1000)).toBe(true);
    // b comes back.
    expect(
      r.observeFiles([
        { serverId: 'a', url: 'http://a' },
        { serverId: 'b', url: 'http://b2' },
      ]).joined,
    ).toEqual([{ serverId: 'b', url: 'http://b2' }]);
    expect(r.url('b')).toBe('http://b2');
    expect(r.isRestarted('b')).toBe(true);
    expect(r.takeRestarts()).toEqual(['b']);
    expect(r.takeRestarts()).toEqual([]);
  });

  it('sees a restart between two listings by the file generation', () => {
    const r = new ServerRegistry(() => 0);
    r.observeFiles([{ serverId: 'a', url: 'http://a', generation: 1 }]);
    expect(r.observeFiles([{ serverId: 'a', url: 'http://a', generation: 1 }]).joined).toEqual([]);
    expect(r.takeRestarts()).toEqual([]);
    expect(r.observeFiles([{ serverId: 'a', url: 'http://a', generation: 2 }]).joined).toHaveLength(1);
    expect(r.takeRestarts()).toEqual(['a']);
    expect(r.isLive('a')).toBe(true);
  });

  it('keeps heartbeats of live servers only, and finds a tablet by its bounds', () => {
    const r = new ServerRegistry(() => 0);
    expect(r.heartbeat(hb('a', 'http://a'), new Date())).toBe(false);
    r.observeFiles([{ serverId: 'a', url: 'http://a' }]);
    const tablet = { tabletId: 't1', table: 'people', upperInclusive: 'g', state: 'serving' as const, diskBytes: 10, readsPerSec: 1, writesPerSec: 2 };
    expect(r.heartbeat(hb('a', 'http://a', [tablet]), new Date(0))).toBe(true);
    expect(r.tabletStatus('a', 'people', Buffer.from('g'))?.tabletId).toBe('t1');
    expect(r.tabletStatus('a', 'people', undefined)).toBeUndefined();
    expect(r.liveLoads()).toEqual([{ serverId: 'a', url: 'http://a', diskBytes: 10, requestsPerSec: 3 }]);
    expect(r.list(new Map([['a', 5]]))[0]).toMatchObject({ serverId: 'a', state: 'live', tablets: 5, diskBytes: 10, readsPerSec: 1, writesPerSec: 2 });
  });
});
