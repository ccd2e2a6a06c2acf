// Merging adjacent tablets (DESIGN §9, issue 10) end to end with real
// processes: tablet servers on a real lock server, META in /kdi/root and
// its rows, and a FakeMaster doing the master's part (assign, then ask
// for the merge with its sequencer).
//
//  - split, write to both halves, erase cells of one half and compact it
//    alone (the half that was not compacted still lists the parent's
//    fragment, which holds the erased cells), merge back: every
//    acknowledged cell reads back, no erased one; META holds one row with
//    the union range naming this server; writes to both former halves go
//    on;
//  - the server restarted after the merge serves the merged tablet again
//    (adopted from its engine, its log replayed);
//  - the server killed after the merge with data only in its log: another
//    server loads the merged row from META (its fragment lists and the
//    dead server's log) and has everything;
//  - a crash after META took the merge, before the engine made it: the
//    restarted server loads the merged row from its own files and log;
//  - bad requests are 4xx naming what is wrong.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningLockServer, startEmbeddedLockServer } from '@kdi/client-sdk/test-support';
import { CLUSTER_SECRET, FakeMaster, kill9, post, scanTable, type ServerProc, startServerProcess } from './cluster.js';

let lock: RunningLockServer;
beforeAll(async () => {
  lock = await startEmbeddedLockServer({ limits: { minTtlMs: 1000, lockDelayMs: 200 } });
});
afterAll(async () => lock.close());

const procs: ServerProc[] = [];
const dirs: string[] = [];
const masters: FakeMaster[] = [];
afterEach(async () => {
  for (const m of masters.splice(0)) await m.stop();
  for (const p of procs.splice(0)) await kill9(p);
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  await new FakeMaster(lock.url).lock.deleteFile('/kdi/root').catch(() => undefined);
});

async function dataDir(serverId: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), `kdi-merge-${serverId}-`));
  dirs.push(d);
  return d;
}

async function start(serverId: string, dir?: string): Promise<ServerProc> {
  const p = await startServerProcess({ serverId, dataDir: dir ?? (await dataDir(serverId)), lockUrl: lock.url });
  procs.push(p);
  return p;
}

async function becomeMaster(): Promise<FakeMaster> {
  const m = await new FakeMaster(lock.url).start();
  masters.push(m);
  return m;
}

function ok(r: { status: number; body: any }, status = 201): void {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
}

/** Applies cells to `table` at `url` and records them (erasures remove) in `acked`. */
async function apply(url: string, table: string, acked: Map<string, string>, cells: { row: string; value?: string }[]): Promise<void> {
  const body = cells.map((c) => ({ row: c.row, column: 'f:q', timestamp: 1, ...(c.value === undefined ? { erase: true } : { value: c.value }) }));
  ok(await post(`${url}/v1/tables/${table}/apply`, { cells: body }), 200);
  for (const c of cells) {
    if (c.value === undefined) acked.delete(`${c.row}|f:q`);
    else acked.set(`${c.row}|f:q`, c.value);
  }
}

const rowsOf = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag}-${String(i).padStart(4, '0')}`);

function expectExactly(got: Map<string, string>, want: Map<string, string>): void {
  for (const [k, v] of want) expect(got.get(k), `acknowledged ${k} missing`).toBe(v);
  for (const k of got.keys()) expect(want.has(k), `${k} was erased or never written`).toBe(true);
}

/**
 * META on `m`, table t on `b` as t-1; writes, serializes, splits at k-0050
 * into lo/hi, erases rows of lo and compacts lo alone (hi still lists the
 * parent's fragment holding them), writes to both halves; returns what
 * was acknowledged.
 */
async function splitAndDiverge(master: FakeMaster, m: ServerProc, b: ServerProc): Promise<Map<string, string>> {
  ok(await master.assignMeta(m));
  ok(await master.assign(b, 't', 't-1'));
  const acked = new Map<string, string>();
  await apply(
    b.url,
    't',
    acked,
    rowsOf('k', 100).map((row) => ({ row, value: `${row}:1` })),
  );
  ok(await post(`${b.url}/v1/admin/serialize`, {}, true), 200);
  ok(await master.admin('POST', `${b.url}/v1/admin/tablets/t-1/split`, { row: 'k-0050', lowTabletId: 'lo', highTabletId: 'hi' }), 200);
  await apply(b.url, 't', acked, [{ row: 'k-0003' }, { row: 'k-0010' }, { row: 'k-0049' }]);
  ok(await post(`${b.url}/v1/admin/serialize`, {}, true), 200);
  ok(await post(`${b.url}/v1/admin/tablets/lo/compact`, { full: true }, true), 200);
  await apply(b.url, 't', acked, [
    { row: 'a-early', value: 'lo' },
    { row: 'z-late', value: 'hi' },
    { row: 'k-0060', value: 'k-0060:2' },
  ]);
  expectExactly(await scanTable(b.url, 't'), acked);
  return acked;
}

describe('merging adjacent tablets across processes', () => {
  it('split, erase and compact one half, merge back: every cell reads back, none erased; META holds one row; a restarted server serves the merged tablet', async () => {
    const master = await becomeMaster();
    const m = await start('ts-meta');
    const bDir = await dataDir('ts-b');
    let b = await start('ts-b', bDir);
    const acked = await splitAndDiverge(master, m, b);
    const hiEpoch = (await master.config('t'))!.location!.epoch;

    const merged = await master.admin('POST', `${b.url}/v1/admin/tablets/lo/merge`, { with: 'hi', mergedTabletId: 't-2' });
    ok(merged, 200);
    expect(merged.body).toMatchObject({ low: 'lo', high: 'hi', merged: { tabletId: 't-2', table: 't', state: 'serving' } });
    expect(merged.body.merged.lowerExclusive).toBeUndefined();
    expect(merged.body.merged.upperInclusive).toBeUndefined();
    expectExactly(await scanTable(b.url, 't'), acked);

    // META: one row, the union range, naming b with the upper tablet's epoch, b's log, fragments.
    const rows = await (await master.meta()).listTablets('t');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ lowerExclusive: undefined, upperInclusive: undefined, state: 'serving', location: { serverId: 'ts-b', epoch: hiEpoch } });
    expect(rows[0]!.logs).toHaveLength(1);
    expect(Object.values(rows[0]!.fragments).flat().length).toBeGreaterThan(0);
    expect(await master.config('t', 'k-0050')).toBeUndefined();

    // Writes to both former halves go on; the status shows one tablet.
    await apply(b.url, 't', acked, [{ row: 'k-0001', value: 'after' }, { row: 'k-0099', value: 'after' }, { row: 'k-0050' }]);
    const status = await fetch(`${b.url}/v1/admin/status`, { headers: { authorization: `Bearer ${CLUSTER_SECRET}` } });
    expect(((await status.json()) as { tablets: { tabletId: string }[] }).tablets.map((t) => t.tabletId)).toEqual(['t-2']);
    expectExactly(await scanTable(b.url, 't'), acked);

    // A restart: the engine kept the merged tablet (dormant); the master assigns the merged row again and b adopts it.
    await kill9(b);
    b = await start('ts-b', bDir);
    ok(await master.assign(b, 't', 't-again'));
    expectExactly(await scanTable(b.url, 't'), acked);
    expect((await master.config('t'))?.location?.serverId).toBe('ts-b');
  });

  it('after the merge, another server loads the merged row from META and the dead server’s log, with every cell', async () => {
    const master = await becomeMaster();
    const m = await start('ts-meta');
    const b = await start('ts-b');
    const acked = await splitAndDiverge(master, m, b);
    ok(await master.admin('POST', `${b.url}/v1/admin/tablets/hi/merge`, { with: 'lo' }), 200); // either side may ask
    // Only in b's log: written after the merge, never serialized.
    await apply(b.url, 't', acked, [{ row: 'k-0020', value: 'log-only' }, { row: 'k-0070' }, { row: 'zz', value: 'log-only' }]);
    await kill9(b);
    ok(await master.assign(m, 't', 't-m'));
    expectExactly(await scanTable(m.url, 't'), acked);
  });

  it('a crash after META took the merge but before the engine made it: the restarted server loads the merged row from its own files and log', async () => {
    const master = await becomeMaster();
    const m = await start('ts-meta');
    const bDir = await dataDir('ts-b');
    let b = await start('ts-b', bDir);
    ok(await master.assignMeta(m));
    ok(await master.assign(b, 't', 't-1'));
    const acked = new Map<string, string>();
    await apply(
      b.url,
      't',
      acked,
      rowsOf('k', 60).map((row) => ({ row, value: `${row}:1` })),
    );
    ok(await post(`${b.url}/v1/admin/serialize`, {}, true), 200);
    ok(await master.admin('POST', `${b.url}/v1/admin/tablets/t-1/split`, { row: 'k-0030', lowTabletId: 'lo', highTabletId: 'hi' }), 200);
    await apply(b.url, 't', acked, [
      { row: 'k-0001', value: 'disk' },
      { row: 'k-0059', value: 'disk' },
    ]);
    ok(await post(`${b.url}/v1/admin/serialize`, {}, true), 200);
    // b's merge compacts both halves first (prepareMerge: no file shared since the split), then writes META.
    for (const id of ['lo', 'hi']) ok(await post(`${b.url}/v1/admin/tablets/${id}/compact`, { full: true }, true), 200);
    const meta = await master.meta();
    // Until the publisher wrote the compacted lists, META may still name the parent's fragment for a half.
    const published = async () => {
      const rows = await meta.listTablets('t');
      return rows.length === 2 && rows.every((c) => Object.values(c.fragments).flat().length === 1) ? rows : undefined;
    };
    for (let i = 0; i < 100 && (await published()) === undefined; i++) await new Promise((r) => setTimeout(r, 100));
    // What b's merge writes (tablets/tablet-merge.ts), written here by hand, and then b dies before its engine merges.
    await apply(b.url, 't', acked, [
      { row: 'k-0002', value: 'log-only' },
      { row: 'k-0058', value: 'log-only' },
    ]);
    const [low, high] = (await published())!;
    const lists: Record<string, string[]> = {};
    for (const c of [low!, high!]) for (const [g, l] of Object.entries(c.fragments)) lists[g] = [...(lists[g] ?? []), ...l];
    const fromSegment = Math.min(low!.logs[0]!.fromSegment, high!.logs[0]!.fromSegment);
    await meta.writeTablets([
      { config: low!, expect: { serverId: 'ts-b', epoch: low!.location!.epoch }, erase: true },
      {
        config: { ...high!, lowerExclusive: undefined, fragments: lists, logs: [{ dir: high!.logs[0]!.dir, fromSegment }] },
        expect: { serverId: 'ts-b', epoch: high!.location!.epoch },
      },
    ]);
    await kill9(b);
    b = await start('ts-b', bDir);
    ok(await master.assign(b, 't', 'merged'));
    expectExactly(await scanTable(b.url, 't'), acked);
    // The two tablets the engine kept are gone from it; one tablet serves the whole table.
    const status = await fetch(`${b.url}/v1/admin/status`, { headers: { authorization: `Bearer ${CLUSTER_SECRET}` } });
    const body = (await status.json()) as { tablets: { tabletId: string }[]; dormantTablets: unknown[] };
    expect(body.tablets.map((t) => t.tabletId)).toEqual(['merged']);
    expect(body.dormantTablets).toEqual([]);
  });

  it('refuses bad merges with a 4xx naming what is wrong, and changes nothing', async () => {
    const master = await becomeMaster();
    const m = await start('ts-meta');
    const b = await start('ts-b');
    ok(await master.assignMeta(m));
    ok(await master.assign(b, 't', 't-1'));
    ok(await master.assign(b, 'u', 'u-1'));
    ok(await master.admin('POST', `${b.url}/v1/admin/tablets/t-1/split`, { row: 'g', lowTabletId: 'a', highTabletId: 'bc' }), 200);
    ok(await master.admin('POST', `${b.url}/v1/admin/tablets/bc/split`, { row: 'p', lowTabletId: 'b', highTabletId: 'c' }), 200);
    const merge = (id: string, body: unknown, at = b) => master.admin('POST', `${at.url}/v1/admin/tablets/${id}/merge`, body);
    const refused = async (r: { status: number; body: any }, status: number, code: string, message: RegExp) => {
      expect(r.status, JSON.stringify(r.body)).toBe(status);
      expect(r.body.error.code).toBe(code);
      expect(r.body.error.message).toMatch(message);
    };
    await refused(await merge('a', { with: 'c' }), 400, 'FAILED_PRECONDITION', /not adjacent/);
    await refused(await merge('a', { with: 'u-1' }), 400, 'INVALID_ARGUMENT', /different tables/);
    await refused(await merge('a', { with: 'a' }), 400, 'INVALID_ARGUMENT', /another tablet/);
    await refused(await merge('a', { with: 'nope' }), 404, 'NOT_FOUND', /tablet nope is not on this server/);
    await refused(await merge('nope', { with: 'a' }), 404, 'NOT_FOUND', /tablet nope is not on this server/);
    await refused(await merge('meta', { with: 'a' }, m), 400, 'FAILED_PRECONDITION', /META is one tablet and is never merged/);
    await refused(await merge('a', { with: 'b', mergedTabletId: 'c' }), 409, 'ALREADY_EXISTS', /mergedTabletId: tablet c already exists/);
    await refused(await merge('a', {}), 400, 'INVALID_ARGUMENT', /with/);
    await refused(await merge('a', { with: 'b', mergedTabletId: '../x' }), 400, 'INVALID_ARGUMENT', /mergedTabletId/);
    // Without the cluster secret, or without the master's sequencer.
    expect((await post(`${b.url}/v1/admin/tablets/a/merge`, { with: 'b' })).status).toBe(401);
    const noSequencer = await post(`${b.url}/v1/admin/tablets/a/merge`, { with: 'b' }, true);
    await refused(noSequencer, 400, 'FAILED_PRECONDITION', /sequencer/);

    expect((await (await master.meta()).listTablets('t')).map((c) => c.location?.serverId)).toEqual(['ts-b', 'ts-b', 'ts-b']);
    const ok2 = await merge('b', { with: 'a', mergedTabletId: 'ab' });
    ok(ok2, 200);
    expect(ok2.body).toMatchObject({ low: 'a', high: 'b', merged: { tabletId: 'ab', upperInclusive: 'p' } });
    expect(
      (await (await master.meta()).listTablets('t')).map((c) => [
        c.lowerExclusive && Buffer.from(c.lowerExclusive).toString(),
        c.upperInclusive && Buffer.from(c.upperInclusive).toString(),
      ]),
    ).toEqual([
      [undefined, 'p'],
      ['p', undefined],
    ]);
  });
});
