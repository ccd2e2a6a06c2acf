// Embedded-store specifics on a manual clock (exact lease, lock-delay and
// safe-mode arithmetic without sleeping), plus the sweeper, close and the
// revision counter across restarts with a wall clock stepped back.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LockStoreLimits } from '../lock-store.js';
import { ManualClock } from '@kdi/primitives';
import { expectKdiError } from '../store-conformance.js';
import { EmbeddedLockStore } from './embedded-lock-store.js';

const LIMITS: LockStoreLimits = { minTtlMs: 1_000, maxTtlMs: 60_000, lockDelayMs: 10_000, maxContentsBytes: 64, eventRetention: 100 };
const NO_SWEEP = 1_000_000_000;
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

let dataDir: string;
let clock: ManualClock;
const stores: EmbeddedLockStore[] = [];
async function open(opts: { limits?: Partial<LockStoreLimits>; revisionReserve?: number; sweepIntervalMs?: number; realClock?: boolean } = {}) {
  const store = await EmbeddedLockStore.open({
    dataDir,
    limits: { ...LIMITS, ...opts.limits },
    sweepIntervalMs: opts.sweepIntervalMs ?? NO_SWEEP,
    ...(!opts.realClock && { clock }),
    ...(opts.revisionReserve !== undefined && { revisionReserve: opts.revisionReserve }),
  });
  stores.push(store);
  return store;
}
let requestIds = 0;
const acquire = (store: EmbeddedLockStore, sessionId: string, path: string, mode: 'exclusive' | 'shared' = 'exclusive') =>
  store.acquire({ sessionId, path, mode, requestId: `q${++requestIds}` });

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kdi-embedded-'));
  clock = new ManualClock();
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('EmbeddedLockStore on a manual clock', () => {
  it('starts a new data directory without safe mode, and a restart in safe mode for maxTtlMs + lockDelayMs', async () => {
    const first = await open();
    expect((await first.status()).safeModeRemainingMs).toBe(0);
    const s = await first.openSession(5_000);
    await first.createFile('/lock', new Uint8Array());
    expect((await acquire(first, s.sessionId, '/lock')).acquired).toBe(true);
    const { incarnation } = await first.status();
    await first.close();

    const second = await open();
    const window = LIMITS.maxTtlMs + LIMITS.lockDelayMs;
    expect((await second.status()).safeModeRemainingMs).toBe(window);
    const t = await second.openSession(60_000);
    expect(await acquire(second, t.sessionId, '/lock')).toEqual({ acquired: false, reason: 'safe-mode', retryAfterMs: window });
    clock.advance(window / 2);
    await second.keepAlive(t.sessionId);
    clock.advance(window / 2 - 1);
    await second.keepAlive(t.sessionId);
    expect(await acquire(second, t.sessionId, '/lock')).toEqual({ acquired: false, reason: 'safe-mode', retryAfterMs: 1 });
    clock.advance(1);
    expect((await acquire(second, t.sessionId, '/lock')).acquired).toBe(true);
    expect((await second.status()).incarnation).not.toBe(incarnation);
  });

  it('leaves a mark even when only locks were used, so the next start is in safe mode', async () => {
    const first = await open();
    const s = await first.openSession(undefined);
    await first.createFile('/eph', new Uint8Array(), { ephemeralOwner: s.sessionId });
    expect((await acquire(first, s.sessionId, '/eph')).acquired).toBe(true);
    await first.close();
    expect((await (await open()).status()).safeModeRemainingMs).toBeGreaterThan(0);
  });

  it('restarts without safe mode after a close that left no session and no lock-delay (every client stopped first)', async () => {
    const first = await open();
    const s = await first.openSession(5_000);
    await first.createFile('/lock', bytes('kept'));
    expect((await acquire(first, s.sessionId, '/lock')).acquired).toBe(true);
    await first.closeSession(s.sessionId);
    await first.close();

    const second = await open();
    expect((await second.status()).safeModeRemainingMs).toBe(0);
    const t = await second.openSession(5_000);
    expect((await acquire(second, t.sessionId, '/lock')).acquired).toBe(true);
    expect(Buffer.from((await second.getFile('/lock')).value.contents).toString()).toBe('kept');
    // The open rewrote the mark away: a crash now (no close) means safe mode next time.
    const third = await open();
    expect((await third.status()).safeModeRemainingMs).toBe(LIMITS.maxTtlMs + LIMITS.lockDelayMs);
  });

  it('keeps safe mode after a close while a lock is in its lock-delay (its holder may not know it expired)', async () => {
    const first = await open();
    const s = await first.openSession(1_000);
    await first.createFile('/lock', new Uint8Array());
    expect((await acquire(first, s.sessionId, '/lock')).acquired).toBe(true);
    clock.advance(1_001);
    await first.expireSessions();
    await first.close();
    expect((await (await open()).status()).safeModeRemainingMs).toBe(LIMITS.maxTtlMs + LIMITS.lockDelayMs);
  });

  it('expires a session inside the next call once its deadline passes (no sweeper needed)', async () => {
    const store = await open();
    const s = await store.openSession(2_000);
    await store.createFile('/lock', new Uint8Array());
    const grant = await acquire(store, s.sessionId, '/lock');
    if (!grant.acquired) throw new Error('no grant');
    clock.advance(1_999);
    expect((await store.validateSequencer(grant.sequencer)).valid).toBe(true);
    clock.advance(1);
    expect((await store.validateSequencer(grant.sequencer)).valid).toBe(false);
    await expectKdiError(store.keepAlive(s.sessionId), 'NOT_FOUND');
  });

  it('keeps an expired lock for max(lockDelayMs, the session TTL)', async () => {
    const store = await open();
    const longLease = await store.openSession(30_000);
    const shortLease = await store.openSession(1_000);
    const waiter = await store.openSession(60_000);
    await store.createFile('/long', new Uint8Array());
    await store.createFile('/short', new Uint8Array());
    expect((await acquire(store, longLease.sessionId, '/long')).acquired).toBe(true);
    expect((await acquire(store, shortLease.sessionId, '/short', 'shared')).acquired).toBe(true);
    clock.advance(1_000);
    expect(await acquire(store, waiter.sessionId, '/short', 'shared')).toEqual({ acquired: false, reason: 'lock-delay', retryAfterMs: LIMITS.lockDelayMs });
    clock.advance(29_000);
    expect((await store.getFile('/long')).value.lockDelayRemainingMs).toBe(30_000);
    expect(await acquire(store, waiter.sessionId, '/long')).toEqual({ acquired: false, reason: 'lock-delay', retryAfterMs: 30_000 });
    await store.keepAlive(waiter.sessionId);
    clock.advance(29_999);
    expect(await acquire(store, waiter.sessionId, '/long')).toMatchObject({ acquired: false, reason: 'lock-delay', retryAfterMs: 1 });
    clock.advance(1);
    expect((await acquire(store, waiter.sessionId, '/long')).acquired).toBe(true);
    expect((await acquire(store, waiter.sessionId, '/short')).acquired).toBe(true);
  });

  it("releases other sessions' locks on an ephemeral file that vanishes with its owner", async () => {
    const store = await open();
    const owner = await store.openSession(1_000);
    const reader = await store.openSession(60_000);
    await store.createFile('/eph', bytes('x'), { ephemeralOwner: owner.sessionId });
    const grant = await acquire(store, reader.sessionId, '/eph', 'shared');
    if (!grant.acquired) throw new Error('no grant');
    const cursor = (await store.status()).revision;
    clock.advance(1_000);
    const events = (await store.readEvents(cursor, 10)).events.map((e) => `${e.type} ${e.path}`);
    expect(events).toEqual(['lock-released /eph', 'deleted /eph']);
    expect((await store.validateSequencer(grant.sequencer)).valid).toBe(false);
    expect(await store.release(reader.sessionId, '/eph')).toBe(false);
  });

  it('never hands out a lower revision after a restart, even with the wall clock stepped back', async () => {
    const seen: number[] = [];
    for (let restart = 0; restart < 3; restart += 1) {
      const store = await open({ revisionReserve: 10 });
      const s = await store.openSession(60_000);
      if (restart === 0) await store.createFile('/lock', new Uint8Array());
      for (let passed = 0; passed < LIMITS.maxTtlMs + LIMITS.lockDelayMs; passed += 10_000) {
        clock.advance(10_000);
        await store.keepAlive(s.sessionId);
      }
      // Lock grants are not persisted one by one; the ceiling covers them.
      for (let i = 0; i < 25; i += 1) {
        const g = await acquire(store, s.sessionId, '/lock');
        if (!g.acquired) throw new Error(`no grant: ${JSON.stringify(g)}`);
        expect(g.sequencer.generation).toBeGreaterThan(Math.max(0, ...seen));
        seen.push(g.sequencer.generation);
        await store.release(s.sessionId, '/lock');
      }
      await store.close();
      clock.setWall(clock.wallMicros() - 3_600_000_000);
    }
    const last = await open({ revisionReserve: 10 });
    expect((await last.status()).revision).toBeGreaterThan(Math.max(...seen));
  });

  it('copies contents in and out', async () => {
    const store = await open();
    const data = bytes('abc');
    const created = await store.createFile('/c', data);
    data[0] = 0x7a;
    created.value.contents[1] = 0x7a;
    expect(new TextDecoder().decode((await store.getFile('/c')).value.contents)).toBe('abc');
  });

  it('refuses bad arguments with INVALID_ARGUMENT', async () => {
    const store = await open();
    await expectKdiError(store.openSession(-5), 'INVALID_ARGUMENT');
    await expectKdiError(store.openSession(Number.NaN), 'INVALID_ARGUMENT');
    await expectKdiError(store.readEvents(0, 0), 'INVALID_ARGUMENT');
    await expectKdiError(store.readEvents(-1, 10), 'INVALID_ARGUMENT');
    const s = await store.openSession(undefined);
    expect(s.ttlMs).toBe(10_000);
    await store.createFile('/f', new Uint8Array());
    await expectKdiError(store.acquire({ sessionId: s.sessionId, path: '/f', mode: 'both' as 'shared', requestId: 'r' }), 'INVALID_ARGUMENT');
    await expectKdiError(store.acquire({ sessionId: s.sessionId, path: '/f', mode: 'shared', requestId: '' }), 'INVALID_ARGUMENT');
    await expectKdiError(store.createFile('/big', new Uint8Array(65)), 'INVALID_ARGUMENT');
    await expectKdiError(store.validateSequencer({ path: '../x', mode: 'shared', generation: 1 }), 'INVALID_ARGUMENT');
    const e = await expectKdiError(
      EmbeddedLockStore.open({ dataDir: join(dataDir, 'other'), limits: { minTtlMs: 5_000, maxTtlMs: 1_000, eventRetention: 0 } }),
      'INVALID_ARGUMENT',
    );
    expect(e.message).toContain('minTtlMs');
    expect(e.message).toContain('eventRetention');
  });
});

describe('EmbeddedLockStore on the real clock', () => {
  it('expires sessions without traffic: the sweeper wakes watchers', { timeout: 10_000 }, async () => {
    const store = await open({ realClock: true, limits: { minTtlMs: 100 }, sweepIntervalMs: 20 });
    const s = await store.openSession(100);
    await store.createFile('/eph', new Uint8Array(), { ephemeralOwner: s.sessionId });
    const cursor = (await store.status()).revision;
    // Nothing else calls the store until the wait ends; the timeout is far
    // beyond the test's, so only the sweeper can end it in time.
    await store.waitForChange(cursor, 60_000);
    expect((await store.readEvents(cursor, 10)).events.map((e) => `${e.type} ${e.path}`)).toEqual(['deleted /eph']);
  });

  it('close ends waits and refuses further calls', async () => {
    const store = await open({ realClock: true });
    const waiting = store.waitForChange((await store.status()).revision, 60_000);
    await store.close();
    await waiting;
    await expectKdiError(store.getFile('/x'), 'UNAVAILABLE');
    await store.waitForChange(0, 60_000);
    await store.close();
  });
});
