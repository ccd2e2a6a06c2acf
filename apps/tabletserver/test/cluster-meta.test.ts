// META end to end (DESIGN §7, issue 4) with real processes: tablet servers
// on a real lock server, META's config in /kdi/root, tablet configs in
// META, and a FakeMaster doing the master's part (assign = write
// `location:` with a new epoch, then ask the server to load).
//
//  - a server that dies with data only in its log: another server loads
//    META from the root (replaying the dead server's log), then the user
//    tablet from META (replaying it again, filtered to the range): every
//    acknowledged cell, nothing invented;
//  - META served by one server, a table by another: the table's server
//    writes its configs to the remote META as it serializes and compacts;
//    after it dies, the META server loads the table from those configs and
//    the dead server's log;
//  - fencing and the admin rules: a load with a stale epoch, a load without
//    an epoch in a cluster, assignment calls from a master that is no
//    longer master, META writes without the cluster secret;
//  - WRONG_TABLET names where META says the row is served;
//  - a clean unload writes the config without `log:`, and a split writes
//    both halves' rows.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningLockServer, startEmbeddedLockServer } from '@kdi/client-sdk/test-support';
import { META_TABLE } from '@kdi/protocol';
import { readRoot } from '@kdi/client-sdk';
import { FakeMaster, kill9, post, scanTable, type ServerProc, startServerProcess } from './cluster.js';

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
  // Each test starts from an empty cluster.
  const master = new FakeMaster(lock.url);
  await master.lock.deleteFile('/kdi/root').catch(() => undefined);
});

async function start(serverId: string, env: Record<string, string> = {}): Promise<ServerProc> {
  const dataDir = await mkdtemp(join(tmpdir(), `kdi-cluster-${serverId}-`));
  dirs.push(dataDir);
  const p = await startServerProcess({ serverId, dataDir, lockUrl: lock.url, env });
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

/** Writes `n` batches of 5 cells to `table` through `url`; returns what was acknowledged. */
async function write(url: string, table: string, tag: string, n: number): Promise<Map<string, string>> {
  const acked = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    const cells = Array.from({ length: 5 }, (_, j) => ({
      row: `${tag}-${String(i).padStart(4, '0')}-${j}`,
      column: 'f:q',
      timestamp: 1,
      value: `${tag}:${i}:${j}:${'x'.repeat(200)}`,
    }));
    const r = await post(`${url}/v1/tables/${table}/apply`, { cells });
    ok(r, 200);
    for (const c of cells) acked.set(`${c.row}|${c.column}`, c.value);
  }
  return acked;
}

function expectExactly(got: Map<string, string>, want: Map<string, string>): void {
  for (const [k, v] of want) expect(got.get(k), `acknowledged ${k} missing`).toBe(v);
  for (const k of got.keys()) expect(want.has(k), `${k} was never written`).toBe(true);
}

describe('META and the root across servers', () => {
  it('a dead server’s META and tablet are loaded by another server from the root, META and the dead server’s log', async () => {
    const master = await becomeMaster();
    const a = await start('ts-a');
    ok(await master.assignMeta(a));
    ok(await master.assign(a, 't', 't-1'));
    // The load wrote a's log and location into META.
    const loaded = await master.config('t');
    expect(loaded?.location?.serverId).toBe('ts-a');
    expect(loaded?.logs).toHaveLength(1);
    expect(loaded?.state).toBe('serving');
    const acked = await write(a.url, 't', 'a', 40);
    // In a cluster the server exports its lease: positive and at most the TTL (2 s here).
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    const lease = Number(/^tabletserver_lease_remaining_seconds (\S+)$/m.exec(metrics)?.[1]);
    expect(lease).toBeGreaterThan(0);
    expect(lease).toBeLessThanOrEqual(2);
    await kill9(a);

    const b = await start('ts-b');
    ok(await master.assignMeta(b)); // replays a's log for META
    const root = await readRoot(master.lock);
    expect(root?.config.location?.serverId).toBe('ts-b');
    expect(root?.config.logs).toEqual([{ dir: expect.stringContaining('kdi-cluster-ts-b-'), fromSegment: expect.any(Number) }]);
    ok(await master.assign(b, 't', 't-1b')); // replays a's log for t
    expectExactly(await scanTable(b.url, 't'), acked);
    const now = await master.config('t');
    expect(now?.location?.serverId).toBe('ts-b');
    // b's log, from a segment b started for this tenure (not before what it logged for META).
    expect(now?.logs.map((l) => l.dir)).toEqual(root?.config.logs.map((l) => l.dir));
    expect(now!.logs[0]!.fromSegment).toBeGreaterThan(root!.config.logs[0]!.fromSegment);
    // b takes writes; a's epoch is gone for good.
    const more = await write(b.url, 't', 'b', 5);
    expectExactly(await scanTable(b.url, 't'), new Map([...acked, ...more]));
  });

  it('a restarted server lets go of a tablet another server took over (once that server wrote its own log), so its log can move on', async () => {
    const master = await becomeMaster();
    const m = await start('ts-meta');
    ok(await master.assignMeta(m));
    const dataDir = await mkdtemp(join(tmpdir(), 'kdi-cluster-ts-a-'));
    dirs.push(dataDir);
    let a = await startServerProcess({ serverId: 'ts-a', dataDir, lockUrl: lock.url, env: { KDI_TS_MEMORY_BUDGET_BYTES: String(64 << 10) } });
    procs.push(a);
    ok(await master.assign(a, 't', 't-a'));
    const acked = await write(a.url, 't', 'a', 40);
    // In a cluster the server exports its lease: positive and at most the TTL (2 s here).
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    const lease = Number(/^tabletserver_lease_remaining_seconds (\S+)$/m.exec(metrics)?.[1]);
    expect(lease).toBeGreaterThan(0);
    expect(lease).toBeLessThanOrEqual(2);
    await kill9(a);
    ok(await master.assign(m, 't', 't-m')); // replays a's log, writes m's own
    expectExactly(await scanTable(m.url, 't'), acked);
    // a comes back: its engine still holds t (dormant), and META no longer needs a's log for it.
    a = await startServerProcess({ serverId: 'ts-a', dataDir, lockUrl: lock.url });
    procs.push(a);
    const manifest = async () =>
      JSON.parse(await readFile(join(dataDir, 'MANIFEST'), 'utf8')) as { tablets: { id: string }[]; publication: { published: Record<string, unknown> } };
    let held = await manifest();
    expect(held.tablets.map((t) => t.id)).toEqual(['t-a']);
    // Letting go is two manifest saves (unload from the engine, then forget the publication): wait for both.
    for (let i = 0; i < 100 && (held.tablets.length > 0 || Object.keys(held.publication.published).length > 0); i++) {
      await new Promise((r) => setTimeout(r, 100));
      held = await manifest();
    }
    expect(held.tablets).toEqual([]);
    expect(held.publication.published).toEqual({});
    // m still has everything.
    expectExactly(await scanTable(m.url, 't'), acked);
  });

  it('with META on another server, serializations and compactions publish configs there; after the table’s server dies its data loads elsewhere', async () => {
    const master = await becomeMaster();
    const m = await start('ts-meta');
    // A small memory budget: many serializations (and compactions) while writing.
    const w = await start('ts-work', { KDI_TS_MEMORY_BUDGET_BYTES: String(64 << 10) });
    ok(await master.assignMeta(m));
    ok(await master.assign(w, 't', 't-w'));
    const acked = await write(w.url, 't', 'w', 120);
    ok(await master.admin('POST', `${w.url}/v1/admin/tablets/t-w/compact`, { full: true }), 200);
    // Publication is asynchronous: wait until META lists w's fragments.
    let fragments: readonly string[] = [];
    for (let i = 0; i < 100 && fragments.length === 0; i++) {
      fragments = Object.values((await master.config('t'))?.fragments ?? {}).flat();
      if (fragments.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(fragments.length).toBeGreaterThan(0);
    const tail = await write(w.url, 't', 'tail', 3); // only in w's log
    await kill9(w);

    ok(await master.assign(m, 't', 't-m'));
    expectExactly(await scanTable(m.url, 't'), new Map([...acked, ...tail]));
  });

  it('refuses a load with a stale epoch, a load without an epoch, assignment calls without the current master’s sequencer, and META writes without the cluster secret', async () => {
    const master = await becomeMaster();
    const a = await start('ts-a');
    ok(await master.assignMeta(a));
    ok(await master.assign(a, 't', 't-1', { upper: 'm' }));
    const stale = await master.admin('POST', `${a.url}/v1/admin/tablets`, { table: 't', tabletId: 'other', upperInclusive: 'm', epoch: 1 });
    expect(stale.status, JSON.stringify(stale.body)).toBe(400);
    expect(stale.body.error.code).toBe('FAILED_PRECONDITION');
    expect(stale.body.error.message).toMatch(/assigned to server ts-a with epoch \d+, not to this server \(ts-a\) with epoch 1/);
    const noEpoch = await master.admin('POST', `${a.url}/v1/admin/tablets`, { table: 'u', tabletId: 'u-1' });
    expect(noEpoch.status).toBe(400);
    expect(noEpoch.body.error.message).toMatch(/part of a cluster/);
    const bounds = await master.admin('POST', `${a.url}/v1/admin/tablets`, { table: 'u', tabletId: 'u-1', lowerExclusive: 'a', epoch: 3 });
    expect(bounds.status).toBe(400);
    expect(bounds.body.error.message).toMatch(/lowerExclusive must be absent with epoch/);
    const unknown = await master.admin('POST', `${a.url}/v1/admin/tablets`, { table: 'nope', tabletId: 'n-1', epoch: 3 });
    expect(unknown.status).toBe(404);
    // Assignment calls need the current master's sequencer: none, or a stale one, is refused.
    const noSequencer = await post(`${a.url}/v1/admin/tablets/t-1/split`, { row: 'c' }, true);
    expect(noSequencer.status).toBe(400);
    expect(noSequencer.body.error.message).toMatch(/needs the master's sequencer/);
    await master.stop();
    const next = await becomeMaster();
    const fromOld = await master.admin('DELETE', `${a.url}/v1/admin/tablets/t-1`);
    expect(fromOld.status, JSON.stringify(fromOld.body)).toBe(400);
    expect(fromOld.body.error.code).toBe('FAILED_PRECONDITION');
    expect((await next.admin('DELETE', `${a.url}/v1/admin/tablets/t-1`)).status).toBe(204);
    const metaWrite = await post(`${a.url}/v1/tables/${META_TABLE}/apply`, { cells: [{ row: 'x', column: 'location:', timestamp: 0, value: 'evil' }] });
    expect(metaWrite.status).toBe(401);
    expect(metaWrite.body.error.message).toMatch(/META table require the cluster secret/);
    // Percent-encoding the table name does not get around it.
    for (const name of ['%4DETA', 'M%45TA', '%4d%45%54%41']) {
      const encoded = await post(`${a.url}/v1/tables/${name}/apply`, { cells: [{ row: 'x', column: 'location:', timestamp: 0, value: 'evil' }] });
      expect(encoded.status, name).toBe(401);
      const sync = await post(`${a.url}/v1/tables/${name}/sync`, { atLeastTxn: 0 });
      expect(sync.status, name).toBe(401);
    }
  });

  it('a clean unload writes the config without log:, the next server loads it from fragments alone; a split writes both rows', async () => {
    const master = await becomeMaster();
    const a = await start('ts-a');
    const b = await start('ts-b');
    ok(await master.assignMeta(a));
    ok(await master.assign(b, 't', 't-1'));
    const acked = await write(b.url, 't', 'k', 20);
    const split = await master.admin('POST', `${b.url}/v1/admin/tablets/t-1/split`, { row: 'k-0010-0', lowTabletId: 'lo', highTabletId: 'hi' });
    ok(split, 200);
    const low = await master.config('t', 'k-0010-0');
    const high = await master.config('t');
    expect(low?.lowerExclusive).toBeUndefined();
    expect(low?.location?.serverId).toBe('ts-b');
    expect(Buffer.from(high!.lowerExclusive!).toString()).toBe('k-0010-0');

    const unload = await master.admin('DELETE', `${b.url}/v1/admin/tablets/hi`);
    expect(unload.status).toBe(204);
    const after = await master.config('t');
    expect(after?.logs).toEqual([]);
    expect(after?.state).toBeUndefined();
    expect(Object.values(after!.fragments).flat().length).toBeGreaterThan(0);

    ok(await master.assign(a, 't', 'hi-a'));
    const want = new Map([...acked].filter(([k]) => k.split('|')[0]! > 'k-0010-0'));
    expectExactly(await scanTable(a.url, 't', { rows: [{ lower: { value: 'k-0010-0', inclusive: false } }] }), want);

    // b no longer serves the upper half: WRONG_TABLET says where META puts it.
    const wrong = await post(`${b.url}/v1/tables/t/apply`, { cells: [{ row: 'zz', column: 'f:q', timestamp: 1, value: 'v' }] });
    expect(wrong.status).toBe(421);
    expect(wrong.body.error.details.locationHint).toMatchObject({ serverId: 'ts-a', url: a.url, state: 'serving' });
    const wrongScan = await post(`${b.url}/v1/tables/t/scan`, { predicate: { rows: [{ lower: { value: 'zz', inclusive: true } }] } });
    expect(wrongScan.status).toBe(421);
    expect(wrongScan.body.error.details.locationHint).toMatchObject({ serverId: 'ts-a' });
    // Rows of the half b still serves are not WRONG_TABLET.
    ok(await post(`${b.url}/v1/tables/t/apply`, { cells: [{ row: 'a', column: 'f:q', timestamp: 1, value: 'v' }] }), 200);
    await kill9(b); // its log is not needed for "hi" any more
    expectExactly(await scanTable(a.url, 't', { rows: [{ lower: { value: 'k-0010-0', inclusive: false } }] }), want);
  });
});
