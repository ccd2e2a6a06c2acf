// The disk routes (issue 11, docs/disks.md) on a real server with two
// data directories and a real engine on real files: disk-capacity,
// disk-replica, a disk migration followed to COMPLETED (data readable
// after), disk-balance, and every bad request answered 4xx naming the
// problem — unknown and same disk 400, tablet not on the source disk 400,
// unknown tablet 404, a migration already running 409 (held in MOVING by
// the engine's state hook), no cluster secret 401, a tablet id that is not
// one path segment or a disk name past PATH_MAX 400 (not echoed back).

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer } from './harness.js';

describe('disk routes', () => {
  let root: string;
  let d0: string;
  let d1: string;
  let s: TestServer;
  /** Holds t1's migration in MOVING until released. */
  let release: () => void = () => {};
  let holding: Promise<void> | undefined;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'kdi-disk-routes-'));
    d0 = join(root, 'd0');
    d1 = join(root, 'd1');
    await mkdir(d0);
    s = await TestServer.start({
      dataDir: d0,
      config: { extraDataDirs: [d1] },
      engine: {
        disks: [d1],
        onDiskMigrationState: async (tablet, state) => {
          if (tablet === 't1' && state === 'MOVING' && holding !== undefined) await holding;
        },
      },
    });
    await s.load('t', 't1', { upper: 'm' });
    await s.load('t', 't2', { lower: 'm' });
    const cells = Array.from({ length: 200 }, (_, i) => ({ row: `a${String(i).padStart(4, '0')}`, column: 'f:q', timestamp: i + 1, value: `v${i}`.repeat(20) }));
    await s.apply('t', cells);
    await s.apply('t', [{ row: 'z', column: 'f:q', timestamp: 1, value: 'zz' }]);
    expect((await s.call('POST', '/v1/admin/serialize', { body: {} })).status).toBe(200);
  });

  afterAll(async () => {
    release();
    await s?.close();
    await rm(root, { recursive: true, force: true });
  });

  const homeOf = async (tablet: string): Promise<number> => {
    const r = await s.call('GET', '/v1/admin/disks/tablets');
    const disk = (r.body.disks as { index: number; tablets: { tablet: string; home: boolean }[] }[]).find((d) => d.tablets.some((t) => t.tablet === tablet && t.home));
    return disk!.index;
  };

  it('disk-capacity lists both disks with figures, state and tablets; ?disk= picks one', async () => {
    const r = await s.call('GET', '/v1/admin/disks');
    expect(r.status, r.text).toBe(200);
    expect(r.body.serverId).toBe('ts-test');
    expect(r.body.disks.map((d: { disk: string; index: number }) => [d.index, d.disk])).toEqual([
      [0, d0],
      [1, d1],
    ]);
    for (const d of r.body.disks) {
      expect(d.capacityBytes).toBeGreaterThan(0);
      expect(d.usedBytes + d.freeBytes).toBe(d.capacityBytes);
      expect(d.usage).toBeCloseTo(d.usedBytes / d.capacityBytes, 9);
      expect(d.state).toBe('ok');
    }
    const tablets = r.body.disks.reduce((n: number, d: { tablets: number }) => n + d.tablets, 0);
    expect(tablets).toBeGreaterThanOrEqual(2);
    expect(r.body.disks.reduce((n: number, d: { home: number }) => n + d.home, 0)).toBe(2);

    const one = await s.call('GET', '/v1/admin/disks?disk=1');
    expect(one.body.disks.map((d: { disk: string }) => d.disk)).toEqual([d1]);
    const byPath = await s.call('GET', `/v1/admin/disks?disk=${encodeURIComponent(d0)}`);
    expect(byPath.body.disks.map((d: { index: number }) => d.index)).toEqual([0]);
  });

  it('disk-capacity: an unknown disk is 400 naming the field and the disks', async () => {
    for (const bad of ['7', 'd1', '/no/such/disk']) {
      const r = await s.call('GET', `/v1/admin/disks?disk=${encodeURIComponent(bad)}`);
      expect(r.status, bad).toBe(400);
      expect(r.body.error.code).toBe('INVALID_ARGUMENT');
      expect(r.body.error.message).toContain('disk');
      expect(r.body.error.message).toContain(d1);
      expect(r.body.error.details).toMatchObject({ field: 'disk', reason: 'unknown-disk' });
    }
    expect((await s.call('GET', '/v1/admin/disks?other=1')).status).toBe(400);
  });

  it('disk-replica lists each tablet on its disk with its bytes, largest first', async () => {
    const r = await s.call('GET', '/v1/admin/disks/tablets');
    expect(r.status, r.text).toBe(200);
    const all = r.body.disks.flatMap((d: { tablets: { tablet: string; table: string; bytes: number }[] }) => d.tablets);
    const t1 = all.filter((t: { tablet: string }) => t.tablet === 't1');
    expect(t1.length).toBeGreaterThan(0);
    expect(t1.reduce((n: number, t: { bytes: number }) => n + t.bytes, 0)).toBeGreaterThan(1000);
    for (const d of r.body.disks) {
      expect(d.bytes).toBe(d.tablets.reduce((n: number, t: { bytes: number }) => n + t.bytes, 0));
      const sizes = d.tablets.map((t: { bytes: number }) => t.bytes);
      expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    }
    const one = await s.call('GET', '/v1/admin/disks/tablets?disk=0');
    expect(one.body.disks).toHaveLength(1);
    expect((await s.call('GET', '/v1/admin/disks/tablets?disk=2')).status).toBe(400);
  });

  it('refuses bad migrations with 4xx naming the problem', async () => {
    const home = await homeOf('t1');
    const other = 1 - home;
    const post = (body: unknown) => s.call('POST', '/v1/admin/disk-migrations', { body });

    const same = await post({ tablet: 't1', from: String(home), to: String(home) });
    expect(same.status).toBe(400);
    expect(same.body.error.message).toMatch(/same disk/);
    expect(same.body.error.details).toMatchObject({ reason: 'same-disk', field: 'to' });

    const unknownDisk = await post({ tablet: 't1', from: String(home), to: '5' });
    expect(unknownDisk.status).toBe(400);
    expect(unknownDisk.body.error.details).toMatchObject({ field: 'to', reason: 'unknown-disk' });

    const relative = await post({ tablet: 't1', from: 'd0', to: '1' });
    expect(relative.status).toBe(400);
    expect(relative.body.error.details).toMatchObject({ field: 'from' });

    const noTablet = await post({ tablet: 'nope', from: '0', to: '1' });
    expect(noTablet.status).toBe(404);
    expect(noTablet.body.error.code).toBe('NOT_FOUND');
    expect(noTablet.body.error.message).toContain('nope');

    // t1 has no file on the other disk, and its new fragments do not go there.
    const notOnDisk = await post({ tablet: 't1', from: String(other), to: String(home) });
    expect(notOnDisk.status).toBe(400);
    expect(notOnDisk.body.error.details).toMatchObject({ reason: 'not-on-disk', field: 'from' });

    const missing = await post({ tablet: 't1', from: '0' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain('to');

    const extra = await post({ tablet: 't1', from: '0', to: '1', fast: true });
    expect(extra.status).toBe(400);

    // Names are bounded before anything echoes them: a tablet id is one path segment (1-128 of
    // [A-Za-z0-9._-]), a disk at most PATH_MAX. A 2 MB id used to come back twice in a 4 MB 404
    // (and ~20 MB stalled the server past its lease).
    const hugeTablet = await post({ tablet: 'x'.repeat(2_000_000), from: '0', to: '1' });
    expect(hugeTablet.status).toBe(400);
    expect(hugeTablet.body.error.details.fields[0].field).toBe('body.tablet');
    expect(JSON.stringify(hugeTablet.body).length).toBeLessThan(2000);
    const traversal = await post({ tablet: '..', from: '0', to: '1' });
    expect(traversal.status).toBe(400);
    expect(traversal.body.error.message).toContain('body.tablet');
    const hugeDisk = await post({ tablet: 't1', from: '0', to: '/'.concat('a'.repeat(100_000)) });
    expect(hugeDisk.status).toBe(400);
    expect(hugeDisk.body.error.details.fields[0].field).toBe('body.to');
    expect(JSON.stringify(hugeDisk.body).length).toBeLessThan(2000);
    const dotDot = await s.call('GET', '/v1/admin/disk-migrations/..%2F..%2Fetc');
    expect(dotDot.status).toBe(400);
    expect(dotDot.body.error.message).toContain('tablet');

    const noSecret = await s.call('POST', '/v1/admin/disk-migrations', { body: { tablet: 't1', from: '0', to: '1' }, auth: false });
    expect(noSecret.status).toBe(401);

    const never = await s.call('GET', '/v1/admin/disk-migrations/t2');
    expect(never.status).toBe(404);
    expect(never.body.error.message).toContain('t2');
  });

  it('migrates a tablet to the other disk: 202, 409 while it runs, COMPLETED, data still there', async () => {
    const home = await homeOf('t1');
    const other = 1 - home;
    const [fromDir, toDir] = home === 0 ? [d0, d1] : [d1, d0];
    holding = new Promise((r) => (release = r));
    const started = await s.call('POST', '/v1/admin/disk-migrations', { body: { tablet: 't1', from: fromDir, to: String(other) } });
    expect(started.status, started.text).toBe(202);
    expect(started.body).toMatchObject({ tablet: 't1', table: 't', from: fromDir, to: toDir, state: 'MOVING' });
    expect(started.body.endedAtMs).toBeUndefined();

    // Held in MOVING: a second one is 409, and the status is queryable.
    const again = await s.call('POST', '/v1/admin/disk-migrations', { body: { tablet: 't1', from: String(home), to: String(other) } });
    expect(again.status, again.text).toBe(409);
    expect(again.body.error.code).toBe('ALREADY_EXISTS');
    expect(again.body.error.details).toMatchObject({ reason: 'already-migrating' });
    expect(again.body.error.message).toContain('already migrating');
    const during = await s.call('GET', '/v1/admin/disk-migrations/t1');
    expect(during.status).toBe(200);
    expect(during.body.endedAtMs).toBeUndefined();
    // Reads and writes are served meanwhile.
    await s.apply('t', [{ row: 'b', column: 'f:q', timestamp: 5, value: 'during' }]);
    expect((await s.scanAll('t', "row = 'b'")).cells).toHaveLength(1);

    release();
    holding = undefined;
    let status = during.body;
    for (let i = 0; i < 200 && status.endedAtMs === undefined; i++) {
      await new Promise((r) => setTimeout(r, 25));
      status = (await s.call('GET', '/v1/admin/disk-migrations/t1')).body;
    }
    expect(status).toMatchObject({ tablet: 't1', state: 'COMPLETED' });
    expect(status.error).toBeUndefined();
    expect(status.bytesCopied).toBe(status.bytes);
    expect(status.bytes).toBeGreaterThan(0);

    const list = await s.call('GET', '/v1/admin/disk-migrations');
    expect(list.body.migrations.map((m: { tablet: string; state: string }) => [m.tablet, m.state])).toEqual([['t1', 'COMPLETED']]);
    expect(await homeOf('t1')).toBe(other);
    const replica = await s.call('GET', `/v1/admin/disks/tablets?disk=${other}`);
    expect(replica.body.disks[0].tablets.find((t: { tablet: string }) => t.tablet === 't1').bytes).toBeGreaterThan(1000);
    expect((await s.scanAll('t', "row < 'm'")).cells).toHaveLength(201);
  });

  it('disk-balance: a dry run plans over both disks and starts nothing; bad options are 400', async () => {
    const r = await s.call('POST', '/v1/admin/disk-balance', { body: { dryRun: true } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.dryRun).toBe(true);
    expect(r.body.disks.map((d: { disk: string }) => d.disk)).toEqual([d0, d1]);
    expect(r.body.options).toMatchObject({ usageFloor: 0.5, skewThreshold: 0.1, minTabletBytes: 64 * 1024 * 1024 });
    expect(r.body.plan.notes.length).toBeGreaterThan(0);
    expect(r.body.started).toBeUndefined();

    // Both directories are on one filesystem: the same usage, so nothing to do even with no floor.
    const run = await s.call('POST', '/v1/admin/disk-balance', { body: { usageFloor: 0, skewThreshold: 0, minTabletBytes: 0 } });
    expect(run.status, run.text).toBe(200);
    expect(run.body.plan).toMatchObject({ moves: [], balanced: true });
    expect(run.body.plan.notes[0]).toMatch(/skew/);
    expect(run.body.started).toBeUndefined();

    const empty = await s.call('POST', '/v1/admin/disk-balance');
    expect(empty.status, empty.text).toBe(200);
    expect(empty.body.dryRun).toBe(false);

    for (const body of [{ usageFloor: 2 }, { skewThreshold: -1 }, { minTabletBytes: 1.5 }, { dryRun: 'yes' }, { other: 1 }]) {
      const bad = await s.call('POST', '/v1/admin/disk-balance', { body });
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.body.error.code).toBe('INVALID_ARGUMENT');
    }
  });

  it('reports each disk’s state in /v1/admin/status and the metrics', async () => {
    const st = await s.call('GET', '/v1/admin/status');
    expect(st.body.disks.map((d: { path: string; state: string }) => [d.path, d.state])).toEqual([
      [d0, 'ok'],
      [d1, 'ok'],
    ]);
    const m = await s.call('GET', '/metrics');
    expect(m.text).toContain(`tabletserver_disk_state{dir="${d1}",state="ok"} 1`);
    expect(m.text).toContain(`tabletserver_disk_state{dir="${d1}",state="full"} 0`);
  });
});
