// LockSession against a real lock server, through a fault proxy that can
// stall keep-alives or hold their answers. Lease accounting is checked on a
// ManualClock (it moves only when the test says), the rest in real time.

import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FaultProxy } from '../test-support/fault-proxy.js';
import { startEmbeddedLockServer } from '../test-support/embedded-lock-server.js';
import { nextEvent, type RunningLockServer } from '../test-support/lock-server.js';
import { ManualClock } from '@kdi/primitives';
import { LockClient } from './lock-client.js';
import type { LockSession } from './lock-session.js';

const KEEPALIVE = /\/keepalive$/;

let server: RunningLockServer;
let direct: LockClient;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  server = await startEmbeddedLockServer();
  direct = new LockClient({ url: server.url });
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

afterAll(async () => {
  await direct?.close();
  await server?.close();
});

/** A client talking to the server through a fresh fault proxy. */
async function proxied(opts: { clock?: ManualClock; ttlMs: number }): Promise<{ proxy: FaultProxy; client: LockClient }> {
  const proxy = await FaultProxy.start(server.url);
  const client = new LockClient({ url: proxy.url, ttlMs: opts.ttlMs, ...(opts.clock && { clock: opts.clock }) });
  cleanups.push(async () => {
    await client.close();
    await proxy.close();
  });
  return { proxy, client };
}

function recordEvents(session: LockSession): string[] {
  const seen: string[] = [];
  for (const e of ['jeopardy', 'safe', 'reconnected', 'expired', 'lock-lost', 'closed'] as const) session.on(e, () => seen.push(e));
  return seen;
}

describe('LockSession keep-alive (real time)', () => {
  it('keeps a session alive across many TTLs', async () => {
    const { proxy, client } = await proxied({ ttlMs: 600 });
    const session = await client.openSession();
    const events = recordEvents(session);
    await direct.createFile('/s/alive');
    await new Promise((r) => setTimeout(r, 3_600)); // six TTLs
    expect(events).toEqual([]);
    expect(session.isLive()).toBe(true);
    expect(session.state).toBe('safe');
    expect(proxy.count(KEEPALIVE)).toBeGreaterThanOrEqual(8);
    // The server agrees: the session can still take locks.
    expect((await session.acquire('/s/alive')).acquired).toBe(true);
    await session.close();
  });

  it('goes to jeopardy, then expires, when keep-alives stall; the server then gives its lock to another', async () => {
    const { proxy, client } = await proxied({ ttlMs: 400 });
    await direct.createFile('/s/stalled');
    const session = await client.openSession();
    const grant = await session.acquire('/s/stalled');
    if (!grant.acquired) throw new Error('expected a grant');
    const events = recordEvents(session);
    proxy.on(KEEPALIVE, 'hold-request');
    const jeopardy = await nextEvent(session, 'jeopardy');
    expect(jeopardy.error.code).toBe('DEADLINE_EXCEEDED');
    expect(jeopardy.leaseRemainingMs).toBeGreaterThan(0);
    const expired = await nextEvent(session, 'expired');
    expect(expired.reason).toBe('lease-ran-out');
    expect(events).toEqual(['jeopardy', 'expired']);
    expect(session.isLive()).toBe(false);
    expect(session.leaseRemainingMs()).toBe(0);
    expect((await session.acquire('/s/stalled').catch((e: unknown) => e)) as Error).toMatchObject({ code: 'FAILED_PRECONDITION' });

    const other = await direct.openSession({ ttlMs: 2_000 });
    cleanups.push(() => other.close());
    const next = await other.acquire('/s/stalled', { waitMs: 10_000 });
    if (!next.acquired) throw new Error(`expected a grant, got ${next.reason}`);
    expect((await direct.validateSequencer(grant.sequencer)).valid).toBe(false);
  });

  it('expires at once when the server says the session is gone', async () => {
    const { client } = await proxied({ ttlMs: 300 });
    const session = await client.openSession();
    await direct.closeSession(session.id);
    const expired = await nextEvent(session, 'expired');
    expect(expired.reason).toBe('session-gone');
    expect(expired.error?.code).toBe('NOT_FOUND');
    expect(session.state).toBe('expired');
  });

  it('close() ends the session on the server: ephemeral files vanish, later calls reject', async () => {
    const session = await direct.openSession({ ttlMs: 2_000 });
    await session.createFile('/s/eph', { ephemeral: true, contents: 'me' });
    expect((await direct.stat('/s/eph')).ephemeral).toBe(true);
    const closed = nextEvent(session, 'closed');
    await session.close();
    await closed;
    await expect(direct.stat('/s/eph')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(session.createFile('/s/eph2')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await session.close(); // idempotent
  });
});

describe('LockSession lease accounting (manual monotonic clock)', () => {
  it('enters jeopardy when a keep-alive times out and expires exactly at sentAt + ttl', async () => {
    const clock = new ManualClock({ monotonicMs: 10_000 });
    const { proxy, client } = await proxied({ clock, ttlMs: 900 });
    const session = await client.openSession();
    expect(session.ttlMs).toBe(900);
    expect(session.leaseDeadline).toBe(10_900);
    const events = recordEvents(session);
    proxy.on(KEEPALIVE, 'hold-request');

    clock.advance(300); // the first keep-alive goes out (interval = ttl / 3) and stalls
    await vi.waitFor(() => expect(proxy.held('request')).toBe(1));
    expect(events).toEqual([]);
    clock.advance(300); // its attempt timeout (the interval) passes
    await vi.waitFor(() => expect(events).toEqual(['jeopardy']));
    expect(session.state).toBe('jeopardy');
    expect(session.isLive()).toBe(true);
    expect(session.leaseRemainingMs()).toBe(300);

    clock.advance(299); // retries stall too; one millisecond of lease is left
    await vi.waitFor(() => expect(proxy.held('request')).toBeGreaterThanOrEqual(2));
    expect(session.isLive()).toBe(true);
    expect(events).toEqual(['jeopardy']);
    clock.advance(1);
    expect(session.isLive()).toBe(false);
    await vi.waitFor(() => expect(events).toEqual(['jeopardy', 'expired']));

    // The stalled keep-alives now reach the server and succeed there, but
    // their answers come after the deadline: the session stays dead.
    proxy.clearRules();
    proxy.releaseAll();
    await new Promise((r) => setTimeout(r, 100));
    expect(session.state).toBe('expired');
    expect(session.isLive()).toBe(false);
  });

  it('counts the lease from when the keep-alive was sent, not when it was answered', async () => {
    const clock = new ManualClock({ monotonicMs: 0 });
    const { proxy, client } = await proxied({ clock, ttlMs: 900 });
    const session = await client.openSession();
    proxy.on(KEEPALIVE, 'hold-response');
    clock.advance(300); // keep-alive sent at 300; the server extends the session, the answer is held
    await vi.waitFor(() => expect(proxy.held('response')).toBe(1));
    clock.advance(250); // answered at 550
    proxy.clearRules();
    proxy.releaseAll();
    await vi.waitFor(() => expect(session.leaseDeadline).toBe(1_200)); // 300 + 900, not 550 + 900
    expect(session.leaseRemainingMs()).toBe(650);
    expect(session.state).toBe('safe');
    await session.close();
  });

  it('after a reconnect, re-validates held locks and reports one that was lost', async () => {
    const clock = new ManualClock({ monotonicMs: 0 });
    const { proxy, client } = await proxied({ clock, ttlMs: 3_000 });
    await direct.createFile('/s/revalidate');
    const session = await client.openSession();
    const grant = await session.acquire('/s/revalidate');
    if (!grant.acquired) throw new Error('expected a grant');
    const events = recordEvents(session);
    const lost = nextEvent(session, 'lock-lost');

    proxy.on(KEEPALIVE, 'hold-request');
    clock.advance(1_000);
    await vi.waitFor(() => expect(proxy.held('request')).toBe(1));
    clock.advance(1_000);
    await vi.waitFor(() => expect(events).toEqual(['jeopardy']));
    // While the client cannot reach the service, its lock is released behind its back.
    await direct.release('/s/revalidate', { sessionId: session.id });
    proxy.clearRules();
    clock.advance(200); // the next retry gets through
    await vi.waitFor(() => expect(events).toEqual(['jeopardy', 'safe', 'reconnected', 'lock-lost']));
    expect((await lost).sequencer).toEqual(grant.sequencer);
    expect(session.heldLocks().size).toBe(0);
    expect(session.isLive()).toBe(true);
    proxy.releaseAll();
    await session.close();
  });
});
