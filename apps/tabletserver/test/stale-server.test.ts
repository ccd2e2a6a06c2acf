// A stale server acknowledges no write (DESIGN §8, issue 4): the tablet
// server holds /kdi/servers/<id> on a real lock server; when its
// keep-alives stop getting through, its lease runs out and every write —
// new or already in flight — is refused with UNAVAILABLE, while reads of
// what it had acknowledged still work.

import { LockClient } from '@kdi/client-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy, type RunningLockServer, startEmbeddedLockServer } from '@kdi/client-sdk/test-support';
import { ServerMembership } from '../src/membership/server-membership.js';
import { cell, TestServer } from './harness.js';

let lockServer: RunningLockServer;
beforeAll(async () => {
  lockServer = await startEmbeddedLockServer();
});
afterAll(async () => lockServer.close());

describe('a server whose lease ran out', () => {
  it('acknowledges no write, and says why', async () => {
    const proxy = await FaultProxy.start(lockServer.url);
    const client = new LockClient({ url: proxy.url, ttlMs: 600, requestTimeoutMs: 2_000 });
    const lease: { membership?: ServerMembership; isLive(): boolean } = { isLive: () => lease.membership?.isLive() === true };
    const ts = await TestServer.start({ server: { lease } });
    try {
      // No lease yet: nothing is loaded, so nothing can be acknowledged.
      const early = await ts.call('POST', '/v1/admin/tablets', { body: { table: 't', tabletId: 'only' } });
      expect(early.status).toBe(503);
      expect(early.body).toMatchObject({ error: { code: 'UNAVAILABLE', details: { reason: 'not-a-member' } } });
      lease.membership = await ServerMembership.join(client, { serverId: 'ts-test', url: 'http://127.0.0.1:1', disks: [] });
      await ts.load('t', 'only');
      const ok = await ts.call('POST', '/v1/tables/t/apply', { body: { cells: [cell('a', 'f:x', 1, 'acked')] } });
      expect(ok.status, ok.text).toBe(200);

      const lost = new Promise((resolve) => lease.membership!.on('lost', resolve));
      proxy.on(/keepalive/, 'hold-request');
      await lost;
      const refused = await ts.call('POST', '/v1/tables/t/apply', { body: { cells: [cell('b', 'f:x', 1, 'late')] } });
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ error: { code: 'UNAVAILABLE', details: { reason: 'lease-lost' } } });
      expect(JSON.stringify(refused.body)).toMatch(/lost its lease/);
      // What it acknowledged is still there; the refused write was never applied.
      const scan = await ts.call('POST', '/v1/tables/t/scan', { body: { predicate: '' } });
      expect(scan.status).toBe(200);
      expect((scan.body as { cells: { row: string; value: string }[] }).cells.map((c) => `${c.row}=${c.value}`)).toEqual(['a=acked']);
    } finally {
      proxy.releaseAll();
      await lease.membership?.leave();
      await client.close();
      await proxy.close();
      await ts.close();
    }
  });
});
