// kill -9 of the master (issue 9, "Tests"), on each lock backend: a standby
// master started beforehand takes over (it wins /kdi/master once the dead
// master's session ends) and the cluster keeps serving — a table created
// afterwards is assigned and served. Then the new master is killed too:
// with no master running at all, SDK reads and writes to tablets already
// assigned keep working (the data path never needs the master), for a
// client that was connected and for one that bootstraps from a tablet
// server afterwards.

import { connect, type KdiClient, type Table } from '@kdi/client-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allServing, call, waitFor } from '../cluster.js';
import { BACKENDS, sleep, startFaultCluster, TIMINGS, type FaultCluster } from './fault-cluster.js';
import { readAll } from './load-writers.js';

const cells = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ row: `${prefix}-${String(i).padStart(5, '0')}`, column: 'f:c', value: `${prefix}-value-${i}` }));

async function write(table: Table, list: { row: string; column: string; value: string }[]): Promise<void> {
  const w = table.writer();
  await w.add(list);
  await w.close();
}

function expectExactly(got: Map<string, string>, ...lists: { row: string; value: string }[][]): void {
  const want = new Map(lists.flat().map((c) => [c.row, c.value]));
  expect(got.size).toBe(want.size);
  for (const [row, value] of want) if (got.get(row) !== value) throw new Error(`row ${row}: expected ${value}, got ${got.get(row)}`);
}

describe.each(BACKENDS)('kill -9 of the master, lock server on %s', (backend) => {
  let cluster: FaultCluster;
  const clients: KdiClient[] = [];

  beforeAll(async () => {
    cluster = await startFaultCluster({ backend });
  }, 400_000);

  afterAll(async () => {
    for (const c of clients) await c.close();
    await cluster?.close();
  });

  it('a standby takes over and the cluster keeps serving; with no master at all, SDK reads and writes keep working', async () => {
    const [first] = cluster.masters;
    const standby = await cluster.startMaster();
    expect((await call('GET', `${standby.url}/v1/master`)).body.role).toBe('standby');

    expect((await call('POST', `${first!.url}/v1/tables`, { name: 'before', splits: ['before-00500'] })).status).toBe(201);
    await allServing(first!.url, 'before', 120_000);
    const kdi = await connect({ servers: [first!.url], timeoutMs: 120_000 });
    clients.push(kdi);
    const a1 = cells('before', 1_000);
    await write(kdi.table('before'), a1);

    const killedAt = performance.now();
    await first!.kill();
    await waitFor('the standby active', async () => ((await call('GET', `${standby.url}/v1/master`)).body.role === 'active' ? true : undefined), 120_000);
    console.log(
      `[faults ${backend}] kill -9 of the master: the standby was active ${Math.round(performance.now() - killedAt)} ms after the kill (master lease ${TIMINGS.masterLeaseMs} ms, lock-delay ${TIMINGS.lockDelayMs} ms)`,
    );
    cluster.masterUrl = standby.url;

    // The new master serves: a table created now is assigned and served, the old one still is.
    const created = await call('POST', `${standby.url}/v1/tables`, { name: 'after', splits: ['after-00500'] });
    expect(created.status).toBe(201);
    await allServing(standby.url, 'after', 120_000);
    expect((await allServing(standby.url, 'before', 120_000)).tablets).toHaveLength(2);
    const b1 = cells('after', 1_000);
    await write(kdi.table('after'), b1);

    // No master at all.
    await standby.kill();
    expect(cluster.masters.every((m) => m.child.signalCode === 'SIGKILL')).toBe(true);
    // Longer than a tablet server's lease: the servers keep theirs without a master.
    await sleep(2 * TIMINGS.tabletLeaseMs);
    const a2 = cells('before-late', 500);
    const b2 = cells('after-late', 500);
    await write(kdi.table('before'), a2);
    await write(kdi.table('after'), b2);
    expectExactly(await readAll(kdi.table('before')), a1, a2);

    // A client that bootstraps now (from the tablet servers: there is no master to ask) reads and writes too.
    const fresh = await connect({ servers: cluster.serverUrls(), timeoutMs: 120_000 });
    clients.push(fresh);
    const b3 = cells('after-fresh', 200);
    await write(fresh.table('after'), b3);
    expectExactly(await readAll(fresh.table('after')), b1, b2, b3);
    expectExactly(await readAll(fresh.table('before')), a1, a2);
  }, 300_000);
});
