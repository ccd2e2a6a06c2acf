// The balancer runs by itself every KDI_MASTER_BALANCE_INTERVAL_MS (a real
// lock server, one tablet server, a master with a short interval and merges
// on): without any request its periodic runs are kept as decisions
// (trigger periodic) and carry out their plan — here, merging a table's two
// small, idle tablets into one.

import { startEmbeddedLockServer, type RunningLockServer } from '@kdi/client-sdk/test-support';
import type { ServiceProcess } from '@kdi/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allServing, call, startMaster, startTabletServer, tempDir, waitFor } from './cluster.js';

let lock: RunningLockServer;
let ts: ServiceProcess;
let master: ServiceProcess;
let m: string;
let dir: { path: string; remove: () => Promise<void> };

beforeAll(async () => {
  dir = await tempDir('kdi-balancer-periodic-');
  lock = await startEmbeddedLockServer();
  ts = await startTabletServer('ts1', `${dir.path}/ts1`, lock.url);
  master = await startMaster(lock.url, { KDI_MASTER_BALANCE_INTERVAL_MS: '500', KDI_MASTER_MERGE_BELOW_BYTES: String(1024 * 1024) });
  m = master.url;
  await waitFor('META assigned', async () => (await call('GET', `${m}/v1/meta/location`)).body.location);
}, 120_000);

afterAll(async () => {
  await master?.stop();
  await ts?.stop();
  await lock?.close();
  await dir?.remove();
});

describe('the periodic balancer', { timeout: 120_000 }, () => {
  it('runs by itself, keeps its decisions, and carries out its plan', async () => {
    const first = await waitFor('a periodic decision', async () => {
      const r = await call('GET', `${m}/v1/balancer/decisions`);
      return r.body.decisions.find((d: any) => d.trigger === 'periodic');
    });
    expect(first).toMatchObject({ trigger: 'periodic', dryRun: false });
    expect((await call('GET', `${m}/v1/balancer/decisions`)).body.settings.intervalMs).toBe(500);

    expect((await call('POST', `${m}/v1/tables`, { name: 'pair', splits: ['m'] })).status).toBe(201);
    await allServing(m, 'pair');
    // Until a periodic run merged them and the heartbeats name the merged tablet (describe shows the id its server reports).
    const { merged, decision } = await waitFor('the two tablets merged by a periodic run', async () => {
      const d = await call('GET', `${m}/v1/tables/pair`);
      const only = d.body.tablets.length === 1 && d.body.tablets[0].state === 'serving' ? d.body.tablets[0] : undefined;
      if (only === undefined) return undefined;
      const decisions = (await call('GET', `${m}/v1/balancer/decisions`)).body.decisions;
      const found = decisions.find((x: any) => x.trigger === 'periodic' && x.merges.some((g: any) => g.table === 'pair' && g.merged === only.tabletId));
      return found === undefined ? undefined : { merged: only, decision: found };
    });
    expect([merged.lowerExclusive, merged.upperInclusive]).toEqual([undefined, undefined]);
    expect(decision.dryRun).toBe(false);
    const events = (await call('GET', `${m}/v1/events?limit=1000`)).body.events;
    expect(events.some((e: any) => e.kind === 'tablets-merged' && e.table === 'pair')).toBe(true);
  });
});
