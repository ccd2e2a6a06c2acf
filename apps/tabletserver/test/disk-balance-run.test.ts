// disk-balance that starts a move (issue 11): a real server with two data
// directories and a real engine; only the filesystem figures the planner
// sees are chosen (DiskUsage's statfs option: the tablet's home disk 80%
// full, the other 20%), since both directories share one filesystem here.
// The plan moves the tablet to the emptier disk, the move is started and
// ends COMPLETED with the data readable; planning again while it runs
// counts it as running and plans nothing for that tablet.

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerDisks } from '../src/disks/server-disks.js';
import { DiskUsage } from '../src/stats/disk-usage.js';
import { TestServer } from './harness.js';

const GIB = 1024 ** 3;

describe('disk-balance starts the first move', () => {
  let root: string;
  let s: TestServer;
  let release: () => void = () => {};
  let holding: Promise<void> | undefined;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'kdi-disk-balance-run-'));
    await mkdir(join(root, 'd0'));
    s = await TestServer.start({
      dataDir: join(root, 'd0'),
      config: { extraDataDirs: [join(root, 'd1')] },
      engine: {
        onDiskMigrationState: async (_tablet, state) => {
          if (state === 'MOVING' && holding !== undefined) await holding;
        },
      },
    });
    await s.load('t', 't1');
    await s.apply(
      't',
      Array.from({ length: 100 }, (_, i) => ({ row: `r${String(i).padStart(3, '0')}`, column: 'f:q', timestamp: i + 1, value: `value ${i}` })),
    );
    expect((await s.call('POST', '/v1/admin/serialize', { body: {} })).status).toBe(200);
  });

  afterAll(async () => {
    release();
    await s?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('plans the tablet off the fuller disk, starts it, and it completes', async () => {
    const engine = s.server.engine;
    const home = engine.tabletHomeDisk('t1');
    const other = engine.disks.find((d) => d !== home)!;
    // The home disk 80% full, the other 20%: mean 50%, skew 60 points.
    const usage = new DiskUsage([...engine.disks], {
      statfs: async (dir) => ({ bsize: 1, blocks: 10 * GIB, bavail: dir === home ? 2 * GIB : 8 * GIB }),
    });
    const disks = new ServerDisks(s.server, usage, 0.9);

    holding = new Promise((r) => (release = r));
    const r = await disks.balance({ dryRun: false, minTabletBytes: 0 });
    expect(r.plan.moves.length).toBeGreaterThan(0);
    const first = r.plan.moves[0]!;
    expect(first).toMatchObject({ tabletId: 't1', from: home, to: other });
    expect(first.fromBefore.usage).toBeCloseTo(0.8, 5);
    expect(first.toBefore.usage).toBeCloseTo(0.2, 5);
    expect(first.explanation).toContain('t1');
    expect(r.started).toMatchObject({ tablet: 't1', from: home, to: other, state: 'MOVING' });
    expect(r.error).toBeUndefined();

    // While it runs: counted as running, nothing planned for t1 again, nothing started.
    const again = await disks.balance({ dryRun: false, minTabletBytes: 0 });
    expect(again.plan.running).toBe(1);
    expect(again.plan.moves.some((m) => m.tabletId === 't1')).toBe(false);
    expect(again.started).toBeUndefined();

    release();
    holding = undefined;
    const ended = await engine.awaitDiskMigration('t1');
    expect(ended).toMatchObject({ tablet: 't1', state: 'COMPLETED' });
    expect(engine.tabletHomeDisk('t1')).toBe(other);
    expect((await s.scanAll('t')).cells).toHaveLength(100);

    // A dry run with the same figures plans (the figures are fixed) but starts nothing.
    const dry = await disks.balance({ dryRun: true, minTabletBytes: 0 });
    expect(dry.dryRun).toBe(true);
    expect(dry.started).toBeUndefined();
  });
});
