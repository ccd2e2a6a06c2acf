// withLock against a real lock server: exclusive runs, release on throw,
// create-if-missing, and the signal that tells fn its hold is gone.

import { KdiError } from '@kdi/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FaultProxy } from '../test-support/fault-proxy.js';
import { startEmbeddedLockServer } from '../test-support/embedded-lock-server.js';
import { type RunningLockServer } from '../test-support/lock-server.js';
import { ManualClock } from '@kdi/primitives';
import { LockClient } from './lock-client.js';
import type { LockSession } from './lock-session.js';

let server: RunningLockServer;
let clientA: LockClient;
let clientB: LockClient;
let a: LockSession;
let b: LockSession;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  server = await startEmbeddedLockServer();
  clientA = new LockClient({ url: server.url, ttlMs: 3_000 });
  clientB = new LockClient({ url: server.url, ttlMs: 3_000 });
  a = await clientA.openSession();
  b = await clientB.openSession();
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await clientA?.close();
  await clientB?.close();
  await server?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('withLock', () => {
  it('runs exclusively: a second client waits until the first has released', async () => {
    const timeline: string[] = [];
    const generations: number[] = [];
    let insideA!: () => void;
    const aInside = new Promise<void>((r) => (insideA = r));
    const runA = a.withLock(
      '/w/exclusive',
      async ({ sequencer }) => {
        timeline.push('A in');
        generations.push(sequencer.generation);
        insideA();
        await sleep(300);
        timeline.push('A out');
        return 'a';
      },
      { createIfMissing: true },
    );
    await aInside;
    const runB = b.withLock(
      '/w/exclusive',
      async ({ sequencer }) => {
        timeline.push('B in');
        generations.push(sequencer.generation);
        return 'b';
      },
      { waitMs: 20_000 },
    );
    expect(await Promise.all([runA, runB])).toEqual(['a', 'b']);
    expect(timeline).toEqual(['A in', 'A out', 'B in']);
    expect(generations[1]).toBeGreaterThan(generations[0]!);
    expect((await clientA.stat('/w/exclusive')).lock.mode).toBe('none');
  });

  it('never lets two holders overlap among many concurrent calls', async () => {
    await clientA.createFile('/w/counter', { contents: '0' });
    let inside = 0;
    let maxInside = 0;
    const work = (session: LockSession) =>
      session.withLock(
        '/w/counter',
        async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          const file = await session.client.getFile('/w/counter');
          await sleep(5);
          await session.client.setContents('/w/counter', String(Number(file.contents) + 1), { ifGeneration: file.generation });
          inside--;
        },
        { waitMs: 30_000 },
      );
    // Both sessions, and several calls within each session, compete at once.
    await Promise.all(Array.from({ length: 12 }, (_, i) => work(i % 2 === 0 ? a : b)));
    expect(maxInside).toBe(1);
    expect((await clientA.getFile('/w/counter')).contents).toBe('12');
  });

  it('releases the lock when fn throws, and rethrows fn’s error', async () => {
    const boom = new Error('fn failed');
    await expect(a.withLock('/w/throws', () => Promise.reject(boom), { createIfMissing: true })).rejects.toBe(boom);
    expect((await clientA.stat('/w/throws')).lock).toMatchObject({ mode: 'none', holders: [] });
    expect(a.heldLocks().has('/w/throws')).toBe(false);
    // Free at once for somebody else (a try, no waiting).
    expect(await b.withLock('/w/throws', () => 'got it')).toBe('got it');
  });

  it('answers UNAVAILABLE (reason held) when the lock is not granted within waitMs, NOT_FOUND without the file', async () => {
    await clientA.createFile('/w/busy');
    const held = a.withLock('/w/busy', () => sleep(400));
    await vi.waitFor(async () => expect((await clientA.stat('/w/busy')).lock.mode).toBe('exclusive'));
    const e = (await b.withLock('/w/busy', () => 'never', { waitMs: 100 }).catch((err: unknown) => err)) as KdiError;
    expect(e).toBeInstanceOf(KdiError);
    expect(e.code).toBe('UNAVAILABLE');
    expect(e.details).toMatchObject({ path: '/w/busy', reason: 'held' });
    await held;
    await expect(b.withLock('/w/missing', () => 'never')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('lets shared holders run together', async () => {
    await clientA.createFile('/w/shared');
    let together = false;
    let bothIn!: () => void;
    const gate = new Promise<void>((r) => (bothIn = r));
    let count = 0;
    const enter = async () => {
      if (++count === 2) bothIn();
      await Promise.race([gate, sleep(5_000)]);
      together = count === 2;
    };
    await Promise.all([a.withLock('/w/shared', enter, { mode: 'shared' }), b.withLock('/w/shared', enter, { mode: 'shared', waitMs: 5_000 })]);
    expect(together).toBe(true);
  });

  it('aborts fn’s signal when the lease runs out, and rejects even if fn ignores it', async () => {
    const clock = new ManualClock({ monotonicMs: 0 });
    const proxy = await FaultProxy.start(server.url);
    const client = new LockClient({ url: proxy.url, clock, ttlMs: 900 });
    cleanups.push(async () => {
      await client.close();
      await proxy.close();
    });
    const session = await client.openSession();
    let seenReason: unknown;
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    let finish!: () => void;
    const run = session.withLock(
      '/w/lease',
      async ({ signal }) => {
        signal.addEventListener('abort', () => (seenReason = signal.reason));
        entered();
        await new Promise<void>((r) => (finish = r)); // ignores the signal on purpose
        return 'done anyway';
      },
      { createIfMissing: true },
    );
    await inside;
    proxy.on(/\/keepalive$/, 'hold-request');
    clock.advance(300);
    await vi.waitFor(() => expect(proxy.held('request')).toBe(1));
    clock.advance(600); // deadline: 0 + 900
    await vi.waitFor(() => expect(seenReason).toBeInstanceOf(KdiError));
    expect((seenReason as KdiError).code).toBe('FAILED_PRECONDITION');
    expect((seenReason as KdiError).message).toContain('expired');
    finish();
    await expect(run).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });

  it('passes the caller’s cancellation on to fn and still releases', async () => {
    const ac = new AbortController();
    const run = a.withLock(
      '/w/cancel',
      ({ signal }) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason));
          setTimeout(() => ac.abort(new Error('caller gave up')), 20);
        }),
      { createIfMissing: true, signal: ac.signal },
    );
    await expect(run).rejects.toThrow('caller gave up');
    expect((await clientA.stat('/w/cancel')).lock.mode).toBe('none');
  });
});
