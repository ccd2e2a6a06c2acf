// Crash points of a tablet migration (issue 10, DESIGN §10), real
// processes: for each step of a move, the source is killed (SIGKILL, by
// the test-only KDI_TS_MIGRATION_CRASH_AT) while an SDK writer keeps
// writing; then, in a second run, the target is. The master's part is
// played by hand (FakeMaster): when META names a dead server, the tablet
// is assigned to the live one, which loads it from the dead one's files
// and log. Afterwards exactly one server serves the tablet, every
// acknowledged write is there, nothing was invented, and no migration
// temp directory remains on the target — after its idle sweep when the
// source died, after its restart when it died itself.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type KdiClient } from '@kdi/client-sdk';
import { type RunningLockServer, startEmbeddedLockServer } from '@kdi/client-sdk/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeMaster, kill9, type ServerProc, startServerProcess } from '../cluster.js';
import { ok } from '../sdk/sdk-cluster.js';
import { describeMove, servedTablets, tempDirs, waitMigration } from './migration-kit.js';

let lock: RunningLockServer;
let master: FakeMaster;
let metaServer: ServerProc;
const procs: ServerProc[] = [];
const dirs: string[] = [];
const ENV = { KDI_TS_LEASE_TTL_MS: '3000', KDI_TS_MIGRATION_IDLE_MS: '1000', KDI_TS_MEMORY_BUDGET_BYTES: String(64 * 1024) };

beforeAll(async () => {
  lock = await startEmbeddedLockServer({ limits: { minTtlMs: 1000, lockDelayMs: 200 } });
  master = await new FakeMaster(lock.url).start();
  metaServer = await start('meta');
  ok(await master.assignMeta(metaServer));
}, 60_000);

afterAll(async () => {
  await master?.stop().catch(() => undefined);
  for (const p of procs) await kill9(p);
  await lock?.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function start(serverId: string, env: Record<string, string> = {}, dataDir?: string): Promise<ServerProc & { dataDir: string }> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), `kdi-mig-${serverId}-`)));
  if (dataDir === undefined) dirs.push(dir);
  const p = await startServerProcess({ serverId, dataDir: dir, lockUrl: lock.url, env: { ...ENV, ...env } });
  procs.push(p);
  return { ...p, dataDir: dir };
}

const exited = (p: ServerProc) => (p.child.exitCode !== null || p.child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => p.child.once('exit', () => r())));
const text = (b: Uint8Array | null) => (b === null ? '' : Buffer.from(b).toString('utf8'));

const SOURCE_POINTS = ['prepare', 'copy', 'catch-up', 'delta', 'freeze', 'commit', 'done'] as const;
const TARGET_POINTS = ['target-prepare', 'target-copy', 'target-delta', 'target-commit', 'target-committed'] as const;

let n = 0;

async function scenario(victim: 'source' | 'target', point: string): Promise<void> {
  const i = ++n;
  const table = `c${i}`;
  const tabletId = `x${i}`;
  const crash = { KDI_TS_MIGRATION_CRASH_AT: point };
  const source = await start(`s${i}`, victim === 'source' ? crash : {});
  const target = await start(`d${i}`, victim === 'target' ? crash : {});
  ok(await master.assign(source, table, tabletId));

  const kdi: KdiClient = await connect({ servers: [metaServer.url], timeoutMs: 30_000 });
  const acked = new Map<string, string>();
  const unknown = new Set<string>();
  const write = async (k: number) => {
    const cells = Array.from({ length: 5 }, (_, j) => ({ row: `r${String(k).padStart(5, '0')}`, column: `f:${j}`, timestamp: 1, value: `v${k}.${j}` }));
    try {
      await kdi.table(table).apply(cells);
      for (const c of cells) acked.set(`${c.row}|${c.column}`, c.value);
    } catch {
      for (const c of cells) unknown.add(`${c.row}|${c.column}`);
    }
  };
  let k = 0;
  for (; k < 200; k++) await write(k);
  ok(await master.admin('POST', `${source.url}/v1/admin/serialize`, {}), 200);
  for (; k < 260; k++) await write(k);
  let writing = true;
  const writer = (async () => {
    while (writing) await write(k++);
  })();

  const migrationId = `crash-${i}`;
  // A source killed at once may not have answered: the master sees an error, as it would.
  const move = await master.migrate(source, target, tabletId, migrationId).catch((e: unknown) => ({ status: 0, body: String(e) }));
  if (!(victim === 'source' && move.status === 0)) ok(move, 202);
  const dead = victim === 'source' ? source : target;
  const alive = victim === 'source' ? target : source;
  await exited(dead);
  procs.splice(procs.indexOf(dead), 1);
  let status;
  if (victim === 'target') {
    // The source settles the outcome (the target's answer, else META) and ends the move.
    status = await waitMigration(alive, migrationId);
  }
  // The master's part: META naming a dead server → assign the tablet to the live one.
  const loc = (await master.config(table))?.location;
  let reassigned = false;
  if (loc?.serverId === dead.serverId) {
    ok(await master.assign(alive, table, `${tabletId}r`));
    reassigned = true;
  }
  await new Promise((r) => setTimeout(r, 500));
  writing = false;
  await writer;

  // The victim comes back (a new id: its old one's lease need not run out first) on its old directory.
  const back = await start(`${dead.serverId}b`, {}, dead.dataDir);
  const targetDir = victim === 'target' ? back.dataDir : target.dataDir;
  // Temp files: gone at the restart (victim target), or by the idle sweep (victim source).
  const deadline = Date.now() + 15_000;
  while ((await tempDirs(targetDir)).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(await tempDirs(targetDir)).toEqual([]);

  const serving = [];
  for (const s of [alive, back]) for (const t of await servedTablets(s)) if (t.table === table) serving.push(`${s.serverId}:${t.tabletId}:${t.state}`);
  expect(serving.length, serving.join(', ')).toBe(1);

  const final = new Map<string, string>();
  for await (const c of kdi.table(table).scan()) final.set(`${text(c.row)}|${text(c.column)}`, text(c.value));
  await kdi.close();
  const lost = [...acked].filter(([key, v]) => final.get(key) !== v).map(([key]) => key);
  const invented = [...final.keys()].filter((key) => !acked.has(key) && !unknown.has(key));
  console.log(
    `crash of the ${victim} at ${point}: META named ${loc?.serverId}${reassigned ? ` → reassigned to ${alive.serverId}` : ''}; served by ${serving[0]}; ` +
      `${acked.size} cells acknowledged, ${unknown.size} unknown${status ? `; ${describeMove(status)}` : ''}`,
  );
  expect(lost.slice(0, 10)).toEqual([]);
  expect(invented.slice(0, 10)).toEqual([]);
  for (const p of [alive, back]) {
    await kill9(p);
    procs.splice(procs.indexOf(p), 1);
  }
  // A write path that kept working through the crash: the last writes are there too.
  expect(acked.size).toBeGreaterThan(1300);
}

describe('kill -9 of the source at each step of a move', () => {
  for (const point of SOURCE_POINTS) it(`at ${point}`, () => scenario('source', point), 120_000);
});

describe('kill -9 of the target at each step of a move', () => {
  for (const point of TARGET_POINTS) it(`at ${point}`, () => scenario('target', point), 120_000);
});
