// RedisLockStore.open: the persistence warnings (DESIGN §8: warn at start
// when Redis has no AOF persistence), refused options, an unreachable Redis,
// and key prefixes that keep stores apart.

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startRedisServer, type RedisServerHandle } from '../../testing/redis-server.js';
import { CONFORMANCE_LIMITS, expectKdiError } from '../store-conformance.js';
import { RedisLockStore } from './redis-store.js';

describe('RedisLockStore.open', () => {
  let server: RedisServerHandle;
  let admin: Redis;
  let prefixes = 0;

  beforeAll(async () => {
    server = await startRedisServer({ appendOnly: false });
    admin = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await admin.connect();
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.cleanup();
  });

  /** Opens and closes a store; returns what it warned about. */
  async function warningsOfOpen(url = server.url): Promise<string[]> {
    const warnings: string[] = [];
    const store = await RedisLockStore.open({ url, limits: CONFORMANCE_LIMITS, keyPrefix: `open${++prefixes}:`, logger: { warn: (m) => warnings.push(m) } });
    await store.close();
    return warnings;
  }
  const aboutPersistence = (ws: string[]) => ws.filter((w) => !w.startsWith('lock store in safe mode'));

  it('warns when Redis has no persistence, and that a fresh store starts in safe mode', async () => {
    const warnings = await warningsOfOpen();
    expect(aboutPersistence(warnings)).toEqual(['Redis has no persistence: a restart loses every lock; production needs appendonly yes + appendfsync always']);
    expect(warnings.some((w) => w.startsWith('lock store in safe mode'))).toBe(true);
  });

  it('warns about RDB-only persistence, appendfsync everysec and eviction; not about AOF with appendfsync always', async () => {
    try {
      await admin.config('SET', 'save', '3600 1');
      expect(aboutPersistence(await warningsOfOpen())).toEqual([expect.stringContaining('persists only RDB snapshots')]);
      await admin.config('SET', 'appendonly', 'yes');
      await admin.config('SET', 'appendfsync', 'everysec');
      expect(aboutPersistence(await warningsOfOpen())).toEqual([expect.stringContaining('appendfsync everysec')]);
      await admin.config('SET', 'appendfsync', 'always');
      expect(aboutPersistence(await warningsOfOpen())).toEqual([]);
      await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
      expect(aboutPersistence(await warningsOfOpen())).toEqual([expect.stringContaining('maxmemory-policy noeviction')]);
    } finally {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      await admin.config('SET', 'appendonly', 'no');
      await admin.config('SET', 'save', '');
    }
  });

  it('warns that persistence could not be checked when CONFIG is refused, and still works', async () => {
    await admin.call('ACL', 'SETUSER', 'noconfig', 'on', '>secret', '~*', '&*', '+@all', '-config');
    const url = `redis://noconfig:secret@127.0.0.1:${server.port}`;
    expect(aboutPersistence(await warningsOfOpen(url))).toEqual([expect.stringContaining('could not check Redis persistence')]);
  });

  it('refuses bad options with INVALID_ARGUMENT and an unreachable Redis with UNAVAILABLE', async () => {
    await expectKdiError(RedisLockStore.open({ url: server.url, keyPrefix: 'bad prefix' }), 'INVALID_ARGUMENT');
    await expectKdiError(RedisLockStore.open({ url: server.url, limits: { minTtlMs: 5_000, maxTtlMs: 1_000 } }), 'INVALID_ARGUMENT');
    await expectKdiError(RedisLockStore.open({ url: server.url, limits: { eventRetention: 0 } }), 'INVALID_ARGUMENT');
    const nobody = await freePort();
    const e = await expectKdiError(RedisLockStore.open({ url: `redis://127.0.0.1:${nobody}`, connectTimeoutMs: 1_000 }), 'UNAVAILABLE');
    expect(e.message).toContain(String(nobody));
  });

  it('keeps stores with different key prefixes apart on one Redis', async () => {
    const quiet = { warn: () => undefined };
    const one = await RedisLockStore.open({ url: server.url, limits: CONFORMANCE_LIMITS, keyPrefix: 'tenant-a:', logger: quiet });
    const two = await RedisLockStore.open({ url: server.url, limits: CONFORMANCE_LIMITS, keyPrefix: 'tenant-b:', logger: quiet });
    try {
      await one.createFile('/only-in-a', new Uint8Array([1]));
      await expectKdiError(two.getFile('/only-in-a'), 'NOT_FOUND');
      expect((await two.listChildren('/')).value).toEqual([]);
      expect((await one.status()).incarnation).not.toBe((await two.status()).incarnation);
      expect(await admin.exists('tenant-a:meta', 'tenant-b:meta', 'kdi:lock:meta')).toBe(2);
    } finally {
      await one.close();
      await two.close();
    }
  });
});
