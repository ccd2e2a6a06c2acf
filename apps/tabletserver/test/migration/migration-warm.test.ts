// Warm hand-over (issue 10 Deliver 2, DESIGN §10), real processes: the
// source has read its tablet (its blocks are hot in its cache); after the
// move the target's block cache already holds them — a full scan at the
// target loads no block from disk (the cache's bytes do not change) — and
// the source's cache no longer holds the tablet's blocks.

import { expect, it } from 'vitest';
import { post, scanTable, type ServerProc } from '../cluster.js';
import { ok } from '../sdk/sdk-cluster.js';
import { migrationCluster } from './migration-cluster.js';
import { describeMove, waitMigration } from './migration-kit.js';

const c = migrationCluster('migw', { KDI_TS_LEASE_TTL_MS: '3000' });

async function cacheBytes(server: ServerProc): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('tabletserver_block_cache_bytes '));
  if (line === undefined) throw new Error(`no tabletserver_block_cache_bytes in the metrics of ${server.serverId}`);
  return Number(line.split(' ')[1]);
}

it('the target’s cache holds the blocks the source had hot: a scan after the move reads no block from disk', async () => {
  const source = await c.start('ws');
  const target = await c.start('wd');
  ok(await c.master.assign(source, 'w', 'w0'));
  for (let b = 0; b < 20; b++) {
    const cells = Array.from({ length: 50 }, (_, j) => ({ row: `r${String(b * 50 + j).padStart(5, '0')}`, column: 'f:q', timestamp: 1, value: `v${b}-${j}-${'y'.repeat(300)}` }));
    ok(await post(`${source.url}/v1/tables/w/apply`, { cells }), 200);
  }
  ok(await c.master.admin('POST', `${source.url}/v1/admin/serialize`, {}), 200);
  ok(await c.master.admin('POST', `${source.url}/v1/admin/tablets/w0/compact`, { full: true }), 200);
  const want = await scanTable(source.url, 'w'); // every block hot at the source
  expect(want.size).toBe(1000);
  const sourceHot = await cacheBytes(source);
  expect(sourceHot).toBeGreaterThan(100_000);
  expect(await cacheBytes(target)).toBe(0);

  ok(await c.master.migrate(source, target, 'w0', 'warm'), 202);
  const status = await waitMigration(source, 'warm');
  expect(status.outcome, describeMove(status)).toBe('committed');

  const warmed = await cacheBytes(target);
  expect(await scanTable(target.url, 'w')).toEqual(want);
  const afterScan = await cacheBytes(target);
  console.log(`warm hand-over: source cache ${sourceHot} bytes; target cache ${warmed} bytes after the move, ${afterScan} after a full scan; ${describeMove(status)}`);
  expect(warmed).toBeGreaterThan(100_000);
  expect(afterScan).toBe(warmed);
  // The source let go of the tablet's files: their blocks left its cache.
  expect(await cacheBytes(source)).toBeLessThan(sourceHot);
}, 120_000);
