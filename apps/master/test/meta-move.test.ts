// Moving META (docs/migration.md "Moving META"), with real processes: a
// lock server, three tablet servers and a master (the fault suite's
// cluster: short leases, so a crash is over in seconds).
//
//  1. Under load: SDK writers and a scanner on a user table while META is
//     moved back and forth through POST /v1/tablets/meta/move. Each move
//     commits and the root names the target; clients follow META there
//     (the SDK's locate cache, the master's gateway, the tablet servers'
//     META writers — a user tablet moved afterwards commits its config to
//     the new META); no acknowledged write is lost, every cell reads back.
//  2. A drain of the server that serves META: it ends with no tablet (GET
//     /v1/servers, fed by its heartbeats), META served elsewhere, every
//     cell readable and the table writable.
//  3. A crash at the commit of a META move (KDI_TS_MIGRATION_CRASH_AT, set
//     on every server; only the one that reaches the point dies): the
//     source at `commit` and after the target's answer (`done`), the
//     target before its root write (`target-commit`) and after it
//     (`target-committed`). Afterwards
//     exactly one live server serves META, the table takes writes and a
//     new table can be made, and no acknowledged write is lost.
// Write stalls and times are printed, never asserted.

import { connect, type KdiClient } from '@kdi/client-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allServing, call, CLUSTER_SECRET, waitFor } from './cluster.js';
import { describeTable, startFaultCluster, type FaultCluster } from './faults/fault-cluster.js';
import { lostWrites, pad6, readAll, startLoadWriters, type LoadWriters } from './faults/load-writers.js';

const SPLITS = [1, 2, 3, 4, 5].map((k) => `k-${pad6(Math.floor((k * 100_000) / 6))}`);
const secret = { authorization: `Bearer ${CLUSTER_SECRET}` };

const live = (c: FaultCluster) => [...c.servers.values()].filter((s) => s.process.child.exitCode === null && s.process.child.signalCode === null);

/** The live servers whose own status says they serve META. */
async function servingMeta(c: FaultCluster): Promise<string[]> {
  const out: string[] = [];
  for (const s of live(c)) {
    const r = await call('GET', `${s.url}/v1/admin/status`, undefined, secret);
    if (r.status === 200 && r.body.tablets.some((t: { table: string; state: string }) => t.table === 'META' && t.state === 'serving')) out.push(s.id);
  }
  return out;
}

async function metaLocation(c: FaultCluster): Promise<{ serverId: string; epoch: number } | undefined> {
  return (await call('GET', `${c.masterUrl}/v1/meta/location`)).body.location;
}

/** Moves META (to `target`, or where the master picks) and waits for the move's end; the master's record. */
async function moveMeta(c: FaultCluster, target?: string): Promise<any> {
  const r = await call('POST', `${c.masterUrl}/v1/tablets/meta/move`, target === undefined ? {} : { target });
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  return waitFor(
    `move ${r.body.migration.migrationId} of META`,
    async () => {
      const x = await call('GET', `${c.masterUrl}/v1/migrations/${r.body.migration.migrationId}`);
      return x.body.state !== 'running' ? x.body : undefined;
    },
    120_000,
  );
}

const t0 = performance.now();
/** A progress line (a long test on a shared machine: where it is when it times out). */
const step = (what: string) => console.log(`[meta-move +${Math.round((performance.now() - t0) / 1000)} s] ${what}`);

const stallOf = (rec: any) => `${rec.source.serverId}→${rec.target.serverId} ${rec.state}, write stall ${rec.progress?.writeStallMs ?? '?'} ms`;

describe('moving META under load, then draining its server', () => {
  let cluster: FaultCluster;
  let kdi: KdiClient | undefined;
  let load: LoadWriters | undefined;

  beforeAll(async () => {
    cluster = await startFaultCluster({ backend: 'embedded', masterEnv: { KDI_MASTER_BALANCE_INTERVAL_MS: '0' } });
    step('cluster started');
    expect((await call('POST', `${cluster.masterUrl}/v1/tables`, { name: 'load', splits: SPLITS })).status).toBe(201);
    await allServing(cluster.masterUrl, 'load', 120_000);
    kdi = await connect({ servers: [cluster.masterUrl], timeoutMs: 120_000 });
  }, 400_000);

  afterAll(async () => {
    await load?.stop();
    await kdi?.close();
    await cluster?.close();
  });

  it('moves META while clients read and write; everyone follows it; nothing acknowledged is lost', async () => {
    const table = kdi!.table('load');
    load = startLoadWriters(table);
    const problems: string[] = [];
    let scans = 0;
    let stop = false;
    // A scanner: every scan sees every cell acknowledged before it began.
    const scanner = (async () => {
      while (!stop) {
        const before = [...load!.acked].map(([row, a]) => [row, a.value] as const);
        try {
          const got = await readAll(table);
          for (const [row, value] of before) if (got.get(row) !== value) problems.push(`scan ${scans} missed ${row}`);
          scans++;
        } catch (e) {
          problems.push(`scan failed: ${String(e)}`);
        }
      }
    })();
    await waitFor('writes acknowledged before the first move', async () => (load!.acked.size >= 1_000 ? true : undefined), 120_000);

    const lines: string[] = [];
    try {
      const ids = [...cluster.servers.keys()];
      for (let i = 0; i < 3; i++) {
        const from = (await metaLocation(cluster))!;
        const target = ids.filter((id) => id !== from.serverId)[i % 2]!;
        const rec = await moveMeta(cluster, target);
        step(`META moved: ${stallOf(rec)}`);
        lines.push(stallOf(rec));
        expect(rec.state, JSON.stringify(rec)).toBe('committed');
        const now = (await metaLocation(cluster))!;
        expect(now.serverId).toBe(target);
        expect(now.epoch).toBe(rec.epoch);
        expect(await servingMeta(cluster)).toEqual([target]);
        // Writes keep being acknowledged after each move.
        const n = load.acked.size;
        await waitFor('writes acknowledged after the move', async () => (load!.acked.size > n + 200 ? true : undefined), 120_000);
      }

      // The tablet servers' META writers follow it: a user tablet moved now commits its config to the new META.
      const t = (await describeTable(cluster.masterUrl, 'load'))[0]!;
      const moved = await call('POST', `${cluster.masterUrl}/v1/tablets/${t.tabletId}/move`, {});
      expect(moved.status, JSON.stringify(moved.body)).toBe(202);
      const userMove = await waitFor('the user tablet move', async () => {
        const x = await call('GET', `${cluster.masterUrl}/v1/migrations/${moved.body.migration.migrationId}`);
        return x.body.state !== 'running' ? x.body : undefined;
      });
      expect(userMove.state, JSON.stringify(userMove)).toBe('committed');
      lines.push(`user tablet ${stallOf(userMove)}`);

      // The master's META writes (a new table) and its gateway (a new table's tablets are read from the new META) follow it.
      expect((await call('POST', `${cluster.masterUrl}/v1/tables`, { name: 'after', splits: ['m'] })).status).toBe(201);
      await allServing(cluster.masterUrl, 'after', 120_000);
      const applied = await call('POST', `${cluster.masterUrl}/v1/tables/after/apply`, {
        cells: [
          { row: 'a', column: 'f:c', timestamp: 1, value: 'x' },
          { row: 'z', column: 'f:c', timestamp: 1, value: 'y' },
        ],
      });
      expect(applied.status, JSON.stringify(applied.body)).toBe(200);
      const scanned = await call('POST', `${cluster.masterUrl}/v1/tables/after/scan`, {});
      expect(scanned.body.cells.map((c: { row: string }) => c.row)).toEqual(['a', 'z']);
    } finally {
      // Also when an expectation failed: the next test must not run beside this load.
      stop = true;
      await scanner;
      await load.stop();
    }
    const { acked, failures } = load;
    load = undefined;
    const got = await readAll(table);
    console.log(
      [`META moved under load: ${acked.size} cells acknowledged, ${failures.length} flushes with an unknown outcome, ${scans} full scans`, ...lines.map((l) => `  ${l}`)].join(
        '\n',
      ),
    );
    expect(lostWrites(acked, got)).toEqual([]);
    expect(problems.slice(0, 10)).toEqual([]);
    expect(scans).toBeGreaterThan(0);
  }, 600_000);

  it('drains the server that serves META: it ends with no tablet, every cell readable', async () => {
    const table = kdi!.table('load');
    const victim = (await metaLocation(cluster))!.serverId;
    const before = await readAll(table);
    step(`${before.size} cells before the drain`);
    expect((await call('POST', `${cluster.masterUrl}/v1/servers/${victim}/drain`)).body).toMatchObject({ serverId: victim, draining: true });
    step(`draining ${victim}`);
    const emptied = await waitFor(
      `${victim} empty`,
      async () => {
        const s = (await call('GET', `${cluster.masterUrl}/v1/servers`)).body.servers.find((x: any) => x.serverId === victim);
        return s.tablets === 0 && s.draining ? s : undefined;
      },
      240_000,
    );
    expect(emptied.state).toBe('live');
    step(`${victim} empty`);
    const meta = (await metaLocation(cluster))!;
    expect(meta.serverId).not.toBe(victim);
    expect(await servingMeta(cluster)).toEqual([meta.serverId]);
    // The server itself says so too.
    const own = await call('GET', `${cluster.servers.get(victim)!.url}/v1/admin/status`, undefined, secret);
    expect(own.body.tablets).toEqual([]);
    const d = await allServing(cluster.masterUrl, 'load', 120_000);
    expect(d.tablets.every((t: any) => t.location.serverId !== victim)).toBe(true);
    expect(await readAll(table)).toEqual(before);
    await table.apply([{ row: 'zz-after-drain', column: 'f:c', value: 'yes' }], { waitForSync: true });
    expect((await readAll(table)).get('zz-after-drain')).toBe('yes');

    const drains = await waitFor('the drain moves ended', async () => {
      const list = (await call('GET', `${cluster.masterUrl}/v1/migrations`)).body.migrations.filter((x: any) => x.reason === 'drain');
      return list.length > 0 && list.every((x: any) => x.state !== 'running') ? list : undefined;
    });
    const metaDrain = drains.find((x: any) => x.tabletId === 'meta');
    expect(metaDrain?.state).toBe('committed');
    console.log(`drain of ${victim}: ${drains.length} moves, META's last: ${stallOf(metaDrain)}`);
    expect((await call('DELETE', `${cluster.masterUrl}/v1/servers/${victim}/drain`)).body.draining).toBe(false);
  }, 600_000);
});

const CRASHES = [
  { point: 'commit', dies: 'source' },
  { point: 'target-commit', dies: 'target' },
  { point: 'target-committed', dies: 'target' },
  { point: 'done', dies: 'source' },
] as const;

describe.each(CRASHES)('a crash at the commit of a META move: $dies at $point', ({ point, dies }) => {
  let cluster: FaultCluster;
  let kdi: KdiClient | undefined;
  let load: LoadWriters | undefined;

  beforeAll(async () => {
    cluster = await startFaultCluster({
      backend: 'embedded',
      masterEnv: { KDI_MASTER_BALANCE_INTERVAL_MS: '0' },
      tabletServerEnv: { KDI_TS_MIGRATION_CRASH_AT: point },
    });
    expect((await call('POST', `${cluster.masterUrl}/v1/tables`, { name: 'load', splits: SPLITS })).status).toBe(201);
    await allServing(cluster.masterUrl, 'load', 120_000);
    kdi = await connect({ servers: [cluster.masterUrl], timeoutMs: 120_000 });
  }, 400_000);

  afterAll(async () => {
    await load?.stop();
    await kdi?.close();
    await cluster?.close();
  });

  it('leaves exactly one server serving META and a working cluster; nothing acknowledged is lost', async () => {
    const table = kdi!.table('load');
    load = startLoadWriters(table);
    await waitFor('writes acknowledged before the move', async () => (load!.acked.size >= 500 ? true : undefined), 120_000);
    const from = (await metaLocation(cluster))!;
    const target = [...cluster.servers.keys()].find((id) => id !== from.serverId)!;
    const r = await call('POST', `${cluster.masterUrl}/v1/tablets/meta/move`, { target });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    const victim = dies === 'source' ? from.serverId : target;
    const startedAt = performance.now();
    await waitFor(`${victim} killed at ${point}`, async () => (live(cluster).some((s) => s.id === victim) ? undefined : true), 120_000);
    step(`${victim} killed at ${point}`);

    // Exactly one live server serves META, the one the root names; the master's record of the move ends.
    const settled = await waitFor(
      'META served by exactly one live server, the one the root names',
      async () => {
        const loc = await metaLocation(cluster);
        const serving = await servingMeta(cluster);
        return loc !== undefined && serving.length === 1 && serving[0] === loc.serverId ? loc : undefined;
      },
      120_000,
    );
    const settledMs = Math.round(performance.now() - startedAt);
    const rec = await waitFor('the move ended', async () => {
      const x = await call('GET', `${cluster.masterUrl}/v1/migrations/${r.body.migration.migrationId}`);
      return x.body.state !== 'running' ? x.body : undefined;
    });
    expect(settled.serverId).not.toBe(victim);
    // The cluster works: the dead server's tablets are served again, writes go on, META takes a new table.
    await allServing(cluster.masterUrl, 'load', 120_000);
    const n = load.acked.size;
    await waitFor('writes acknowledged after the crash', async () => (load!.acked.size > n + 200 ? true : undefined), 120_000);
    expect((await call('POST', `${cluster.masterUrl}/v1/tables`, { name: 'after', splits: ['m'] })).status).toBe(201);
    await allServing(cluster.masterUrl, 'after', 120_000);
    await kdi!.table('after').apply([{ row: 'a', column: 'f:c', value: 'x' }], { waitForSync: true });

    await load.stop();
    const { acked, failures } = load;
    load = undefined;
    const got = await readAll(table);
    console.log(
      `[META move, ${dies} killed at ${point}] the move ended ${rec.state}${rec.error ? ` (${rec.error})` : ''}; META on ${settled.serverId} ` +
        `(epoch ${settled.epoch}) ${settledMs} ms after the move was asked; ${acked.size} cells acknowledged, ${failures.length} flushes with an unknown outcome`,
    );
    expect(lostWrites(acked, got)).toEqual([]);
    expect(await servingMeta(cluster)).toEqual([settled.serverId]);
  }, 600_000);
});
