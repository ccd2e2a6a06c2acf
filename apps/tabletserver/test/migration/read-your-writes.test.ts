// Read-your-writes across a migration's hand-over (issue 10, DESIGN §10),
// real processes: the target writes META (it serves the tablet and takes
// writes from then on) one round trip before the source learns of it. The
// test-only pause KDI_TS_MIGRATION_PAUSE_AT=target-committed holds the
// target between its META write and its answer, so that window is seconds
// wide. In it a write acknowledged by the target must be visible to every
// read sent to the source: a scan and a stat sent to the source wait and
// are answered WRONG_TABLET naming the target, and an SDK client whose
// cache still says "source" is re-routed and reads the write. Then the
// other side: a commit that does not land (the fence) lets the waiting
// reads go on at the source.

import { connect } from '@kdi/client-sdk';
import { expect, it } from 'vitest';
import { post } from '../cluster.js';
import { ok } from '../sdk/sdk-cluster.js';
import { migrationCluster } from './migration-cluster.js';
import { cuttingProxy, describeMove, migrations, servedTablets, waitMigration } from './migration-kit.js';

// Reads and writes at the source wait up to 20 s: longer than the target's pause.
const c = migrationCluster('migryw', { KDI_TS_LEASE_TTL_MS: '3000', KDI_TS_MIGRATION_FREEZE_MS: '20000' });
const PAUSE = { KDI_TS_MIGRATION_PAUSE_MS: '5000' };

const text = (b: Uint8Array | null) => (b === null ? '' : Buffer.from(b).toString('utf8'));

it('a write the target acknowledged before the source handed over is seen by reads sent to the source: they wait, then go to the target', async () => {
  const source = await c.start('rs1');
  const target = await c.start('rd1', { KDI_TS_MIGRATION_PAUSE_AT: 'target-committed', ...PAUSE });
  ok(await c.master.assign(source, 'ry', 'ry0'));
  const cells = Array.from({ length: 50 }, (_, i) => ({ row: `r${String(i).padStart(3, '0')}`, column: 'f:q', timestamp: 1, value: `v${i}` }));
  ok(await post(`${source.url}/v1/tables/ry/apply`, { cells }), 200);
  // A client that located the tablet at the source before the move (its cache says so afterwards too).
  const stale = await connect({ servers: [c.metaServer.url], timeoutMs: 30_000 });
  try {
    expect((await stale.table('ry').get('r001')).map((x) => text(x.value))).toEqual(['v1']);

    const move = await c.master.migrate(source, target, 'ry0', 'ryw');
    ok(move, 202);
    // The window: META names the target (it serves and takes writes) while the source still serves.
    const inWindow = async () => (await c.master.config('ry'))?.location?.serverId === target.serverId && (await servedTablets(source)).some((t) => t.tabletId === 'ry0');
    const deadline = Date.now() + 30_000;
    while ((await c.master.config('ry'))?.location?.serverId !== target.serverId && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await inWindow(), 'META names the target while the source still serves').toBe(true);

    ok(await post(`${target.url}/v1/tables/ry/apply`, { cells: [{ row: 'ryw', column: 'f:q', timestamp: 1, value: 'acknowledged by the target' }] }), 200);
    const scan = post(`${source.url}/v1/tables/ry/scan`, { predicate: 'row = "ryw"' });
    const stat = post(`${source.url}/v1/tables/ry/stat`, { predicate: 'row = "ryw"' });
    const read = stale.table('ry').get('ryw');
    // Still the window after the reads went out: the source had not handed over when it got them.
    expect(await inWindow(), 'the reads reached the source inside the window').toBe(true);

    const [scanned, statted, got] = await Promise.all([scan, stat, read]);
    expect(scanned.status, JSON.stringify(scanned.body)).toBe(421);
    expect(scanned.body.error).toMatchObject({ code: 'WRONG_TABLET', details: { locationHint: { serverId: target.serverId } } });
    expect(statted.status, JSON.stringify(statted.body)).toBe(421);
    expect(statted.body.error).toMatchObject({ code: 'WRONG_TABLET', details: { locationHint: { serverId: target.serverId } } });
    expect(got.map((x) => text(x.value))).toEqual(['acknowledged by the target']);

    const status = await waitMigration(source, 'ryw');
    console.log(`read-your-writes: ${describeMove(status)}`);
    expect(status.outcome).toBe('committed');
    expect((await servedTablets(source)).filter((t) => t.table === 'ry')).toEqual([]);
  } finally {
    await stale.close();
  }
}, 120_000);

it('reads sent to the source while its commit is unsettled wait, and go on at the source once the fence decided it did not land', async () => {
  const source = await c.start('rs2');
  // The target waits before its META write; the source is cut off from it and fences.
  const target = await c.start('rd2', { KDI_TS_MIGRATION_PAUSE_AT: 'target-commit', ...PAUSE });
  ok(await c.master.assign(source, 'rf', 'rf0'));
  ok(await post(`${source.url}/v1/tables/rf/apply`, { cells: [{ row: 'here', column: 'f:q', timestamp: 1, value: 'at the source' }] }), 200);
  const proxy = await cuttingProxy(target.url);
  try {
    ok(await c.master.migrate(source, { ...target, url: proxy.url }, 'rf0', 'ryw-fence'), 202);
    const deadline = Date.now() + 30_000;
    const step = async () => (await migrations(target)).find((m) => m.migrationId === 'ryw-fence')?.step;
    while ((await step()) !== 'commit' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const scanned = await post(`${source.url}/v1/tables/rf/scan`, { predicate: 'row = "here"' });
    const status = await waitMigration(source, 'ryw-fence');
    console.log(`fenced commit, reads at the source: ${describeMove(status)}`);
    expect(status.outcome).toBe('aborted');
    expect(scanned.status, JSON.stringify(scanned.body)).toBe(200);
    expect(scanned.body.cells.map((x: { value: string }) => x.value)).toEqual(['at the source']);
    expect((await c.master.config('rf'))?.location?.serverId).toBe(source.serverId);
  } finally {
    proxy.server.close();
  }
}, 120_000);
