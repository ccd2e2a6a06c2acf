// RedisLockStore under Redis faults, against a real redis-server per test:
// kill -9 with AOF (nothing lost), restart without persistence (safe mode,
// never two holders, revisions never go down), a rollback to an older AOF
// (detected by a front end that saw newer revisions), Redis down or paused
// (fast UNAVAILABLE with an unknown outcome; idempotent acquire retries).
// The SAME store object lives through each fault, as a lock-server process
// would: ioredis reconnects underneath it.

import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedisServer } from '../../testing/redis-server.js';
import type { LockStoreLimits } from '../lock-store.js';
import { expectKdiError, until } from '../store-conformance.js';
import { RedisLockStore, type RedisLockStoreOptions } from './redis-store.js';

const LIMITS: LockStoreLimits = { minTtlMs: 100, maxTtlMs: 1_500, lockDelayMs: 300, maxContentsBytes: 1_024, eventRetention: 1_000 };
const SAFE_WINDOW_MS = LIMITS.maxTtlMs + LIMITS.lockDelayMs;
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe('RedisLockStore under Redis faults', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setUp(server: { appendOnly: boolean }, opts: Partial<RedisLockStoreOptions> = {}) {
    const redis = await startRedisServer({ appendOnly: server.appendOnly, appendfsync: 'always' });
    cleanups.push(() => redis.cleanup());
    const warnings: string[] = [];
    const open = async () => {
      const store = await RedisLockStore.open({ url: redis.url, limits: LIMITS, logger: { warn: (m) => warnings.push(m) }, ...opts });
      cleanups.push(() => store.close());
      return store;
    };
    const store = await open();
    await until('the end of safe mode', async () => (await store.status()).safeModeRemainingMs === 0, SAFE_WINDOW_MS + 10_000);
    return { redis, store, open, warnings };
  }

  /** Calls status() until Redis answers again after a restart. */
  const reachable = (store: RedisLockStore) => until('Redis reachable again', async () => store.status().catch(() => undefined), 20_000);

  it('kill -9 with appendfsync always loses no file, lock, session or generation', async () => {
    const { redis, store, open } = await setUp({ appendOnly: true });
    const s = await store.openSession(LIMITS.maxTtlMs);
    const other = await store.openSession(LIMITS.maxTtlMs);
    const created = await store.createFile('/kdi/root', enc('tablet-1'));
    const changed = await store.setContents('/kdi/root', enc('tablet-2'));
    await store.createFile('/kdi/servers/ts-1', enc('me'), { ephemeralOwner: s.sessionId });
    const grant = await store.acquire({ sessionId: s.sessionId, path: '/kdi/root', mode: 'exclusive', requestId: 'r1' });
    if (!grant.acquired) throw new Error('expected a grant');
    const before = await store.status();

    await redis.kill9();
    await redis.restart();
    const after = await reachable(store);

    expect(after.incarnation).toBe(before.incarnation);
    expect(after.safeModeRemainingMs).toBe(0);
    expect(after.revision).toBe(before.revision);
    expect(await store.validateSequencer(grant.sequencer)).toEqual({ valid: true });
    const root = await store.getFile('/kdi/root');
    expect(dec(root.value.contents)).toBe('tablet-2');
    expect(root.value.generation).toBe(changed.value.generation);
    expect(root.value.generation).toBeGreaterThan(created.value.generation);
    expect(root.value.lock).toEqual({ mode: 'exclusive', holders: [grant.sequencer.generation] });
    expect((await store.getFile('/kdi/servers/ts-1')).value.ephemeralOwner).toBe(s.sessionId);
    await store.keepAlive(s.sessionId);
    expect(await store.acquire({ sessionId: other.sessionId, path: '/kdi/root', mode: 'exclusive', requestId: 'r2' })).toMatchObject({ acquired: false, reason: 'held' });
    // The retry of the grant made before the crash is still the same grant.
    expect(await store.acquire({ sessionId: s.sessionId, path: '/kdi/root', mode: 'exclusive', requestId: 'r1' })).toEqual(grant);
    // A front end started after the crash sees the same state.
    const fresh = await open();
    expect((await fresh.status()).incarnation).toBe(before.incarnation);
    expect((await fresh.setContents('/kdi/root', enc('tablet-3'), { ifGeneration: changed.value.generation })).value.generation).toBeGreaterThan(before.revision);
  });

  it('restart without persistence: safe mode, cursors reset, no grant before the old lease ran out, revisions above all earlier ones', async () => {
    const { redis, store, warnings } = await setUp({ appendOnly: false });
    const old = await store.openSession(LIMITS.maxTtlMs);
    await store.createFile('/lock', enc('v1'));
    const oldGrant = await store.acquire({ sessionId: old.sessionId, path: '/lock', mode: 'exclusive', requestId: 'old' });
    if (!oldGrant.acquired) throw new Error('expected a grant');
    // The old holder's lease, as its client measures it: from when the keep-alive was sent.
    const sentAt = performance.now();
    await store.keepAlive(old.sessionId);
    const cursor = (await store.readEvents(undefined, 1)).revision;
    const waiting = store.waitForChange(cursor, 60_000);
    const before = await store.status();

    await redis.restart(); // no AOF, no RDB: every key is gone
    await waiting; // woken by the reconnect: the caller re-reads and learns of the reset
    const after = await reachable(store);
    expect(after.incarnation).not.toBe(before.incarnation);
    expect(after.safeModeRemainingMs).toBeGreaterThan(0);
    expect(after.revision).toBeGreaterThan(cursor);
    expect(warnings.some((w) => w.includes('new incarnation'))).toBe(true);
    expect(await store.readEvents(cursor, 10)).toMatchObject({ reset: true, events: [] });
    await expectKdiError(store.keepAlive(old.sessionId), 'NOT_FOUND');
    expect((await store.validateSequencer(oldGrant.sequencer)).valid).toBe(false);

    const next = await store.openSession(LIMITS.maxTtlMs);
    const recreated = await store.createFile('/lock', enc('v2'));
    expect(recreated.value.generation).toBeGreaterThan(oldGrant.sequencer.generation);
    const reasons = new Set<string>();
    const granted = await until(
      'a grant after safe mode',
      async () => {
        await store.keepAlive(next.sessionId);
        const o = await store.acquire({ sessionId: next.sessionId, path: '/lock', mode: 'exclusive', requestId: 'next' });
        if (!o.acquired) reasons.add(o.reason);
        return o.acquired && o.sequencer;
      },
      SAFE_WINDOW_MS + 10_000,
    );
    const grantedAt = performance.now();
    expect([...reasons]).toEqual(['safe-mode']);
    // Never two holders: the new grant comes after the old holder's own lease ran out.
    expect(grantedAt - sentAt).toBeGreaterThanOrEqual(old.ttlMs);
    expect(granted.generation).toBeGreaterThan(oldGrant.sequencer.generation);
  });

  it('a front end that saw newer revisions detects Redis rolled back to an older AOF', async () => {
    const { redis, store, open } = await setUp({ appendOnly: true });
    const s = await store.openSession(LIMITS.maxTtlMs);
    await store.createFile('/f', enc('old'));
    const staleGrant = await store.acquire({ sessionId: s.sessionId, path: '/f', mode: 'exclusive', requestId: 'r' });
    if (!staleGrant.acquired) throw new Error('expected a grant');
    const backup = join(redis.dir, 'aof-backup');
    await cp(join(redis.dir, 'appendonlydir'), backup, { recursive: true });
    await store.release(s.sessionId, '/f');
    for (let i = 0; i < 5; i += 1) await store.setContents('/f', enc(`new-${i}`));
    const before = await store.status();

    await redis.kill9();
    await rm(join(redis.dir, 'appendonlydir'), { recursive: true });
    await cp(backup, join(redis.dir, 'appendonlydir'), { recursive: true });
    await redis.restart();

    const after = await reachable(store);
    expect(after.incarnation).not.toBe(before.incarnation);
    expect(after.safeModeRemainingMs).toBeGreaterThan(0);
    expect(after.revision).toBeGreaterThan(before.revision);
    // The rolled-back state claimed the lock was held; the new incarnation dropped every session.
    expect((await store.validateSequencer(staleGrant.sequencer)).valid).toBe(false);
    await expectKdiError(store.keepAlive(s.sessionId), 'NOT_FOUND');
    expect((await store.setContents('/f', enc('after'))).value.generation).toBeGreaterThan(before.revision);
    expect((await (await open()).status()).incarnation).toBe(after.incarnation);
  });

  it('fails fast with UNAVAILABLE while Redis is down, and works again once it is back', async () => {
    const { redis, store, warnings } = await setUp({ appendOnly: true }, { commandTimeoutMs: 30_000 });
    const s = await store.openSession(LIMITS.maxTtlMs);
    await store.createFile('/still-here', enc('yes'));
    await redis.stop();
    // Without an offline queue a call fails at once instead of waiting for the
    // 30 s command timeout; the race only bounds a hang.
    const hang = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 10_000).unref());
    for (const call of [store.getFile('/still-here'), store.acquire({ sessionId: s.sessionId, path: '/still-here', mode: 'exclusive', requestId: 'x' }), store.status()]) {
      const outcome = await Promise.race([
        call.then(
          () => 'succeeded',
          (e: unknown) => e,
        ),
        hang,
      ]);
      expect(outcome).not.toBe('hung');
      expect(outcome).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
      expect((outcome as Error).message).toContain('outcome is unknown');
    }
    expect(await Promise.race([store.waitForChange(0, 200).then(() => 'resolved'), hang])).toBe('resolved');
    // The warning comes from the connection's error event, which may trail
    // the failed calls; it is logged once, not per failed call.
    await until('the connection warning', async () => warnings.some((w) => w.includes('Redis connection failed')));
    expect(warnings.filter((w) => w.includes('Redis connection failed'))).toHaveLength(1);
    await redis.restart();
    await reachable(store);
    expect(dec((await store.getFile('/still-here')).value.contents)).toBe('yes');
  });

  it('times out a call to a paused Redis as UNAVAILABLE; the idempotent retry returns the grant it may have made', async () => {
    const { redis, store } = await setUp({ appendOnly: true }, { commandTimeoutMs: 300 });
    const s = await store.openSession(LIMITS.maxTtlMs);
    await store.createFile('/paused', enc(''));
    const cursor = (await store.readEvents(undefined, 1)).revision;
    process.kill(redis.pid, 'SIGSTOP');
    try {
      const e = await expectKdiError(store.acquire({ sessionId: s.sessionId, path: '/paused', mode: 'exclusive', requestId: 'once' }), 'UNAVAILABLE');
      expect(e.message).toContain('outcome is unknown');
    } finally {
      process.kill(redis.pid, 'SIGCONT');
    }
    // The timed-out acquire did run once Redis resumed; retrying it gets that grant, not a second one.
    const retried = await until('the retry', async () => store.acquire({ sessionId: s.sessionId, path: '/paused', mode: 'exclusive', requestId: 'once' }).catch(() => undefined));
    expect(retried.acquired).toBe(true);
    const events = (await store.readEvents(cursor, 100)).events.filter((ev) => ev.type === 'lock-acquired');
    expect(events).toHaveLength(1);
    if (retried.acquired) expect(events[0]?.revision).toBe(retried.sequencer.generation);
  });
});
