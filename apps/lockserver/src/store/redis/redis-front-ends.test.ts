// Several lock-server processes share one Redis as stateless front ends:
// here two RedisLockStore instances (each with its own connections and
// event tail) on one real redis-server.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '../../testing/redis-server.js';
import type { LockStore, LockStoreLimits } from '../lock-store.js';
import { sleep, until } from '../store-conformance.js';
import { RedisLockStore } from './redis-store.js';

const LIMITS: LockStoreLimits = { minTtlMs: 100, maxTtlMs: 2_000, lockDelayMs: 300, maxContentsBytes: 1_024, eventRetention: 1_000 };
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe('RedisLockStore: two front ends on one Redis', () => {
  let server: RedisServerHandle;
  let a: RedisLockStore;
  let b: RedisLockStore;

  beforeAll(async () => {
    server = await startRedisServer({ appendOnly: true, appendfsync: 'always' });
    const open = () => RedisLockStore.open({ url: server.url, limits: LIMITS, logger: { warn: () => undefined } });
    a = await open();
    b = await open();
    await until('the end of safe mode', async () => (await a.status()).safeModeRemainingMs === 0, 30_000);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await server?.cleanup();
  });

  it('share one state: one incarnation, one revision counter, grants exclusive across both', async () => {
    const [sa, sb] = [await a.openSession(LIMITS.maxTtlMs), await b.openSession(LIMITS.maxTtlMs)];
    expect((await a.status()).incarnation).toBe((await b.status()).incarnation);
    await a.createFile('/shared/x', enc(''));
    expect((await b.getFile('/shared/x')).value.path).toBe('/shared/x');
    const contenders = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? a : b).openSession(LIMITS.maxTtlMs).then((s) => ({ s, store: i % 2 === 0 ? a : b }))));
    const outcomes = await Promise.all(contenders.map(({ s, store }, i) => store.acquire({ sessionId: s.sessionId, path: '/shared/x', mode: 'exclusive', requestId: `c${i}` })));
    const winners = outcomes.flatMap((o) => (o.acquired ? [o.sequencer] : []));
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    expect(await a.validateSequencer(winner)).toEqual({ valid: true });
    expect(await b.validateSequencer(winner)).toEqual({ valid: true });
    // A session opened through A is known to B: B can close it, releasing its lock.
    const holder = contenders[outcomes.findIndex((o) => o.acquired)]!;
    const other = holder.store === a ? b : a;
    await other.closeSession(holder.s.sessionId);
    expect((await holder.store.validateSequencer(winner)).valid).toBe(false);
    const next = await b.acquire({ sessionId: sb.sessionId, path: '/shared/x', mode: 'shared', requestId: 'sb' });
    const alsoShared = await a.acquire({ sessionId: sa.sessionId, path: '/shared/x', mode: 'shared', requestId: 'sa' });
    expect(next.acquired && alsoShared.acquired).toBe(true);
    expect((await a.getFile('/shared/x')).value.lock?.holders).toHaveLength(2);
  });

  it('wake waiters on one front end for changes made through the other', async () => {
    const cursor = (await b.readEvents(undefined, 1)).revision;
    const waiting = b.waitForChange(cursor, 60_000);
    await sleep(50);
    await a.createFile('/wake/me', enc('hi'));
    await waiting;
    const batch = await b.readEvents(cursor, 100);
    expect(batch.reset).toBe(false);
    expect(batch.events.map((e) => `${e.type} ${e.path}`)).toEqual(['created /wake/me']);
    // And the other way round.
    const cursorA = batch.revision;
    const waitingA = a.waitForChange(cursorA, 60_000);
    await sleep(50);
    await b.setContents('/wake/me', enc('again'));
    await waitingA;
    expect((await a.readEvents(cursorA, 100)).events.map((e) => e.type)).toEqual(['changed']);
  });

  it('keep a fenced counter exact with workers on both front ends', async () => {
    await a.createFile('/counter', enc('0'));
    const WORKERS = 6;
    const ROUNDS = 8;
    let aborted = 0;
    const worker = async (store: LockStore, w: number): Promise<void> => {
      const s = await store.openSession(LIMITS.maxTtlMs);
      for (let round = 0; round < ROUNDS; round += 1) {
        const requestId = `w${w}-${round}`;
        for (;;) {
          const cursor = (await store.readEvents(undefined, 1)).revision;
          const o = await store.acquire({ sessionId: s.sessionId, path: '/counter', mode: 'exclusive', requestId });
          if (o.acquired) {
            const read = await store.getFile('/counter');
            // The receiver's side of fencing: only a valid sequencer may write.
            expect((await store.validateSequencer(o.sequencer)).valid).toBe(true);
            try {
              await store.setContents('/counter', enc(String(Number(dec(read.value.contents)) + 1)), { ifGeneration: read.value.generation });
            } catch {
              aborted += 1;
            }
            expect(await store.release(s.sessionId, '/counter')).toBe(true);
            break;
          }
          expect(o.reason).toBe('held');
          await store.waitForChange(cursor, 1_000);
          await store.keepAlive(s.sessionId);
        }
      }
      await store.closeSession(s.sessionId);
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w % 2 === 0 ? a : b, w)));
    expect(aborted).toBe(0);
    expect(dec((await b.getFile('/counter')).value.contents)).toBe(String(WORKERS * ROUNDS));
  });

  it('expire a session opened through one front end on calls through the other', async () => {
    const short = await a.openSession(150);
    const waiter = await b.openSession(LIMITS.maxTtlMs);
    await a.createFile('/exp', enc(''));
    await a.createFile('/exp-eph', enc(''), { ephemeralOwner: short.sessionId });
    const seq = await a.acquire({ sessionId: short.sessionId, path: '/exp', mode: 'exclusive', requestId: 'short' });
    expect(seq.acquired).toBe(true);
    await sleep(3 * short.ttlMs);
    const o = await b.acquire({ sessionId: waiter.sessionId, path: '/exp', mode: 'exclusive', requestId: 'w' });
    expect(o).toMatchObject({ acquired: false, reason: 'lock-delay' });
    expect((await a.listChildren('/')).value.map((e) => e.name)).not.toContain('exp-eph');
  });
});
