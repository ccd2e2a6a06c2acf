// watchIter against a real lock server: every change in order, a reset
// marker when the history no longer reaches back, no gap across an outage,
// cancellation by signal.

import { KdiError, type WatchEvent } from '@kdi/protocol';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FaultProxy } from '../test-support/fault-proxy.js';
import { startEmbeddedLockServer } from '../test-support/embedded-lock-server.js';
import { type RunningLockServer } from '../test-support/lock-server.js';
import { LockClient } from './lock-client.js';
import type { WatchItem } from './watch-iter.js';

function lockServer(eventRetention: number): Promise<RunningLockServer> {
  return startEmbeddedLockServer({ limits: { eventRetention } });
}

/** Collects items from the iterator in the background until `count` arrived. */
function collect(iter: AsyncGenerator<WatchItem, void, undefined>, count: number): { items: WatchItem[]; done: Promise<void> } {
  const items: WatchItem[] = [];
  const done = (async () => {
    for await (const item of iter) {
      items.push(item);
      if (items.length >= count) return;
    }
  })();
  return { items, done };
}

const brief = (items: readonly WatchItem[]) => items.map((i) => (i.type === 'reset' ? 'reset' : `${i.type} ${(i as WatchEvent).path}`));

let server: RunningLockServer;
let client: LockClient;

beforeAll(async () => {
  server = await lockServer(10_000);
  client = new LockClient({ url: server.url, ttlMs: 5_000, watchPollMs: 500 });
});

afterAll(async () => {
  await client?.close();
  await server?.close();
});

describe('watchIter', () => {
  it('yields every change below a directory, in order, across many polls', async () => {
    const { revision } = await client.list('/');
    const ac = new AbortController();
    const { items, done } = collect(client.watchIter('/wi', { recursive: true, after: revision, signal: ac.signal, pollMs: 200 }), 7);
    const session = await client.openSession();
    await client.createFile('/wi/a');
    await client.createFile('/wi/deep/b');
    await new Promise((r) => setTimeout(r, 300)); // let a poll end empty-handed in between
    await client.setContents('/wi/a', 'x');
    await client.createFile('/elsewhere'); // not under /wi
    await session.acquire('/wi/a');
    await session.release('/wi/a');
    await client.deleteFile('/wi/deep/b');
    await client.setContents('/wi/a', 'y');
    await done;
    ac.abort();
    await session.close();
    expect(brief(items)).toEqual(['created /wi/a', 'created /wi/deep/b', 'changed /wi/a', 'lock-acquired /wi/a', 'lock-released /wi/a', 'deleted /wi/deep/b', 'changed /wi/a']);
    const revisions = items.map((i) => i.revision);
    expect([...revisions].sort((x, y) => x - y)).toEqual(revisions);
    expect(new Set(revisions).size).toBe(revisions.length);
    expect(revisions[0]).toBeGreaterThan(revision);
  });

  it('misses nothing while the service is unreachable: polling resumes from its cursor', async () => {
    const proxy = await FaultProxy.start(server.url);
    const c = new LockClient({ url: proxy.url, retry: { retries: 0 } });
    try {
      const { revision } = await c.status();
      const { items, done } = collect(c.watchIter('/wo/f', { after: revision, pollMs: 200 }), 3);
      await client.createFile('/wo/f');
      await vi.waitFor(() => expect(items.length).toBe(1));
      proxy.on(/^\/v1\/watch$/, 'reset');
      const failedBefore = proxy.count(/\/v1\/watch$/);
      await vi.waitFor(() => expect(proxy.count(/\/v1\/watch$/)).toBeGreaterThan(failedBefore + 1));
      await client.setContents('/wo/f', 'during the outage');
      await client.deleteFile('/wo/f');
      proxy.clearRules();
      await done;
      expect(brief(items)).toEqual(['created /wo/f', 'changed /wo/f', 'deleted /wo/f']);
    } finally {
      await c.close();
      await proxy.close();
    }
  });

  it('ends with CANCELLED when its signal aborts a poll in progress', async () => {
    const ac = new AbortController();
    const iter = client.watchIter('/quiet', { signal: ac.signal, pollMs: 60_000 });
    const next = iter.next();
    setTimeout(() => ac.abort(), 100);
    const e = await next.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(KdiError);
    expect((e as KdiError).code).toBe('CANCELLED');
  });
});

describe('watchIter with a short history', () => {
  let small: RunningLockServer;
  let c: LockClient;

  beforeAll(async () => {
    small = await lockServer(3);
    c = new LockClient({ url: small.url });
  });

  afterAll(async () => {
    await c?.close();
    await small?.close();
  });

  it('yields a reset marker when its cursor fell out of the history, then carries on from the marker', async () => {
    const { revision: start } = await c.status();
    for (let i = 0; i < 8; i++) await c.createFile(`/r/f${i}`);
    const ac = new AbortController();
    const { items, done } = collect(c.watchIter('/r', { recursive: true, after: start, signal: ac.signal, pollMs: 200 }), 2);
    await vi.waitFor(() => expect(items.length).toBe(1));
    const marker = items[0]!;
    expect(marker.type).toBe('reset');
    // Re-reading at the marker shows everything created before it.
    const listing = await c.list('/r');
    expect(listing.entries).toHaveLength(8);
    expect(listing.revision).toBeGreaterThanOrEqual(marker.revision);
    await c.createFile('/r/after');
    await done;
    ac.abort();
    expect(brief(items)).toEqual(['reset', 'created /r/after']);
    expect(items[1]!.revision).toBeGreaterThan(marker.revision);
  });
});
