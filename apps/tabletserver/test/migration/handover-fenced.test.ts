// A migration's source whose own publisher fenced the moving tablet just
// before the hand-over (the race behind the acknowledged writes lost in
// apps/master/test/migration-load.test.ts): the target's commit put its
// location in META; the source's publisher, writing the tablet's config
// (conditioned on the source), was refused and fenced the tablet — out of
// the map, but still in the engine, dormant and frozen. Writes waiting on
// the freeze must not be applied there and acknowledged: the target has
// the tablet now, and nothing would ever copy them over.
//
// In-process and deterministic: two TabletServers on real files sharing a
// META served by a third (as meta-recovery.test.ts), the "target's commit"
// written to META by hand, the freeze taken through the engine as the
// source's driver does (migration-source.ts).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LockClient } from '@kdi/client-sdk';
import { Engine, lz4Codec, NodeFileSystem } from '@kdi/storage';
import type { TabletConfig } from '@kdi/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { MetaSync } from '../../src/meta/meta-sync.js';
import { LocalMetaTable } from '../../src/meta/local-meta-rows.js';
import { TabletServer } from '../../src/tablets/tablet-server.js';
import { withLocationHint } from '../../src/http/location-hint.js';

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
  const d = await mkdtemp(join(tmpdir(), `kdi-handover-${name}-`));
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

async function source(meta: LocalMetaTable) {
  let sync: MetaSync | undefined;
  const engine = await Engine.open({
    fs: new NodeFileSystem(),
    dir: await tempDir('S'),
    codec: lz4Codec,
    publication: true,
    autoCompact: false,
    onManifestSaved: () => sync?.schedule(),
  });
  sync = new MetaSync({ serverId: 'S', url: 'http://S', logDir: engine.logDirectory, meta, lockClient: {} as LockClient, logger: silent, retryIntervalMs: 3_600_000 });
  const server = new TabletServer(engine, { serverId: 'S', ...common, meta: sync });
  servers.push(server);
  // The master's assignment: location S, then the load.
  const { txn } = await meta.readTablet('t', undefined);
  const base: TabletConfig = { table: 't', lowerExclusive: undefined, upperInclusive: undefined, location: undefined, logs: [], fragments: {}, state: undefined };
  await meta.writeTablet({ ...base, location: { serverId: 'S', url: 'http://S', epoch: 7 }, state: 'loading' }, undefined, txn);
  await server.loadFromMeta({ table: 't', tabletId: 't1', upperInclusive: undefined, epoch: 7 });
  await server.apply('t', [{ row: b('a'), column: b('f:q'), timestamp: 1, value: b('before') }], { waitForSync: true });
  return { engine, sync, server };
}

/** What the target's commit does to META: location = D with the new epoch (conditioned on S/7). */
async function targetCommitted(meta: LocalMetaTable): Promise<void> {
  const { config, txn } = await meta.readTablet('t', undefined);
  await meta.writeTablet({ ...config!, location: { serverId: 'D', url: 'http://D', epoch: 8 }, state: 'serving' }, { serverId: 'S', epoch: 7 }, txn);
}

/** The source's publisher writes the tablet's config (after a serialization) and is refused: META names D. */
async function publisherFences(s: Awaited<ReturnType<typeof source>>): Promise<void> {
  await s.server.serialize();
  await s.sync.settled();
  expect(s.server.map.get('t1')).toBeUndefined(); // fenced: out of the map…
  expect(s.engine.tabletIds()).toContain('t1'); // …and dormant in the engine
}

describe('a moving tablet fenced at its source by its own publisher', () => {
  it('the hand-over after the commit drops it from the engine: writes waiting on the freeze are refused, not acknowledged', async () => {
    const meta = await metaServer();
    const s = await source(meta);
    const freeze = await s.engine.freezeWrites('t1', 60_000);
    // Admitted by the map (serving), then held by the engine's freeze.
    const waiting = s.server.apply('t', [{ row: b('w'), column: b('f:q'), timestamp: 1, value: b('during') }], { waitForSync: true });
    const outcome = waiting.then(
      () => 'acknowledged',
      (e: { code?: string }) => e.code,
    );
    await targetCommitted(meta);
    await publisherFences(s);
    // The source's driver after the target's 200: hand over, then (finally) thaw.
    await s.server.handOver('t1', { serverId: 'D', url: 'http://D', epoch: 8 });
    freeze.thaw();
    expect(await outcome).toBe('WRONG_TABLET');
    expect(s.engine.tabletIds()).not.toContain('t1');
  });

  it('the writes released by a hand-over get WRONG_TABLET with the target the commit named as the hint, without a META read', async () => {
    const meta = await metaServer();
    const s = await source(meta);
    const freeze = await s.engine.freezeWrites('t1', 60_000);
    const waiting = s.server.apply('t', [{ row: b('w'), column: b('f:q'), timestamp: 1, value: b('during') }], { waitForSync: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    await targetCommitted(meta); // META: http://D
    // The commit's answer named the target by another URL: a hint with it was not read from META.
    await s.server.handOver('t1', { serverId: 'D', url: 'http://D-as-committed', epoch: 8 });
    freeze.thaw();
    const refused = await waiting;
    expect((refused as { code?: string }).code).toBe('WRONG_TABLET');
    const hinted = (await withLocationHint(refused, s.server)) as { details: Record<string, unknown> };
    expect(hinted.details['locationHint']).toEqual({ serverId: 'D', url: 'http://D-as-committed', epoch: 8, state: 'serving' });
    // Rows of other tables are not answered from it.
    expect(s.server.handedOverLocation('u', b('w'))).toBeUndefined();
  });

  it('a commit’s META write against an earlier read: applied when the row did not change, ABORTED when it did, refused for another location', async () => {
    const meta = await metaServer();
    const base: TabletConfig = { table: 't', lowerExclusive: undefined, upperInclusive: undefined, location: undefined, logs: [], fragments: {}, state: undefined };
    const first = await meta.readTablet('t', undefined);
    await meta.writeTablet({ ...base, location: { serverId: 'S', url: 'http://S', epoch: 7 }, state: 'migrating' }, undefined, first.txn);
    const read = await meta.readTablet('t', undefined);
    const moved = { ...base, location: { serverId: 'D', url: 'http://D', epoch: 8 }, state: 'serving' as const };
    // Another location than the read's: refused without a write.
    await expect(meta.writeTabletAfterRead(moved, { serverId: 'S', epoch: 6, state: 'migrating' }, read)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    // The row changes after the read (the source fences: `serving`): the write against the old read is ABORTED.
    const now = await meta.readTablet('t', undefined);
    await meta.writeTablet({ ...now.config!, state: 'serving' }, { serverId: 'S', epoch: 7 }, now.txn);
    await expect(meta.writeTabletAfterRead(moved, { serverId: 'S', epoch: 7, state: 'migrating' }, read)).rejects.toMatchObject({ code: 'ABORTED' });
    expect((await meta.readTablet('t', undefined)).config?.location?.serverId).toBe('S');
    // Unchanged since the read: written.
    const fresh = await meta.readTablet('t', undefined);
    await meta.writeTablet({ ...fresh.config!, state: 'migrating' }, { serverId: 'S', epoch: 7 }, fresh.txn);
    const last = await meta.readTablet('t', undefined);
    await meta.writeTabletAfterRead(moved, { serverId: 'S', epoch: 7, state: 'migrating' }, last);
    expect((await meta.readTablet('t', undefined)).config?.location).toEqual({ serverId: 'D', url: 'http://D', epoch: 8 });
  });

  it('a fenced tablet whose freeze ends without a hand-over acknowledges none of the writes that waited', async () => {
    const meta = await metaServer();
    const s = await source(meta);
    const freeze = await s.engine.freezeWrites('t1', 60_000);
    const waiting = s.server.apply('t', [{ row: b('w'), column: b('f:q'), timestamp: 1, value: b('during') }], { waitForSync: true });
    const outcome = waiting.then(
      () => 'acknowledged',
      (e: { code?: string }) => e.code,
    );
    await targetCommitted(meta);
    await publisherFences(s);
    // E.g. the move aborted while the master had given the tablet elsewhere: the engine's copy takes the write, dormant.
    freeze.thaw();
    expect(await outcome).toBe('UNAVAILABLE');
  });
});
