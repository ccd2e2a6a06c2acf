// The balancer merges adjacent small, cold tablets (DESIGN §9) in a real
// cluster: a lock server, one tablet server and a master with merges on
// (KDI_MASTER_MERGE_BELOW_BYTES). A table pre-split into 4 tablets, a cell
// in each: a dry run lists them as one candidate and merges nothing; each
// real run merges two of them on their server (its merge route writes META
// first), until one tablet covers every row and every cell reads back.
// Then a second server joins: two tablets of another table, one moved to
// each server, are first brought together by a move (reason merge) and
// merged by the next run.

import { connect, type KdiClient } from '@kdi/client-sdk';
import { startEmbeddedLockServer, type RunningLockServer } from '@kdi/client-sdk/test-support';
import type { ServiceProcess } from '@kdi/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allServing, call, startMaster, startTabletServer, tempDir, waitFor } from './cluster.js';

const TOKEN = 'merge-test-admin-token-0123456';
const auth = { authorization: `Bearer ${TOKEN}` };
const ROWS = ['apple', 'grape', 'hazel', 'melon', 'nut', 'olive', 'tomato', 'zucchini'];

let lock: RunningLockServer;
let ts: ServiceProcess;
let ts2: ServiceProcess | undefined;
let master: ServiceProcess;
let m: string;
let kdi: KdiClient;
let dir: { path: string; remove: () => Promise<void> };

/** The table's tablets once every one serves and the heartbeats report them all with no requests (ids known, cold). */
async function settled(count: number): Promise<any[]> {
  return waitFor(
    `${count} cold tablets`,
    async () => {
      const d = await allServing(m, 'small');
      const quiet = d.tablets.every((t: any) => t.tabletId !== undefined && t.readsPerSec !== undefined && t.readsPerSec + t.writesPerSec <= 1);
      return d.tablets.length === count && quiet ? d.tablets : undefined;
    },
    60_000,
  );
}

beforeAll(async () => {
  dir = await tempDir('kdi-merge-');
  lock = await startEmbeddedLockServer();
  ts = await startTabletServer('ts1', `${dir.path}/ts1`, lock.url);
  master = await startMaster(lock.url, { KDI_MASTER_ADMIN_TOKEN: TOKEN, KDI_MASTER_BALANCE_INTERVAL_MS: '0', KDI_MASTER_MERGE_BELOW_BYTES: String(1024 * 1024) });
  m = master.url;
  await waitFor('META assigned', async () => (await call('GET', `${m}/v1/meta/location`)).body.location);
  expect((await call('POST', `${m}/v1/tables`, { name: 'small', splits: ['g', 'n', 't'] }, auth)).status).toBe(201);
  await allServing(m, 'small');
  kdi = await connect({ master: m });
  await kdi.table('small').apply(
    ROWS.map((row) => ({ row, column: 'c:v', value: `v-${row}` })),
    { waitForSync: true },
  );
}, 180_000);

afterAll(async () => {
  await kdi?.close();
  await master?.stop();
  await ts2?.stop();
  await ts?.stop();
  await lock?.close();
  await dir?.remove();
});

describe('merging small tablets', { timeout: 180_000 }, () => {
  it('a dry run lists the candidate and merges nothing', async () => {
    const tablets = await settled(4);
    const r = await call('POST', `${m}/v1/balancer/run`, { dryRun: true });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.decision.merges).toEqual([
      expect.objectContaining({ table: 'small', tabletIds: tablets.map((t: any) => t.tabletId), explanation: expect.stringContaining('4 adjacent tablets of small') }),
    ]);
    expect(r.body.decision.merges[0].merged).toBeUndefined();
    expect((await call('GET', `${m}/v1/balancer/decisions`)).body.settings.mergeBelowBytes).toBe(1024 * 1024);
    expect(await settled(4)).toHaveLength(4);
  });

  it('each run merges two adjacent tablets until one covers every row; every cell reads back', async () => {
    for (let count = 4; count > 1; count--) {
      const before = await settled(count);
      const r = await call('POST', `${m}/v1/balancer/run`, {}, auth);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const merge = r.body.decision.merges[0];
      expect(merge.tabletIds.slice(0, 2)).toEqual([before[0].tabletId, before[1].tabletId]);
      expect(merge.merged, JSON.stringify(merge)).toEqual(expect.any(String));
      // Once its server's heartbeat names the merged tablet (until then describe may show the upper one's id).
      const after = await waitFor('the merged tablet reported', async () => {
        const t = await settled(count - 1);
        return t[0].tabletId === merge.merged ? t : undefined;
      });
      expect(after[0].upperInclusive).toBe(before[1].upperInclusive);
      expect(after[0].lowerExclusive).toBeUndefined();
    }
    const [only] = await settled(1);
    expect([only.lowerExclusive, only.upperInclusive]).toEqual([undefined, undefined]);
    const got: string[] = [];
    for await (const c of kdi.table('small').scan()) got.push(`${Buffer.from(c.row).toString()}=${Buffer.from(c.value!).toString()}`);
    expect(got).toEqual(ROWS.map((row) => `${row}=v-${row}`));
    const events = (await call('GET', `${m}/v1/events?limit=1000`)).body.events.filter((e: any) => e.kind === 'tablets-merged');
    expect(events).toHaveLength(3);
    // Nothing left to merge.
    expect((await call('POST', `${m}/v1/balancer/run`, { dryRun: true })).body.decision.merges).toEqual([]);
  });

  it('brings two tablets on two servers together with a move, then merges them', async () => {
    ts2 = await startTabletServer('ts2', `${dir.path}/ts2`, lock.url);
    await waitFor('ts2 live', async () => ((await call('GET', `${m}/v1/servers`)).body.servers.some((x: any) => x.serverId === 'ts2' && x.state === 'live') ? true : undefined));
    expect((await call('POST', `${m}/v1/tables`, { name: 'spread', splits: ['m'] }, auth)).status).toBe(201);
    let [a, b] = (await allServing(m, 'spread')).tablets;
    if (a.location.serverId === b.location.serverId) {
      const to = a.location.serverId === 'ts1' ? 'ts2' : 'ts1';
      const moved = await call('POST', `${m}/v1/tablets/${b.tabletId}/move`, { target: to }, auth);
      expect(moved.status, JSON.stringify(moved.body)).toBe(202);
      await waitFor('the move', async () => ((await call('GET', `${m}/v1/migrations/${moved.body.migration.migrationId}`)).body.state === 'committed' ? true : undefined));
    }
    // Both reported cold by their servers, on two servers.
    [a, b] = await waitFor('the two tablets on two servers, cold', async () => {
      const d = await allServing(m, 'spread');
      const ok = d.tablets.every((t: any) => t.tabletId !== undefined && t.readsPerSec !== undefined && t.readsPerSec + t.writesPerSec <= 1);
      return ok && d.tablets[0].location.serverId !== d.tablets[1].location.serverId ? d.tablets : undefined;
    });
    const first = await call('POST', `${m}/v1/balancer/run`, {}, auth);
    const together = first.body.decision.merges.find((x: any) => x.table === 'spread');
    expect(together, JSON.stringify(first.body.decision)).toMatchObject({ tabletIds: [a.tabletId, b.tabletId], migrationId: expect.stringMatching(/^mig-/) });
    const move = await waitFor('the merge move', async () => {
      const r = await call('GET', `${m}/v1/migrations/${together.migrationId}`);
      return r.body.state !== 'running' ? r.body : undefined;
    });
    expect(move).toMatchObject({ state: 'committed', reason: 'merge' });
    await waitFor('both on one server', async () => {
      const d = await allServing(m, 'spread');
      const ok = d.tablets.every((t: any) => t.tabletId !== undefined && t.readsPerSec !== undefined && t.readsPerSec + t.writesPerSec <= 1);
      return ok && d.tablets[0].location.serverId === d.tablets[1].location.serverId ? true : undefined;
    });
    const second = await call('POST', `${m}/v1/balancer/run`, {}, auth);
    const merge = second.body.decision.merges.find((x: any) => x.table === 'spread');
    expect(merge?.merged, JSON.stringify(second.body.decision)).toEqual(expect.any(String));
    const only = await waitFor('the merged tablet reported', async () => {
      const [t] = (await allServing(m, 'spread')).tablets;
      return t.tabletId === merge.merged ? t : undefined;
    });
    expect([only.lowerExclusive, only.upperInclusive]).toEqual([undefined, undefined]);
  });
});
