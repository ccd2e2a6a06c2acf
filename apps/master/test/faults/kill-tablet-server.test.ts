// kill -9 of a tablet server under write load (issue 9, "Tests"), on each
// lock backend: three SDK writers keep writing to a table of 6 tablets on 3
// servers and record every acknowledged cell; a server that holds tablets
// (not META's) is killed with SIGKILL. Its tablets must be served
// elsewhere within lease + lock-delay + 10 s (a bound from configuration:
// TIMINGS), the writers carry on through the SDK, and every acknowledged
// cell reads back afterwards. The measured time to recovery is printed.

import { connect, type KdiClient } from '@kdi/client-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allServing, call, waitFor } from '../cluster.js';
import { BACKENDS, describeTable, RECOVERY_BOUND_MS, startFaultCluster, tabletHolds, TIMINGS, type FaultCluster } from './fault-cluster.js';
import { lostWrites, pad6, readAll, startLoadWriters, type LoadWriters } from './load-writers.js';

const SPLITS = [1, 2, 3, 4, 5].map((k) => `k-${pad6(Math.floor((k * 100_000) / 6))}`);

describe.each(BACKENDS)('kill -9 of a tablet server under write load, lock server on %s', (backend) => {
  let cluster: FaultCluster;
  let kdi: KdiClient | undefined;
  let load: LoadWriters | undefined;

  beforeAll(async () => {
    cluster = await startFaultCluster({ backend });
  }, 400_000);

  afterAll(async () => {
    await load?.stop();
    await kdi?.close();
    await cluster?.close();
  });

  it('serves its tablets elsewhere within lease + lock-delay + 10 s and loses no acknowledged write', async () => {
    expect((await call('POST', `${cluster.masterUrl}/v1/tables`, { name: 'load', splits: SPLITS })).status).toBe(201);
    await allServing(cluster.masterUrl, 'load', 120_000);
    const metaServer = (await call('GET', `${cluster.masterUrl}/v1/meta/location`)).body.location.serverId as string;
    const before = await describeTable(cluster.masterUrl, 'load');
    const victimId = [...cluster.servers.keys()].find((id) => id !== metaServer && before.some((t) => t.location?.serverId === id))!;
    expect(victimId).toBeDefined();
    const moved = before.filter((t) => t.location?.serverId === victimId);

    kdi = await connect({ servers: [cluster.masterUrl], timeoutMs: 120_000 });
    const table = kdi.table('load');
    load = startLoadWriters(table);
    await waitFor('writes acknowledged before the kill', async () => (load!.acked.size >= 1_500 ? true : undefined), 120_000);

    const killedAt = performance.now();
    await cluster.servers.get(victimId)!.process.kill();
    const after = await waitFor(
      `the tablets of ${victimId} served elsewhere`,
      async () => {
        const ts = await describeTable(cluster.masterUrl, 'load');
        return ts.every((t) => t.state === 'serving' && t.location !== undefined && t.location.serverId !== victimId) ? ts : undefined;
      },
      120_000,
    );
    const recoveryMs = Math.round(performance.now() - killedAt);
    console.log(
      `[faults ${backend}] kill -9 of ${victimId} under write load: its ${moved.length} tablets served elsewhere ${recoveryMs} ms after the kill ` +
        `(bound: lease ${TIMINGS.tabletLeaseMs} + lock-delay ${TIMINGS.lockDelayMs} + 10000 = ${RECOVERY_BOUND_MS} ms)`,
    );
    expect(recoveryMs).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
    expect(after.map((t) => [t.lowerExclusive, t.upperInclusive])).toEqual(before.map((t) => [t.lowerExclusive, t.upperInclusive]));

    // The writers go on through the SDK: every moved tablet takes acknowledged writes again.
    const recoveredAt = performance.now();
    await waitFor(
      'acknowledged writes to every moved tablet after recovery',
      async () => {
        const late = [...load!.acked].filter(([, a]) => a.at > recoveredAt).map(([row]) => row);
        return moved.every((t) => late.some((row) => tabletHolds(t, row))) ? true : undefined;
      },
      120_000,
    );
    await load.stop();
    const { acked, failures } = load;
    load = undefined;

    const got = await readAll(table);
    console.log(
      `[faults ${backend}] ${acked.size} acknowledged cells, ${got.size} read back; flushes that failed (outcome unknown, not counted as acknowledged): ${failures.length}`,
    );
    expect(lostWrites(acked, got)).toEqual([]);
    const events = await call('GET', `${cluster.masterUrl}/v1/events?limit=1000`);
    expect(events.body.events.some((e: { kind: string; serverId?: string }) => e.kind === 'server-dead' && e.serverId === victimId)).toBe(true);
  }, 300_000);
});
