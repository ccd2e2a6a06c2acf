// The cluster wiring of createTabletNode (src/node/tablet-node.ts, what
// main.ts runs) in-process, on a real lock server: the node listens, is
// not ready and loads nothing until join(url) takes /kdi/servers/<id>;
// META loads from /kdi/root through the node's lock client; a table loads
// from its config in META, read and written through META's local rows on
// this node, with `location:` naming the URL given at join; a
// serialization publishes META's fragments to the root (the engine's
// manifest signal reaches the publisher); close() leaves the lock file; a
// lease that runs out (keep-alives held by a proxy, through the lock
// client port) reaches the lease-lost port and the node stops being ready.

import { listeningUrl } from '@kdi/service-kit';
import { LockClient } from '@kdi/client-sdk';
import { FaultProxy, type RunningLockServer, startEmbeddedLockServer } from '@kdi/client-sdk/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_ROOT, readRoot, writeRoot } from '@kdi/client-sdk';
import { META_TABLE } from '../src/tablets/tablet-meta.js';
import { CLUSTER_SECRET, FakeMaster } from './cluster.js';
import { cell, type StartOptions, TestServer } from './harness.js';

let lock: RunningLockServer;
beforeAll(async () => {
  lock = await startEmbeddedLockServer({ limits: { minTtlMs: 1000, lockDelayMs: 200 } });
});
afterAll(async () => lock.close());

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  const admin = new FakeMaster(lock.url);
  await admin.lock.deleteFile('/kdi/root').catch(() => undefined);
  await admin.lock.close();
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A node of the cluster, listening on a random port, not joined yet. */
async function startNode(serverId: string, ports: StartOptions['ports'] = {}): Promise<{ ts: TestServer; url: string }> {
  const ts = await TestServer.start({ config: { serverId, lockUrl: lock.url, leaseTtlMs: 1000, clusterSecret: CLUSTER_SECRET }, ports });
  cleanup.push(() => ts.close());
  await ts.app.listen({ host: '127.0.0.1', port: 0 });
  return { ts, url: listeningUrl(ts.app) };
}

async function becomeMaster(): Promise<FakeMaster> {
  const m = await new FakeMaster(lock.url).start();
  cleanup.push(async () => {
    await m.stop();
    await m.lock.close();
  });
  return m;
}

describe('createTabletNode in a cluster', () => {
  it('joins, then serves META from the root and a table from META, publishes, and leaves its lock file on close', async () => {
    // No publisher timer: only the engine's manifest signal publishes.
    const { ts, url } = await startNode('node-1', { metaRetryIntervalMs: 3_600_000 });
    const master = await becomeMaster();
    expect(ts.node.lockClient).toBeDefined();
    expect(ts.node.meta).toBeDefined();

    // Listening but not joined: not ready, and no load.
    const early = await fetch(`${url}/readyz`);
    expect(early.status).toBe(503);
    expect(await early.text()).toMatch(/node-1 does not hold its lock file \/kdi\/servers\/node-1/);
    const root0 = await readRoot(master.lock);
    await writeRoot(master.lock, { ...EMPTY_ROOT, location: { serverId: 'node-1', url, epoch: 1 } }, root0?.generation);
    const refused = await master.admin('POST', `${url}/v1/admin/tablets`, { table: META_TABLE, tabletId: 'meta', epoch: 1 });
    expect(refused.status, JSON.stringify(refused.body)).toBe(503);
    expect(refused.body).toMatchObject({ error: { code: 'UNAVAILABLE', details: { reason: 'not-a-member' } } });

    await ts.node.join(url);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const file = await master.lock.getFile('/kdi/servers/node-1', { encoding: 'utf8' });
    expect(JSON.stringify(file)).toContain(url);
    await expect(ts.node.join(url)).rejects.toThrow(/already joined/);

    // META from /kdi/root (epoch-checked), through the node's lock client.
    const metaLoad = await master.admin('POST', `${url}/v1/admin/tablets`, { table: META_TABLE, tabletId: 'meta', epoch: 1 });
    expect(metaLoad.status, JSON.stringify(metaLoad.body)).toBe(201);

    // A table from its config in META: the master writes `location:` over
    // HTTP; the node reads it and writes `serving` through its local rows.
    const meta = await master.meta();
    const { txn } = await meta.readTablet('t', undefined);
    await meta.writeTablet(
      { table: 't', lowerExclusive: undefined, upperInclusive: undefined, location: { serverId: 'node-1', url, epoch: 2 }, logs: [], fragments: {}, state: 'loading' },
      undefined,
      txn,
    );
    const load = await master.admin('POST', `${url}/v1/admin/tablets`, { table: 't', tabletId: 't-1', epoch: 2 });
    expect(load.status, JSON.stringify(load.body)).toBe(201);
    const config = (await meta.readTablet('t', undefined)).config;
    expect(config?.state).toBe('serving');
    expect(config?.location).toEqual({ serverId: 'node-1', url, epoch: 2 });
    expect(config?.logs).toEqual([{ dir: ts.node.engine.logDirectory, fromSegment: expect.any(Number) }]);

    await ts.apply('t', [cell('a', 'f:x', 1, 'one'), cell('b', 'f:x', 1, 'two')]);
    expect((await ts.scanAll('t')).cells.map((c) => ('value' in c ? c.value : 'erased'))).toEqual(['one', 'two']);

    // A serialization moves META's fragment lists: the publisher writes them to the root.
    expect(Object.values((await readRoot(master.lock))!.config.fragments).flat()).toEqual([]);
    await ts.server.serialize();
    await until('META fragments in /kdi/root', async () => {
      const lists = Object.values((await readRoot(master.lock))!.config.fragments).flat();
      return lists.length > 0 ? lists : undefined;
    });

    await ts.close();
    await expect(master.lock.stat('/kdi/servers/node-1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await fetch(`${url}/readyz`).catch((e: unknown) => e)) instanceof Error).toBe(true);
  });

  it('a lease that runs out reaches the lease-lost port and the node is no longer ready', async () => {
    // The node's lock client goes through a proxy that can hold its keep-alives.
    const proxy = await FaultProxy.start(lock.url);
    cleanup.push(async () => {
      proxy.releaseAll();
      await proxy.close();
    });
    const lost: string[] = [];
    const { ts, url } = await startNode('node-2', {
      onLeaseLost: (reason) => lost.push(reason),
      lockClient: (config) => new LockClient({ url: proxy.url, ttlMs: config.leaseTtlMs, requestTimeoutMs: 2_000 }),
    });
    await ts.node.join(url);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    proxy.on(/keepalive/, 'hold-request');
    await until('the lost lease', async () => (lost.length > 0 ? lost : undefined));
    expect(lost).toEqual(['session-expired']);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ts.node.lease.isLive()).toBe(false);
  });

  it('a single server (no lock URL) has nothing to join and is ready at once', async () => {
    const ts = await TestServer.start();
    cleanup.push(() => ts.close());
    expect(ts.node.lockClient).toBeUndefined();
    expect(ts.node.meta).toBeUndefined();
    expect((await ts.call('GET', '/readyz')).status).toBe(200);
    await ts.node.join('http://127.0.0.1:1');
    expect((await ts.call('GET', '/readyz')).status).toBe(200);
  });
});
