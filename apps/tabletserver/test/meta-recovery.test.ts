// META recovery paths that need a crash at one exact point, in-process:
// several TabletServers (each with its own engine on real files) sharing a
// META served by another in-process server, with a hand-driven "master".
// The crash: a split written to META whose engine split never happened
// (the server stopped in between). Then:
//  - the master gives the halves to other servers: the restarted server
//    must keep its log for as long as ANY row of the split still names it
//    (reconciliation reads every row of the dormant tablet's range);
//  - the master gives a half back to the restarted server: it takes over
//    its own dormant copy, split in the engine to match META ("carve"),
//    under the master's tablet id.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LockClient } from '@kdi/client-sdk';
import { Engine, lz4Codec, NodeFileSystem } from '@kdi/storage';
import { KdiError, type TabletConfig } from '@kdi/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { MetaSync } from '../src/meta/meta-sync.js';
import { type MetaTable, type TabletWrite } from '@kdi/client-sdk';
import { LocalMetaTable } from '../src/meta/local-meta-rows.js';
import { TabletServer } from '../src/tablets/tablet-server.js';

const b = (s: string) => Buffer.from(s, 'utf8');
const limits = parseConfig({ serverId: 'x', dataDir: '/x', clusterSecret: 'test-cluster-secret-0123456789' }).limits;
const silent = { info: () => {}, warn: () => {}, error: () => {} };
const common = { limits, backPressureWaitMs: 1000, memoryBudgetBytes: 1 << 26, splitThresholdBytes: 1 << 30, splitCheckIntervalMs: 0, logger: silent };

const dirs: string[] = [];
const servers: TabletServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close().catch(() => undefined);
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempDir(name: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), `kdi-recovery-${name}-`));
  dirs.push(d);
  return d;
}

async function metaServer(): Promise<LocalMetaTable> {
  const engine = await Engine.open({ fs: new NodeFileSystem(), dir: await tempDir('meta'), codec: lz4Codec });
  const server = new TabletServer(engine, { serverId: 'M', ...common });
  servers.push(server);
  await server.loadTablet({ table: 'META', tabletId: 'meta' });
  return new LocalMetaTable(server);
}

interface Node {
  readonly id: string;
  readonly dir: string;
  readonly engine: Engine;
  readonly sync: MetaSync;
  readonly server: TabletServer;
}

let ids = 0;
async function node(id: string, meta: MetaTable, dir?: string): Promise<Node> {
  dir ??= await tempDir(id);
  let sync: MetaSync | undefined;
  const engine = await Engine.open({ fs: new NodeFileSystem(), dir, codec: lz4Codec, publication: true, autoCompact: false, onManifestSaved: () => sync?.schedule() });
  // No lock service needed: nothing here touches META's own root.
  sync = new MetaSync({ serverId: id, url: `http://${id}`, logDir: engine.logDirectory, meta, lockClient: {} as LockClient, logger: silent, retryIntervalMs: 3_600_000 });
  const server = new TabletServer(engine, { serverId: id, ...common, meta: sync, newTabletId: () => `${id}-p${++ids}` });
  servers.push(server);
  return { id, dir, engine, sync, server };
}

let epoch = 100;
/** The master: `location:` with a new epoch, then the load. */
async function assign(meta: LocalMetaTable, n: Node, table: string, tabletId: string, upper?: string) {
  const up = upper === undefined ? undefined : b(upper);
  const { config, txn } = await meta.readTablet(table, up);
  const e = ++epoch;
  const base: TabletConfig = config ?? { table, lowerExclusive: undefined, upperInclusive: up, location: undefined, logs: [], fragments: {}, state: undefined };
  const expect = config?.location && { serverId: config.location.serverId, epoch: config.location.epoch };
  await meta.writeTablet({ ...base, location: { serverId: n.id, url: `http://${n.id}`, epoch: e }, state: 'loading' }, expect, txn);
  return n.server.loadFromMeta({ table, tabletId, upperInclusive: up, epoch: e });
}

async function rowsOf(n: Node, tabletId: string): Promise<string[]> {
  const page = await n.engine.scan(tabletId, {}, { maxCells: 1000 });
  return page.cells.map((c) => `${Buffer.from(c.row)}=${Buffer.from(c.value!)}`);
}

/** S1 serves all of t, acknowledges six rows, writes a split at "m" to META and stops before splitting its engine. */
async function splitCrash(meta: LocalMetaTable): Promise<{ dir: string }> {
  const s1 = await node('S1', meta);
  await assign(meta, s1, 't', 't1');
  await s1.server.apply(
    't',
    ['b', 'c', 'd', 'p', 'q', 'r'].map((r) => ({ row: b(r), column: b('f:q'), timestamp: 1, value: b(`v:${r}`) })),
    { waitForSync: true },
  );
  const entry = s1.server.map.get('t1')!;
  const lists = await s1.engine.beginPublish('t1');
  await s1.sync.writeSplit({ ...entry, epoch: entry.epoch!, logFrom: entry.logFrom! }, b('m'), lists);
  await s1.server.close();
  const rows = await meta.listTablets('t');
  expect(rows.map((r) => [r.lowerExclusive?.toString(), r.upperInclusive?.toString()])).toEqual([
    [undefined, 'm'],
    ['m', undefined],
  ]);
  return { dir: s1.dir };
}

describe('recovery from a split that reached META but not the engine', () => {
  it('the restarted server keeps its log while any row of the split still names it; the halves load elsewhere with every acknowledged row', async () => {
    const meta = await metaServer();
    const { dir } = await splitCrash(meta);
    const s1 = await node('S1', meta, dir);
    expect(s1.engine.tabletIds()).toEqual(['t1']); // dormant, unsplit

    const s2 = await node('S2', meta);
    await assign(meta, s2, 't', 'hi');
    expect(await rowsOf(s2, 'hi')).toEqual(['p=v:p', 'q=v:q', 'r=v:r']);
    // The lower row still names S1's log: S1 must keep its copy and its log.
    await s1.sync.reconcileNow();
    expect(s1.engine.publishedTablets().map((p) => p.id)).toEqual(['t1']);
    s1.sync.schedule();
    await s1.sync.settled();

    const s3 = await node('S3', meta);
    await assign(meta, s3, 't', 'lo', 'm');
    expect(await rowsOf(s3, 'lo')).toEqual(['b=v:b', 'c=v:c', 'd=v:d']);
    // Now no row names S1's log: it lets go.
    await s1.sync.reconcileNow();
    expect(s1.engine.publishedTablets()).toEqual([]);
    expect(s1.engine.tabletIds()).toEqual([]);
  });

  it('a half given back to the restarted server is carved out of its dormant copy, under the master’s id', async () => {
    const meta = await metaServer();
    const { dir } = await splitCrash(meta);
    const s1 = await node('S1', meta, dir);
    const view = await assign(meta, s1, 't', 'lo-new', 'm');
    expect(view.tabletId).toBe('lo-new');
    expect(await rowsOf(s1, 'lo-new')).toEqual(['b=v:b', 'c=v:c', 'd=v:d']);
    const rest = s1.engine.tabletIds().filter((id) => id !== 'lo-new');
    expect(rest).toHaveLength(1);
    expect(s1.engine.tabletRange(rest[0]!).lowerExclusive?.toString()).toBe('m');
    // The other half goes back too — its piece already matches, so it keeps the id it has (the reply says which).
    const hi = await assign(meta, s1, 't', 'hi-new');
    expect(hi.tabletId).toBe(rest[0]);
    expect(await rowsOf(s1, hi.tabletId)).toEqual(['p=v:p', 'q=v:q', 'r=v:r']);
    await s1.server.apply('t', [{ row: b('a'), column: b('f:q'), timestamp: 1, value: b('new') }], { waitForSync: true });
    const lo = await meta.readTablet('t', b('m'));
    expect(lo.config?.location?.serverId).toBe('S1');
    expect(lo.config?.logs.map((l) => l.dir)).toEqual([s1.engine.logDirectory]);
  });

  it('a split whose META write committed but whose answer was lost is finished in the engine, so META and the engine agree', async () => {
    const meta = await metaServer();
    // A META client whose next multi-row write commits, then reports a lost answer.
    let loseNext = false;
    const lossy: MetaTable = Object.assign(Object.create(meta) as MetaTable, {
      writeTablets: async (writes: readonly TabletWrite[]) => {
        const txn = await meta.writeTablets(writes);
        if (loseNext) {
          loseNext = false;
          throw new KdiError('UNAVAILABLE', 'the answer was lost');
        }
        return txn;
      },
    });
    const s1 = await node('S1', lossy);
    await assign(meta, s1, 't', 't1');
    await s1.server.apply(
      't',
      ['b', 'p'].map((r) => ({ row: b(r), column: b('f:q'), timestamp: 1, value: b(`v:${r}`) })),
      { waitForSync: true },
    );
    loseNext = true;
    const split = await s1.server.splitTablet('t1', b('m'), { low: 'lo', high: 'hi' });
    expect([split.low.tabletId, split.high.tabletId]).toEqual(['lo', 'hi']);
    const rows = await meta.listTablets('t');
    expect(rows.map((r) => [r.lowerExclusive?.toString(), r.upperInclusive?.toString(), r.location?.serverId])).toEqual([
      [undefined, 'm', 'S1'],
      ['m', undefined, 'S1'],
    ]);
    // Publication keeps the halves' rows as they are (no parent bounds written back).
    await s1.server.apply('t', [{ row: b('c'), column: b('f:q'), timestamp: 1, value: b('v:c') }], { waitForSync: true });
    await s1.server.serialize();
    await s1.sync.settled();
    const after = await meta.listTablets('t');
    expect(after.map((r) => [r.lowerExclusive?.toString(), r.upperInclusive?.toString()])).toEqual([
      [undefined, 'm'],
      ['m', undefined],
    ]);
    expect(await rowsOf(s1, 'lo')).toEqual(['b=v:b', 'c=v:c']);
  });
});
