// Crash points of a disk migration (issue 11, DESIGN §11), real
// processes: a tablet server with two disks is killed (SIGKILL, by the
// test-only KDI_TS_DISK_MIGRATION_CRASH_AT) as a disk migration of its
// tablet enters MOVING (one file copied into `.migrate.tmp`), MOVED (every
// copy made, before the swap), CLOSED (the references swapped, the
// manifest saved) or COMPLETED, while an SDK writer keeps writing. It is
// restarted on the same directories (a new server id, so its old lease
// need not run out first) and the (fake) master assigns it the tablet
// again, which it takes over from its engine. Afterwards:
//  - exactly one copy is in use: the manifest and META name files of one
//    disk only, the same one — the source before the swap (MOVING,
//    MOVED), the target after it (CLOSED, COMPLETED) — and they exist;
//  - the other disk holds no fragment file of the table (the old copies
//    are deleted once META names the new ones), no `*.migrate.tmp` and no
//    `.ori` is left on either disk;
//  - every acknowledged write reads back once, nothing else is there.
// Shared by disk-migration-crash-*.test.ts (two files, so the states run
// side by side).

import { expect } from 'vitest';
import { ok } from '../sdk/sdk-cluster.js';
import type { MigrationCluster } from '../migration/migration-cluster.js';
import { compare, readAll, startDiskLoad } from './disk-load.js';
import { type DiskServer, diskServers, fragmentFiles, migrationLeftovers, placementProblems, postDiskMigration, serialize, settle, sleep, tabletDisks } from './disk-kit.js';

export type CrashState = 'MOVING' | 'MOVED' | 'CLOSED' | 'COMPLETED';

/** What every disk crash test's tablet servers get: small memory (several fragments), short leases. */
export const DISK_CRASH_ENV = { KDI_TS_MEMORY_BUDGET_BYTES: String(256 * 1024), KDI_TS_LEASE_TTL_MS: '3000' };

let n = 0;

export async function diskCrashScenario(c: MigrationCluster, start: ReturnType<typeof diskServers>, state: CrashState): Promise<void> {
  const i = ++n;
  const table = `k${i}`;
  const tablet = `kt${i}`;
  const s: DiskServer = await start(`dk${i}`, { KDI_TS_DISK_MIGRATION_CRASH_AT: state });
  ok(await c.master.assign(s, table, tablet));
  const load = await startDiskLoad({ metaUrl: c.metaServer.url, table, writers: 2, scanners: 0, prefix: state });
  let back: DiskServer | undefined;
  try {
    // Several fragment files on the tablet's disk before the move.
    for (let k = 0; k < 3; k++) {
      await sleep(300);
      await serialize(s);
    }
    const { on, other } = await tabletDisks(s, tablet);
    const moved = state === 'CLOSED' || state === 'COMPLETED';
    // The server may die before it answers.
    const r = await postDiskMigration(s, tablet, on, other).catch((e: unknown) => ({ status: 0, body: String(e) }));
    if (r.status !== 0) expect(r.status, JSON.stringify(r.body)).toBe(202);
    await c.exited(s);
    const before = [...(await migrationLeftovers(s.disks[0])).tmp, ...(await migrationLeftovers(s.disks[1])).tmp];
    // The copy not in use at the crash: the old files after the swap, the partial copies before it.
    const stale = moved ? (await fragmentFiles(on, table)).length : before.length;

    back = await start(`dk${i}b`, {}, s.disks);
    ok(await c.master.assign(back, table, tablet));
    await sleep(500);
    await load.stop();

    const settled = await settle(async () => (await placementProblems(c.master, s.disks, table)).problems);
    const where = await placementProblems(c.master, s.disks, table);
    const { cells, duplicates } = await readAll(c.metaServer.url, table);
    const { lost, invented } = compare(load, cells);
    console.log(
      `disk migration killed at ${state} (${on} → ${other}): ${before.length} .migrate.tmp entries, ${stale} files of the unused copy at the crash; ` +
        `after the restart the files are on ${where.disk ?? '?'}; ${load.acked.size} cells acknowledged, ${load.unknown.size} unknown`,
    );
    expect(settled, 'once settled: one copy in use, no leftovers').toEqual([]);
    expect(where.disk, moved ? 'the swap was saved: the target disk' : 'no swap: the source disk').toBe(moved ? other : on);
    expect(stale, moved ? 'the crash left the old files on the source disk (cleaned up since)' : 'the crash left copies in .migrate.tmp (removed since)').toBeGreaterThan(0);
    expect(duplicates.slice(0, 10)).toEqual([]);
    expect(lost.slice(0, 10)).toEqual([]);
    expect(invented.slice(0, 10)).toEqual([]);
    expect(load.acked.size).toBeGreaterThan(100);
  } finally {
    await load.stop();
    if (back !== undefined) await c.kill(back);
  }
}
