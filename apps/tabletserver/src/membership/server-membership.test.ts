// Membership against a real lock server (apps/lockserver on its embedded
// store, in-process on 127.0.0.1): the lock file, duplicate ids, and
// fencing when the lease runs out.

import { LockClient } from '@kdi/client-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy, type RunningLockServer, startEmbeddedLockServer } from '@kdi/client-sdk/test-support';
import { ServerMembership } from './server-membership.js';

let server: RunningLockServer;
const clients: LockClient[] = [];
const client = (url = server.url) => {
  const c = new LockClient({ url, ttlMs: 600, requestTimeoutMs: 2_000 });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  server = await startEmbeddedLockServer();
});
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await server.close();
});

const info = (serverId: string) => ({ serverId, url: `http://127.0.0.1:1/${serverId}`, disks: ['/d0', '/d1'] });

describe('ServerMembership', () => {
  it('holds an exclusive lock on its ephemeral file, which says where the server is', async () => {
    const m = await ServerMembership.join(client(), info('ts-a'));
    const observer = client();
    const file = await observer.getFile('/kdi/servers/ts-a');
    expect(file.ephemeral).toBe(true);
    expect(file.lock.mode).toBe('exclusive');
    expect(JSON.parse(file.contents!)).toEqual(info('ts-a'));
    expect(m.isLive()).toBe(true);
    expect((await observer.validateSequencer(m.sequencer)).valid).toBe(true);
    await m.leave();
    expect(m.isLive()).toBe(false);
    await expect(observer.stat('/kdi/servers/ts-a')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses a second server with the same id', async () => {
    const first = await ServerMembership.join(client(), info('ts-b'));
    await expect(ServerMembership.join(client(), info('ts-b'))).rejects.toThrow(/server id ts-b is in use/);
    expect(first.isLive()).toBe(true);
    await first.leave();
    await expect(ServerMembership.join(client(), { ...info('ts-b'), serverId: '../x' })).rejects.toThrow(/server id/);
  });

  it('fences itself when its keep-alives stop getting through: not live, then lost', async () => {
    const proxy = await FaultProxy.start(server.url);
    try {
      const m = await ServerMembership.join(client(proxy.url), info('ts-c'));
      const lost = new Promise<string>((resolve) => m.on('lost', (e) => resolve(e.reason)));
      expect(m.isLive()).toBe(true);
      proxy.on(/keepalive/, 'hold-request');
      expect(await lost).toBe('session-expired');
      expect(m.isLive()).toBe(false);
      expect(m.leaseRemainingMs()).toBe(0);
      proxy.releaseAll();
      proxy.clearRules();
      // The service expires the session too: the file goes, another server may take the id.
      const observer = client();
      await expect
        .poll(
          async () =>
            observer.stat('/kdi/servers/ts-c').then(
              () => 'present',
              () => 'gone',
            ),
          { timeout: 10_000 },
        )
        .toBe('gone');
      const next = await ServerMembership.join(client(), info('ts-c'));
      expect(next.sequencer.generation).toBeGreaterThan(m.sequencer.generation);
      await next.leave();
    } finally {
      await proxy.close();
    }
  });

  it('joins with a fresh session when the first ran out of lease while joining (a starved process)', async () => {
    const proxy = await FaultProxy.start(server.url);
    try {
      // The first session's keep-alives and its file creation are held until the service has expired it.
      proxy.on(/keepalive/, 'hold-request');
      proxy.on((method, path) => method === 'POST' && path.startsWith('/v1/files/'), 'hold-request', 1);
      const joining = ServerMembership.join(client(proxy.url), info('ts-d'));
      await expect.poll(() => proxy.held('request'), { timeout: 10_000 }).toBeGreaterThan(1);
      await new Promise((r) => setTimeout(r, 1_500)); // well past the 600 ms lease
      proxy.clearRules();
      proxy.releaseAll();
      const m = await joining;
      expect(m.isLive()).toBe(true);
      expect(proxy.count(/^POST \/v1\/sessions$/)).toBe(2);
      const observer = client();
      const file = await observer.getFile('/kdi/servers/ts-d');
      expect(JSON.parse(file.contents!)).toEqual(info('ts-d'));
      await m.leave();
    } finally {
      await proxy.close();
    }
  });
});
