// Crash points of a tablet migration (issue 10, DESIGN §10), real
// processes: for each step of a move, the source is killed (SIGKILL, by
// the test-only KDI_TS_MIGRATION_CRASH_AT) while an SDK writer keeps
// writing; then, in a second run, the target is. The master's part is
// played by hand (FakeMaster): when META names a dead server, the tablet
// is assigned to the live one, which loads it from the dead one's files
// and log. Afterwards exactly one server serves the tablet, every
// acknowledged write is there, nothing was invented, every file META
// names exists, and no migration temp directory remains on the target —
// after its idle sweep when the source died, after its restart when it
// died itself. A target killed before its commit landed (prepare, copy,
// after the preload, before its META write) keeps nothing of the move
// after its restart: no tablet, served or dormant, and no file of the
// table; one killed after its META write keeps what META names.
//
// The scenario shared by migration-crash-source.test.ts and
// migration-crash-target.test.ts (two files, so the two halves of the
// matrix run side by side).

import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, type KdiClient } from '@kdi/client-sdk';
import { expect } from 'vitest';
import { ok } from '../sdk/sdk-cluster.js';
import type { MigrationCluster } from './migration-cluster.js';
import { describeMove, servedTablets, tempDirs, waitMigration } from './migration-kit.js';
import { CLUSTER_SECRET, type ServerProc } from '../cluster.js';

/** What every crash test's cluster gives its tablet servers. */
export const CRASH_ENV = { KDI_TS_LEASE_TTL_MS: '3000', KDI_TS_MIGRATION_IDLE_MS: '1000', KDI_TS_MEMORY_BUDGET_BYTES: String(64 * 1024) };

/** Fragment files under `dataDir` of `table` (tables/<table>/…), absolute. */
async function tableFiles(dataDir: string, table: string): Promise<string[]> {
  const dir = join(dataDir, 'tables', table);
  try {
    return (await readdir(dir, { recursive: true })).filter((n) => n.endsWith('.frag')).map((n) => join(dir, n));
  } catch {
    return [];
  }
}

/** The tablets of `table` a server holds dormant (in its engine, not served). */
async function dormantTablets(server: ServerProc, table: string): Promise<string[]> {
  const res = await fetch(`${server.url}/v1/admin/status`, { headers: { authorization: `Bearer ${CLUSTER_SECRET}` } });
  const body = (await res.json()) as { dormantTablets?: { tabletId: string; table: string }[] };
  return (body.dormantTablets ?? []).filter((d) => d.table === table).map((d) => d.tabletId);
}

const text = (b: Uint8Array | null) => (b === null ? '' : Buffer.from(b).toString('utf8'));

export const SOURCE_POINTS = ['prepare', 'copy', 'catch-up', 'delta', 'freeze', 'commit', 'done'] as const;
export const TARGET_POINTS = ['target-prepare', 'target-copy', 'target-preloaded', 'target-delta', 'target-commit', 'target-committed'] as const;

let n = 0;

/**
 * `reassignToRestarted`: the dead server is restarted first and the master
 * gives the tablet back to it (it adopts the copy it kept) instead of to
 * the live one.
 */
export async function crashScenario(c: MigrationCluster, victim: 'source' | 'target', point: string, opts: { reassignToRestarted?: boolean } = {}): Promise<void> {
  const start = (serverId: string, env: Record<string, string> = {}, dataDir?: string) => c.start(serverId, env, dataDir);
  const i = ++n;
  const table = `c${i}`;
  const tabletId = `x${i}`;
  const crash = { KDI_TS_MIGRATION_CRASH_AT: point };
  const source = await start(`s${i}`, victim === 'source' ? crash : {});
  const target = await start(`d${i}`, victim === 'target' ? crash : {});
  const master = c.master;
  ok(await master.assign(source, table, tabletId));

  const kdi: KdiClient = await connect({ servers: [c.metaServer.url], timeoutMs: 30_000 });
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
  // Ten batches at a time (each its own rows): the same cells as one after another, in a fraction of the time.
  const writeRange = async (from: number, to: number) => {
    for (let b = from; b < to; b += 10) await Promise.all(Array.from({ length: Math.min(10, to - b) }, (_, j) => write(b + j)));
  };
  await writeRange(0, 200);
  ok(await master.admin('POST', `${source.url}/v1/admin/serialize`, {}), 200);
  await writeRange(200, 260);
  let k = 260;
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
  await c.exited(dead);
  let status;
  if (victim === 'target') {
    // The source settles the outcome (the target's answer, else META) and ends the move.
    status = await waitMigration(alive, migrationId);
  }
  // The victim comes back (a new id: its old one's lease need not run out first) on its old directory.
  const restart = () => start(`${dead.serverId}b`, {}, dead.dataDir);
  const early = opts.reassignToRestarted === true ? await restart() : undefined;
  // The master's part: META naming a dead server → assign the tablet to the live one (or the restarted one).
  const loc = (await master.config(table))?.location;
  let reassigned = false;
  if (loc?.serverId === dead.serverId) {
    ok(await master.assign(early ?? alive, table, `${tabletId}r`));
    reassigned = true;
  }
  await new Promise((r) => setTimeout(r, 500));
  writing = false;
  await writer;

  const back = early ?? (await restart());
  const targetDir = victim === 'target' ? back.dataDir : target.dataDir;
  // Temp files: gone at the restart (victim target), or by the idle sweep (victim source).
  const deadline = Date.now() + 15_000;
  while ((await tempDirs(targetDir)).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(await tempDirs(targetDir)).toEqual([]);

  // Every file META names for the table is there: no restart deleted what a config needs.
  const named = (await (await master.meta()).listTablets(table)).flatMap((cfg) => Object.values(cfg.fragments).flat());
  const missing: string[] = [];
  for (const f of named) await access(f).catch(() => missing.push(f));
  expect(missing).toEqual([]);
  if (victim === 'target' && loc?.serverId !== dead.serverId) {
    // The commit did not land: the target keeps nothing of the move — no tablet (served or dormant), no file of the table.
    expect(await dormantTablets(back, table)).toEqual([]);
    expect(await tableFiles(back.dataDir, table)).toEqual([]);
  }

  const serving = [];
  for (const s of [alive, back]) for (const t of await servedTablets(s)) if (t.table === table) serving.push(`${s.serverId}:${t.tabletId}:${t.state}`);
  expect(serving.length, serving.join(', ')).toBe(1);
  if (early !== undefined && reassigned) expect(serving[0]?.startsWith(`${early.serverId}:`), serving.join(', ')).toBe(true);

  const final = new Map<string, string>();
  for await (const c of kdi.table(table).scan()) final.set(`${text(c.row)}|${text(c.column)}`, text(c.value));
  await kdi.close();
  const lost = [...acked].filter(([key, v]) => final.get(key) !== v).map(([key]) => key);
  const invented = [...final.keys()].filter((key) => !acked.has(key) && !unknown.has(key));
  console.log(
    `crash of the ${victim} at ${point}: META named ${loc?.serverId}${reassigned ? ` → reassigned to ${(early ?? alive).serverId}` : ''}; served by ${serving[0]}; ` +
      `${acked.size} cells acknowledged, ${unknown.size} unknown${status ? `; ${describeMove(status)}` : ''}`,
  );
  expect(lost.slice(0, 10)).toEqual([]);
  expect(invented.slice(0, 10)).toEqual([]);
  for (const p of [alive, back]) await c.kill(p);
  // A write path that kept working through the crash: the last writes are there too.
  expect(acked.size).toBeGreaterThan(1300);
}
