// Disk migration under load (issue 11, DESIGN §11), real processes: one
// tablet server with two data directories (disks) on a real lock server,
// META on another; its tablet is moved from one disk to the other and back
// (POST /v1/admin/disk-migrations) while SDK writers apply and SDK
// scanners page through the table. The server pauses 1.5 s on entering
// MOVING, MOVED and CLOSED (the test-only KDI_TS_DISK_MIGRATION_PAUSE_AT),
// so every state lasts long enough to be served in: the test polls the
// status and counts, per state, the writes and the whole scans that began
// and ended in it. During MOVING it serializes the tablet, so a fragment
// written during the copy must be carried over by a later pass.
//
// Checked: each move ends COMPLETED through MOVING, MOVED, CLOSED; writes
// and scans succeeded in each of those states; no write failed; no scan
// returned a cell twice, out of order, or missed one acknowledged before
// it began; afterwards every acknowledged cell reads back once and nothing
// else is there; once settled the manifest and META name only files of
// the target disk (which exist), the source disk holds no file of the
// table and no `*.migrate.tmp` is left.

import { randomBytes } from 'node:crypto';
import { connect } from '@kdi/client-sdk';
import { expect, it } from 'vitest';
import { ok } from '../sdk/sdk-cluster.js';
import { migrationCluster } from '../migration/migration-cluster.js';
import { compare, readAll, startDiskLoad } from './disk-load.js';
import { diskMigration, diskServers, placementProblems, serialize, settle, sleep, startDiskMigration, tabletDisks, type DiskMigrationStatus } from './disk-kit.js';

const PAUSE_MS = 1500;
const c = migrationCluster('dmload', {
  // Serialization keeps running during the copy (a fragment per ~1 MiB), but a paused final pass holds memory without back-pressure.
  KDI_TS_MEMORY_BUDGET_BYTES: String(1 << 20),
  KDI_TS_DISK_MIGRATION_PAUSE_AT: 'MOVING,MOVED,CLOSED',
  KDI_TS_DISK_MIGRATION_PAUSE_MS: String(PAUSE_MS),
});
const start = diskServers(c, 'dmload');

it('moves a tablet between its server’s disks and back under writers and scanners: served in every state, nothing lost or duplicated, one copy in use', async () => {
  const s = await start('dl1');
  ok(await c.master.assign(s, 't', 'dl'));
  // 4 MiB in 1000-byte values first: a fragment file copied in several 1 MiB chunks.
  const bulk = await connect({ servers: [c.metaServer.url], timeoutMs: 30_000 });
  const preloaded = new Map<string, string>();
  const writer = bulk.table('t').writer({ maxInFlight: 4 });
  for (let i = 0; i < 4 * 1024; i++) {
    const value = randomBytes(750).toString('base64'); // 1000 characters lz4 cannot shrink much
    await writer.set(`bulk-${String(i).padStart(5, '0')}`, 'f:b', value);
    preloaded.set(`bulk-${String(i).padStart(5, '0')}|f:b`, value);
  }
  await writer.close();
  await bulk.close();
  let state = 'IDLE';
  const load = await startDiskLoad({ metaUrl: c.metaServer.url, table: 't', writers: 3, scanners: 2, state: () => state });
  for (const [k, v] of preloaded) load.acked.set(k, v);
  const lines: string[] = [];
  try {
    await sleep(800);
    await serialize(s);
    await sleep(400);
    for (let move = 0; move < 2; move++) {
      const { on, other, bytes } = await tabletDisks(s, 'dl');
      expect(bytes[on], `the tablet has files on ${on}`).toBeGreaterThan(0);
      const seen: string[] = [];
      const t0 = Date.now();
      let status: DiskMigrationStatus = await startDiskMigration(s, 'dl', on, other);
      let serialized = false;
      for (;;) {
        const m = await diskMigration(s, 'dl');
        if (m === undefined) throw new Error('the started disk migration has no status');
        status = m;
        state = m.endedAtMs === undefined ? m.state : `ended ${m.state}`;
        if (seen.at(-1) !== m.state) seen.push(m.state);
        if (m.state === 'MOVING' && !serialized) {
          // A fragment written on the source disk during the copy: a later pass must carry it over.
          serialized = true;
          await serialize(s);
        }
        if (m.endedAtMs !== undefined) break;
        if (Date.now() - t0 > 60_000) throw new Error(`the disk migration did not end in 60 s: ${JSON.stringify(m)}`);
        await sleep(10);
      }
      lines.push(
        `move ${move + 1} ${on} → ${other}: ${status.state}${status.error ? ` (${status.error})` : ''} in ${(status.endedAtMs ?? 0) - status.startedAtMs} ms ` +
          `(pauses ${PAUSE_MS} ms × 3); states seen ${seen.join(' → ')}; ${status.filesCopied}/${status.files} files, ${status.bytesCopied}/${status.bytes} bytes; oriFiles ${status.oriFiles}`,
      );
      expect(status.error).toBeUndefined();
      expect(status.state).toBe('COMPLETED');
      expect(status.filesCopied).toBe(status.files);
      expect(status.files, 'the files on the source at the start and the one serialized during the copy').toBeGreaterThanOrEqual(2);
      expect(status.bytes, 'the preloaded 3 MiB among them').toBeGreaterThan(3 << 20);
      expect(seen.filter((x) => ['MOVING', 'MOVED', 'CLOSED'].includes(x))).toEqual(['MOVING', 'MOVED', 'CLOSED']);
      state = 'IDLE';
      // Let the writers and scanners run on the new disk for a while.
      await sleep(600);
      const placed = await settle(async () => (await placementProblems(c.master, s.disks, 't')).problems);
      expect(placed, 'once settled: one copy in use, no leftovers').toEqual([]);
      expect((await placementProblems(c.master, s.disks, 't')).disk).toBe(other);
    }
  } finally {
    await load.stop();
  }
  const served = Object.fromEntries(load.servedIn);
  console.log(
    [
      `disk migration under load: ${load.acked.size} cells acknowledged, ${load.unknown.size} unknown, ${load.scans()} full scans`,
      ...lines.map((l) => `  ${l}`),
      `  served (writes / whole scans begun and ended in the state): ${JSON.stringify(served)}`,
    ].join('\n'),
  );
  expect(load.problems.slice(0, 10)).toEqual([]);
  for (const st of ['MOVING', 'MOVED', 'CLOSED']) {
    expect(load.servedIn.get(st)?.writes ?? 0, `writes served in ${st}`).toBeGreaterThan(0);
    expect(load.servedIn.get(st)?.scans ?? 0, `scans served in ${st}`).toBeGreaterThan(0);
  }
  const { cells, duplicates } = await readAll(c.metaServer.url, 't');
  const { lost, invented } = compare(load, cells);
  expect(duplicates.slice(0, 10)).toEqual([]);
  expect(lost.slice(0, 10)).toEqual([]);
  expect(invented.slice(0, 10)).toEqual([]);
  expect(load.acked.size).toBeGreaterThan(1000);
  await c.kill(s);
}, 180_000);
