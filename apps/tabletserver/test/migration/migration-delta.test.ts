// Delta shipping (docs/migration.md `delta`), real processes: after the
// preload the source sends the cells written since in rounds, and at the
// freeze only those since the last round. The source pauses after its
// first delta round (test-only KDI_TS_MIGRATION_PAUSE_AT=delta) while a
// writer goes on, so writes land between the preload and the freeze, and
// a serialization at the source between rounds puts some of them in files
// the target never receives: every acknowledged write reads back from the
// target, and the source's status shows the rounds and the commit's cells.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningLockServer, startEmbeddedLockServer } from '@kdi/client-sdk/test-support';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { encodeCellBlock } from '@kdi/protocol';
import { CLUSTER_SECRET, FakeMaster, kill9, post, scanTable, type ServerProc, startServerProcess } from '../cluster.js';
import { ok } from '../sdk/sdk-cluster.js';
import { describeMove, migrations, waitMigration } from './migration-kit.js';

let lock: RunningLockServer;
let master: FakeMaster;
const procs: ServerProc[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  lock = await startEmbeddedLockServer({ limits: { minTtlMs: 1000, lockDelayMs: 200 } });
  master = await new FakeMaster(lock.url).start();
}, 60_000);

afterAll(async () => {
  await master?.stop().catch(() => undefined);
  for (const p of procs) await kill9(p);
  await lock?.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function start(serverId: string, env: Record<string, string> = {}): Promise<ServerProc> {
  const dir = await mkdtemp(join(tmpdir(), `kdi-migd-${serverId}-`));
  dirs.push(dir);
  const p = await startServerProcess({ serverId, dataDir: dir, lockUrl: lock.url, env: { KDI_TS_LEASE_TTL_MS: '3000', ...env } });
  procs.push(p);
  return p;
}

it('cells written between the preload and the freeze all reach the target, through delta rounds and the commit', async () => {
  const metaServer = await start('dm');
  ok(await master.assignMeta(metaServer));
  const source = await start('ds', { KDI_TS_MIGRATION_PAUSE_AT: 'delta', KDI_TS_MIGRATION_PAUSE_MS: '1500' });
  const target = await start('dd');
  ok(await master.assign(source, 'd', 'd0'));
  const want = new Map<string, string>();
  const maybe = new Set<string>();
  let k = 0;
  const write = async () => {
    const i = k++;
    const cells = [
      { row: `r${String(i).padStart(5, '0')}`, column: 'f:q', timestamp: 1, value: `v${i}` },
      // One key set again and again with the same timestamp: the last value must win at the target too.
      { row: 'same', column: 'f:q', timestamp: 7, value: `last${i}` },
    ];
    const res = await post(`${source.url}/v1/tables/d/apply`, { cells });
    if (res.status === 200) for (const c of cells) want.set(`${c.row}|${c.column}`, c.value);
    else for (const c of cells) maybe.add(`${c.row}|${c.column}=${c.value}`); // not acknowledged: may or may not be there
    return res.status;
  };
  for (let i = 0; i < 200; i++) expect(await write()).toBe(200);
  ok(await master.admin('POST', `${source.url}/v1/admin/serialize`, {}), 200);

  let writing = true;
  const writer = (async () => {
    while (writing) {
      const status = await write();
      // Writes wait at the freeze and get WRONG_TABLET (421) once the target serves: that ends the writer.
      if (status !== 200) break;
    }
  })();
  ok(await master.migrate(source, target, 'd0', 'delta'), 202);
  // While the source pauses after its first delta round: writes, and a serialization (files the target never gets).
  for (let waited = 0; waited < 10_000; waited += 50) {
    const m = (await migrations(source)).find((x) => x.migrationId === 'delta' && x.role === 'source');
    if (m?.step === 'delta' || m?.endedAt !== undefined) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 500));
  ok(await master.admin('POST', `${source.url}/v1/admin/serialize`, {}), 200);
  const status = await waitMigration(source, 'delta');
  writing = false;
  await writer;
  console.log(
    `delta shipping: ${describeMove(status)}; rounds ${JSON.stringify(status.deltaRounds)}; commit carried ${status.finalCells} cells; target's commit ${JSON.stringify(status.commitParts)}`,
  );
  expect(status.outcome, describeMove(status)).toBe('committed');
  expect(status.deltaRounds?.length).toBeGreaterThanOrEqual(1);
  // The writes made while the source paused travelled as a later round or with the commit.
  const afterFirst = status.deltaRounds!.slice(1).reduce((n, d) => n + d.cells, 0) + (status.finalCells ?? 0);
  expect(afterFirst).toBeGreaterThan(0);

  const got = await scanTable(target.url, 'd');
  const lost = [...want].filter(([key, v]) => got.get(key) !== v && !maybe.has(`${key}=${got.get(key)}`)).map(([key]) => key);
  expect(lost.slice(0, 10)).toEqual([]);
  expect(want.size).toBeGreaterThan(250);
}, 120_000);

it('a commit without the master’s sequencer is refused before META is touched: the move aborts, the source serves on', async () => {
  const source = await start('qs', { KDI_TS_MIGRATION_PAUSE_AT: 'delta', KDI_TS_MIGRATION_PAUSE_MS: '2000' });
  const target = await start('qd');
  ok(await master.assign(source, 'q', 'q0'));
  ok(await post(`${source.url}/v1/tables/q/apply`, { cells: [{ row: 'a', column: 'f:q', timestamp: 1, value: 'v' }] }), 200);
  const before = (await master.config('q'))!.location;
  ok(await master.migrate(source, target, 'q0', 'bare'), 202);
  for (let waited = 0; waited < 10_000; waited += 50) {
    const m = (await migrations(source)).find((x) => x.migrationId === 'bare' && x.role === 'source');
    if (m?.step === 'delta') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  // Preloaded, the source paused: a commit with the cluster secret but no sequencer.
  const res = await fetch(`${target.url}/v1/admin/migrations/bare/commit`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CLUSTER_SECRET}`, 'content-type': 'application/x-kdi-cells' },
    body: encodeCellBlock([]),
  });
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(res.status).toBe(400);
  expect(body.error.code).toBe('FAILED_PRECONDITION');
  expect(body.error.message).toMatch(/sequencer was not confirmed/);
  expect((await master.config('q'))!.location).toEqual(before);
  const status = await waitMigration(source, 'bare');
  expect(status.outcome, describeMove(status)).toBe('aborted');
  expect(await scanTable(source.url, 'q')).toEqual(new Map([['a|f:q', 'v']]));
}, 120_000);
