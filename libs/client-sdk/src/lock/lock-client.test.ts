// LockClient's typed calls against a real lock server (apps/lockserver,
// embedded store) on 127.0.0.1: every route answers in its contract's
// shape, every failure is a KdiError with the code a caller branches on.

import { KdiError, type FileInfo } from '@kdi/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../test-support/fault-proxy.js';
import { startEmbeddedLockServer } from '../test-support/embedded-lock-server.js';
import { type RunningLockServer } from '../test-support/lock-server.js';
import { contentsBytes, contentsText } from './contents.js';
import { LockClient } from './lock-client.js';

const SECRET = 'a-test-cluster-secret';

function lockServer(opts: { clusterSecret?: string } = {}): Promise<RunningLockServer> {
  return startEmbeddedLockServer({ limits: { maxContentsBytes: 1024 }, ...opts });
}

async function failure(p: Promise<unknown>): Promise<KdiError> {
  const e = await p.then(
    () => new Error('expected the call to fail'),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(KdiError);
  return e as KdiError;
}

let server: RunningLockServer;
let client: LockClient;

beforeAll(async () => {
  server = await lockServer({ clusterSecret: SECRET });
  client = new LockClient({ url: server.url, secret: SECRET, ttlMs: 2_000 });
});

afterAll(async () => {
  await client?.close();
  await server?.close();
});

describe('LockClient files', () => {
  it('creates, reads, compare-and-sets, stats, lists and deletes a file', async () => {
    const created = await client.createFile('/t/files/a', { contents: 'one' });
    expect(created).toMatchObject({ path: '/t/files/a', ephemeral: false, size: 3, lock: { mode: 'none', holders: [] } });

    const read = await client.getFile('/t/files/a');
    expect(contentsText(read)).toBe('one');
    expect(read.generation).toBe(created.generation);

    const set = await client.setContents('/t/files/a', 'two', { ifGeneration: read.generation });
    expect(set.generation).toBeGreaterThan(read.generation);
    const stale = await failure(client.setContents('/t/files/a', 'three', { ifGeneration: read.generation }));
    expect(stale.code).toBe('ABORTED');
    expect(contentsText(await client.getFile('/t/files/a'))).toBe('two');

    const stat = await client.stat('/t/files/a');
    expect(stat.contents).toBeUndefined();
    expect(stat.size).toBe(3);

    await client.createFile('/t/files/sub/b');
    const listing = await client.list('/t/files');
    expect(listing.entries.map((e) => [e.name, e.file, e.children])).toEqual([
      ['a', true, false],
      ['sub', false, true],
    ]);
    expect((await client.list('/')).entries.map((e) => e.name)).toContain('t');

    await client.deleteFile('/t/files/a', { ifGeneration: set.generation });
    expect((await failure(client.getFile('/t/files/a'))).code).toBe('NOT_FOUND');
  });

  it('round-trips bytes as base64', async () => {
    const bytes = new Uint8Array([0, 255, 1, 128, 10]);
    await client.createFile('/t/files/bytes', { contents: bytes });
    const file: FileInfo = await client.getFile('/t/files/bytes', { encoding: 'base64' });
    expect(file.encoding).toBe('base64');
    expect([...contentsBytes(file)]).toEqual([...bytes]);
  });

  it('answers ALREADY_EXISTS, and INVALID_ARGUMENT for oversized contents, leaving the file as it was', async () => {
    await client.createFile('/t/files/once', { contents: 'kept' });
    expect((await failure(client.createFile('/t/files/once', { contents: 'other' }))).code).toBe('ALREADY_EXISTS');
    const big = await failure(client.setContents('/t/files/once', 'x'.repeat(2048)));
    expect(big.code).toBe('INVALID_ARGUMENT');
    expect(big.status).toBe(400);
    expect(contentsText(await client.getFile('/t/files/once'))).toBe('kept');
  });

  it('refuses malformed paths before sending them', async () => {
    for (const bad of ['/t/../etc', 'relative', '/t/', '/t/a b']) {
      const e = await failure(client.getFile(bad));
      expect(e.code).toBe('INVALID_ARGUMENT');
    }
    expect((await failure(client.watch({ path: '/x/..' }))).code).toBe('INVALID_ARGUMENT');
  });
});

describe('LockClient locks and sequencers', () => {
  it('grants, validates and releases; a second exclusive try is refused', async () => {
    await client.createFile('/t/locks/l1');
    const a = await client.createSession({ ttlMs: 5_000 });
    const b = await client.createSession({ ttlMs: 5_000 });
    const grant = await client.acquire('/t/locks/l1', { sessionId: a.sessionId });
    if (!grant.acquired) throw new Error('expected a grant');
    expect(grant.sequencer).toMatchObject({ path: '/t/locks/l1', mode: 'exclusive' });
    expect(await client.acquire('/t/locks/l1', { sessionId: b.sessionId })).toEqual({ acquired: false, reason: 'held' });
    expect(await client.validateSequencer(grant.sequencer)).toEqual({ valid: true });

    expect(await client.release('/t/locks/l1', { sessionId: a.sessionId })).toEqual({ released: true });
    expect((await client.validateSequencer(grant.sequencer)).valid).toBe(false);
    const next = await client.acquire('/t/locks/l1', { sessionId: b.sessionId });
    if (!next.acquired) throw new Error('expected a grant');
    expect(next.sequencer.generation).toBeGreaterThan(grant.sequencer.generation);
    await client.closeSession(a.sessionId);
    await client.closeSession(b.sessionId);
  });

  it('reuses the requestId when it retries an acquire whose answer was lost, so the grant is made once', async () => {
    await client.createFile('/t/locks/lost-answer');
    const proxy = await FaultProxy.start(server.url);
    // The first acquire reaches the server (the lock is granted) but its answer never comes back.
    proxy.on(/^\/v1\/locks\//, 'hold-response', 1);
    const viaProxy = new LockClient({ url: proxy.url, secret: SECRET, requestTimeoutMs: 300, retry: { retries: 2, initialBackoffMs: 10 } });
    try {
      const s = await viaProxy.createSession({ ttlMs: 5_000 });
      const result = await viaProxy.acquire('/t/locks/lost-answer', { sessionId: s.sessionId });
      if (!result.acquired) throw new Error('expected a grant');
      expect(proxy.count(/^POST \/v1\/locks\//)).toBe(2);
      const stat = await client.stat('/t/locks/lost-answer');
      expect(stat.lock.holders).toEqual([result.sequencer.generation]);
      await viaProxy.closeSession(s.sessionId);
    } finally {
      await viaProxy.close();
      await proxy.close();
    }
  });

  it('answers NOT_FOUND for an unknown session', async () => {
    await client.createFile('/t/locks/l2');
    const e = await failure(client.acquire('/t/locks/l2', { sessionId: 'f'.repeat(32) }));
    expect(e.code).toBe('NOT_FOUND');
    expect((await failure(client.keepAlive('f'.repeat(32)))).code).toBe('NOT_FOUND');
  });
});

describe('LockClient watches, status and failures', () => {
  it('long-polls for the next event after a revision', async () => {
    const { revision } = await client.status();
    const poll = client.watch({ path: '/t/watched', after: revision, timeoutMs: 10_000 });
    await client.createFile('/t/watched');
    const result = await poll;
    expect(result.reset).toBe(false);
    expect(result.events.map((e) => [e.type, e.path])).toEqual([['created', '/t/watched']]);
  });

  it('cancels a long poll when the signal aborts (CANCELLED, well before the poll would end)', async () => {
    const ac = new AbortController();
    const poll = client.watch({ path: '/t/never', timeoutMs: 60_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    const e = await failure(poll);
    expect(e.code).toBe('CANCELLED');
    // The client is still usable afterwards.
    expect((await client.status()).backend).toBe('embedded');
  });

  it('reports the service status', async () => {
    const status = await client.status();
    expect(status).toMatchObject({ backend: 'embedded', safeModeRemainingMs: 0 });
    expect(status.revision).toBeGreaterThan(0);
  });

  it('answers UNAUTHENTICATED without the cluster secret or with a wrong one', async () => {
    for (const secret of [undefined, 'not-the-secret-at-all']) {
      const other = new LockClient({ url: server.url, ...(secret !== undefined && { secret }) });
      try {
        const e = await failure(other.status());
        expect(e.code).toBe('UNAUTHENTICATED');
        expect(e.message).not.toContain(SECRET);
      } finally {
        await other.close();
      }
    }
  });

  it('maps an unreachable service to UNAVAILABLE and a stalled one to DEADLINE_EXCEEDED', async () => {
    const proxy = await FaultProxy.start(server.url);
    const c = new LockClient({ url: proxy.url, secret: SECRET, requestTimeoutMs: 200, retry: { retries: 0 } });
    try {
      proxy.on(/^\/v1\/status$/, 'reset');
      expect((await failure(c.status())).code).toBe('UNAVAILABLE');
      proxy.clearRules();
      proxy.on(/^\/v1\/status$/, 'hold-request');
      const e = await failure(c.status());
      expect(e.code).toBe('DEADLINE_EXCEEDED');
      expect(e.retryable).toBe(true);
    } finally {
      await c.close();
      await proxy.close();
    }
  });

  it('retries a retryable failure of a read and succeeds', async () => {
    const proxy = await FaultProxy.start(server.url);
    const c = new LockClient({ url: proxy.url, secret: SECRET, retry: { retries: 3, initialBackoffMs: 10 } });
    try {
      proxy.on(/^\/v1\/status$/, 'reset', 2);
      expect((await c.status()).backend).toBe('embedded');
      expect(proxy.count(/^GET \/v1\/status$/)).toBe(3);
    } finally {
      await c.close();
      await proxy.close();
    }
  });
});
