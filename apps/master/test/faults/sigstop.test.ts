// SIGSTOP of a tablet server past its lease, then SIGCONT (issue 9,
// "Tests"), on each lock backend. The stopped server is the textbook
// split-brain case: it still believes it serves its tablets when it runs
// again. The test holds it to DESIGN §8's promise:
//  - while it is stopped, its tablets are served by another server (the
//    master reassigned them after its lease and the lock-delay), and that
//    server acknowledges writes to them;
//  - writes sent to it while it was stopped (queued in its socket) and
//    right after SIGCONT are all refused — none gets a 200 — so no two
//    servers acknowledge writes for one tablet at once;
//  - once continued it exits (lost its lock file) or keeps refusing;
//  - none of the refused cells is visible, and every cell acknowledged by
//    the new server is.

import { connect, type KdiClient } from '@kdi/client-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allServing, call, waitFor, type Reply } from '../cluster.js';
import { applyDirect, BACKENDS, describeTable, sleep, startFaultCluster, tabletHolds, TIMINGS, type FaultCluster, type TabletView } from './fault-cluster.js';
import { readAll } from './load-writers.js';

const SPLITS = ['r-2', 'r-4', 'r-6', 'r-8'];
/** A row inside the tablet (rows are r-<digit>-…; each tablet holds two leading digits). */
const rowIn = (t: TabletView, tag: string) => {
  for (let d = 0; d < 10; d++) if (tabletHolds(t, `r-${d}-${tag}`)) return `r-${d}-${tag}`;
  throw new Error(`no row r-<digit>-${tag} in tablet ${t.tabletId}`);
};

describe.each(BACKENDS)('SIGSTOP of a tablet server past its lease, lock server on %s', (backend) => {
  let cluster: FaultCluster;
  let kdi: KdiClient | undefined;

  beforeAll(async () => {
    cluster = await startFaultCluster({ backend });
  }, 400_000);

  afterAll(async () => {
    await kdi?.close();
    await cluster?.close();
  });

  it('acknowledges no write after SIGCONT while another server serves its tablets', async () => {
    expect((await call('POST', `${cluster.masterUrl}/v1/tables`, { name: 'stop', splits: SPLITS })).status).toBe(201);
    await allServing(cluster.masterUrl, 'stop', 120_000);
    const metaServer = (await call('GET', `${cluster.masterUrl}/v1/meta/location`)).body.location.serverId as string;
    const before = await describeTable(cluster.masterUrl, 'stop');
    const victimId = [...cluster.servers.keys()].find((id) => id !== metaServer && before.some((t) => t.location?.serverId === id))!;
    expect(victimId).toBeDefined();
    const victim = cluster.servers.get(victimId)!;
    const held = before.filter((t) => t.location?.serverId === victimId);

    // The direct write works while the server holds its lease.
    for (const t of held) expect((await applyDirect(victim.url, 'stop', [{ row: rowIn(t, 'ok'), column: 'f:c', value: 'before the stop' }])).status).toBe(200);

    process.kill(victim.process.pid, 'SIGSTOP');
    const stoppedAt = performance.now();
    // Sent while it is stopped: they wait in its socket until SIGCONT.
    const queued: Promise<Reply>[] = held.map((t, i) => applyDirect(victim.url, 'stop', [{ row: rowIn(t, `queued-${i}`), column: 'f:c', value: 'queued while stopped' }], 60_000));

    // Its tablets move to another server, which acknowledges writes to them.
    const after = await waitFor(
      `the tablets of ${victimId} served elsewhere`,
      async () => {
        const ts = await describeTable(cluster.masterUrl, 'stop');
        return ts.every((t) => t.state === 'serving' && t.location !== undefined && t.location.serverId !== victimId) ? ts : undefined;
      },
      120_000,
    );
    console.log(`[faults ${backend}] SIGSTOP of ${victimId}: its ${held.length} tablets served elsewhere ${Math.round(performance.now() - stoppedAt)} ms after the stop`);
    // Well past its lease: whatever its clock says when it runs again, the lease is over.
    const pastLease = TIMINGS.tabletLeaseMs + TIMINGS.lockDelayMs - (performance.now() - stoppedAt);
    if (pastLease > 0) await sleep(pastLease);
    kdi = await connect({ servers: [cluster.masterUrl], timeoutMs: 120_000 });
    const table = kdi.table('stop');
    const acknowledgedElsewhere = held.map((t) => ({ row: rowIn(t, 'new-owner'), column: 'f:c', value: 'acknowledged by the new owner' }));
    await table.apply(acknowledgedElsewhere);
    for (const t of held) {
      const now = after.find((x) => x.tabletId === t.tabletId || (x.lowerExclusive === t.lowerExclusive && x.upperInclusive === t.upperInclusive))!;
      expect((await applyDirect(now.location!.url, 'stop', [{ row: rowIn(t, 'direct-new-owner'), column: 'f:c', value: 'acknowledged by the new owner' }])).status).toBe(200);
    }

    process.kill(victim.process.pid, 'SIGCONT');
    const right = await Promise.all(
      held.flatMap((t, i) => [0, 1, 2].map((k) => applyDirect(victim.url, 'stop', [{ row: rowIn(t, `after-cont-${i}-${k}`), column: 'f:c', value: 'after SIGCONT' }], 30_000))),
    );
    const queuedReplies = await Promise.all(queued);
    const replies = [...queuedReplies, ...right];
    const statuses = replies.map((r) => r.status);
    console.log(`[faults ${backend}] writes to ${victimId} queued while stopped and sent after SIGCONT: statuses ${JSON.stringify(statuses)}`);
    for (const r of replies) {
      expect(r.status, `a write to the continued server was acknowledged: ${JSON.stringify(r.body)}`).not.toBe(200);
    }

    // Once continued it exits (its lock file is gone) or keeps refusing.
    const later: number[] = [];
    await waitFor(
      `${victimId} exited or refusing`,
      async () => {
        if (victim.process.child.exitCode !== null || victim.process.child.signalCode !== null) return true;
        const r = await applyDirect(victim.url, 'stop', [{ row: rowIn(held[0]!, 'later'), column: 'f:c', value: 'later' }], 10_000);
        later.push(r.status);
        return r.status === 0 ? undefined : true;
      },
      60_000,
    );
    expect(later.filter((s) => s === 200)).toEqual([]);
    const exited = victim.process.child.exitCode ?? victim.process.child.signalCode;
    console.log(`[faults ${backend}] ${victimId} after SIGCONT: ${exited === null ? 'still running, refusing writes' : `exited (${exited})`}`);

    // What the new owner acknowledged is there; nothing the stopped server refused is.
    const got = await readAll(table);
    for (const c of acknowledgedElsewhere) expect(got.get(c.row)).toBe(c.value);
    for (const t of held) expect(got.get(rowIn(t, 'ok'))).toBe('before the stop');
    const leaked = [...got].filter(([, v]) => v === 'queued while stopped' || v === 'after SIGCONT' || v === 'later');
    expect(leaked).toEqual([]);
  }, 300_000);
});
