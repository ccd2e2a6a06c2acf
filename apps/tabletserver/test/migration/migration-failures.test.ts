// A migration that fails leaves the source serving (issue 10, DESIGN §10),
// real processes on a real lock server:
//  - the target dies in the middle of the copy: the move aborts, the
//    source answers every read and write throughout, and the target's
//    temp directory is gone after its restart;
//  - a file corrupted on the way (a byte flipped by a proxy between the
//    servers): the target refuses it (CRC-32C), the move aborts, the
//    source serves on, the target removes its temp directory;
//  - the target's routes refuse a wrong checksum and drop the file; DELETE
//    removes the temp directory;
//  - the migrate route's refusals name what to fix;
//  - the fence (a user tablet, then META, whose commit writes the root):
//    a commit that comes after the source gave up on it does not land.

import { createServer, request as httpRequest, type Server } from 'node:http';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { crc32c } from '@kdi/primitives';
import { LockClient, readRoot } from '@kdi/client-sdk';
import { expect, it } from 'vitest';
import { CLUSTER_SECRET, post, scanTable, type ServerProc } from '../cluster.js';
import { ok } from '../sdk/sdk-cluster.js';
import { migrationCluster } from './migration-cluster.js';
import { cuttingProxy, describeMove, migrations, servedTablets, tempDirs, waitMigration } from './migration-kit.js';

const c = migrationCluster('migf', { KDI_TS_LEASE_TTL_MS: '3000', KDI_TS_MEMORY_BUDGET_BYTES: String(64 * 1024) });
const start = (serverId: string, env: Record<string, string> = {}, dataDir?: string) => c.start(serverId, env, dataDir);

/** A tablet of `table` on `server` with `batches` × 20 cells, several fragments on disk and some cells in memory. */
async function loadedTablet(server: ServerProc, table: string, tabletId: string, batches = 30): Promise<Map<string, string>> {
  ok(await c.master.assign(server, table, tabletId));
  const want = new Map<string, string>();
  for (let b = 0; b < batches; b++) {
    const cells = Array.from({ length: 20 }, (_, j) => ({ row: `r${String(b * 20 + j).padStart(5, '0')}`, column: 'f:q', timestamp: 1, value: `v${b}-${j}-${'x'.repeat(200)}` }));
    ok(await post(`${server.url}/v1/tables/${table}/apply`, { cells }), 200);
    for (const c of cells) want.set(`${c.row}|${c.column}`, c.value);
    if (b % 10 === 9) ok(await c.master.admin('POST', `${server.url}/v1/admin/serialize`, {}), 200);
  }
  return want;
}

/** Writes and reads at `server` every few ms until stopped; every failure is recorded. */
function poller(server: ServerProc, table: string, want: Map<string, string>): { stop: () => Promise<{ ops: number; failures: string[] }> } {
  let running = true;
  const failures: string[] = [];
  let ops = 0;
  const done = (async () => {
    for (let i = 0; running; i++) {
      const row = `p${String(i).padStart(5, '0')}`;
      const w = await post(`${server.url}/v1/tables/${table}/apply`, { cells: [{ row, column: 'f:q', timestamp: 1, value: `p${i}` }] }).catch((e: unknown) => ({
        status: 0,
        body: String(e),
      }));
      if (w.status !== 200) failures.push(`apply ${row}: ${w.status} ${JSON.stringify(w.body)}`);
      else want.set(`${row}|f:q`, `p${i}`);
      const r = await post(`${server.url}/v1/tables/${table}/scan`, { predicate: 'row = "r00042"' }).catch((e: unknown) => ({ status: 0, body: String(e) }));
      if (r.status !== 200 || r.body.cells.length !== 1) failures.push(`scan: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      ops += 2;
      await new Promise((res) => setTimeout(res, 5));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return { ops, failures };
    },
  };
}

it('the target dies mid-copy: the move aborts, the source never stops serving, the target’s temp files are gone after its restart', async () => {
  const source = await start('fs1');
  const target = await start('fd1', { KDI_TS_MIGRATION_CRASH_AT: 'target-copy' });
  const want = await loadedTablet(source, 'mc', 'mc0');
  const load = poller(source, 'mc', want);
  await new Promise((r) => setTimeout(r, 100));
  ok(await c.master.migrate(source, target, 'mc0', 'midcopy'), 202);
  await c.exited(target);
  const status = await waitMigration(source, 'midcopy');
  await new Promise((r) => setTimeout(r, 300));
  const { ops, failures } = await load.stop();
  console.log(`target killed mid-copy: ${describeMove(status)}; ${ops} reads and writes at the source meanwhile, ${failures.length} failed`);
  expect(status.outcome).toBe('aborted');
  expect(failures).toEqual([]);
  expect((await c.master.config('mc'))?.location?.serverId).toBe('fs1');
  expect((await servedTablets(source)).map((t) => `${t.tabletId}:${t.state}`)).toEqual(['mc0:serving']);
  expect(await scanTable(source.url, 'mc')).toEqual(want);
  // The killed target left its temp directory; its restart removes it.
  expect((await tempDirs(target.dataDir)).length).toBe(1);
  const back = await start('fd1b', {}, target.dataDir);
  expect(await tempDirs(back.dataDir)).toEqual([]);
  expect((await servedTablets(back)).filter((t) => t.table === 'mc')).toEqual([]);
}, 120_000);

/** An HTTP proxy to `to` that flips one byte of every migration file it forwards. */
async function corruptingProxy(to: string): Promise<{ url: string; server: Server; corrupted: () => number }> {
  let corrupted = 0;
  const target = new URL(to);
  const server = createServer((req, res) => {
    const flip = req.method === 'PUT' && req.url?.includes('/files/');
    let at = 0;
    const transform = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        if (flip && at <= 100 && at + chunk.length > 100) {
          chunk = Buffer.from(chunk);
          chunk[100 - at] = chunk[100 - at]! ^ 0xff;
          corrupted++;
        }
        at += chunk.length;
        cb(null, chunk);
      },
    });
    const out = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(transform).pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, server, corrupted: () => corrupted };
}

it('a file corrupted on the way: the target refuses it by its CRC-32C, the move aborts cleanly, the source serves on', async () => {
  const source = await start('fs2');
  const target = await start('fd2');
  const want = await loadedTablet(source, 'cc', 'cc0');
  const proxy = await corruptingProxy(target.url);
  try {
    const viaProxy = { ...target, url: proxy.url };
    const load = poller(source, 'cc', want);
    ok(await c.master.migrate(source, viaProxy, 'cc0', 'corrupt'), 202);
    const status = await waitMigration(source, 'corrupt');
    const { failures } = await load.stop();
    console.log(`corrupted file: ${describeMove(status)}`);
    expect(proxy.corrupted()).toBeGreaterThan(0);
    expect(status.outcome).toBe('aborted');
    expect(status.error).toMatch(/CRC-32C/);
    expect(failures).toEqual([]);
    expect((await servedTablets(source)).map((t) => t.tabletId)).toEqual(['cc0']);
    expect(await scanTable(source.url, 'cc')).toEqual(want);
    // The target: the move ended aborted, its temp directory removed, nothing served.
    const deadline = Date.now() + 5_000;
    while ((await tempDirs(target.dataDir)).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await tempDirs(target.dataDir)).toEqual([]);
    expect((await migrations(target)).find((m) => m.migrationId === 'corrupt')).toMatchObject({ role: 'target', outcome: 'aborted' });
    expect((await servedTablets(target)).filter((t) => t.table === 'cc')).toEqual([]);
  } finally {
    proxy.server.close();
  }
}, 120_000);

it('the target’s routes: a wrong checksum is refused and the file dropped; DELETE removes the temp directory', async () => {
  const source = await start('fs3');
  const target = await start('fd3');
  await loadedTablet(source, 'rc', 'rc0', 2);
  const epoch = (await c.master.config('rc'))!.location!.epoch;
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${target.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${CLUSTER_SECRET}`,
        ...c.master.headers,
        ...(body !== undefined && !(body instanceof Uint8Array) && { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body !== undefined && { body: body instanceof Uint8Array ? body : JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
  };
  const prepare = { tabletId: 'rc0', table: 'rc', source: { serverId: 'fs3', url: source.url }, epoch, newEpoch: epoch + 100 };
  // The sequencer is required, and META must name the source with that epoch.
  expect(
    (
      await fetch(`${target.url}/v1/admin/migrations/m1`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLUSTER_SECRET}`, 'content-type': 'application/json' },
        body: JSON.stringify(prepare),
      })
    ).status,
  ).toBe(400);
  expect(await call('POST', '/v1/admin/migrations/m1', { ...prepare, epoch: epoch + 1, newEpoch: epoch + 2 })).toMatchObject({
    status: 400,
    body: { error: { code: 'FAILED_PRECONDITION' } },
  });
  expect((await call('POST', '/v1/admin/migrations/m1', prepare)).status).toBe(201);
  expect((await call('POST', '/v1/admin/migrations/m1', prepare)).body).toMatchObject({ error: { code: 'ALREADY_EXISTS' } });
  expect(await tempDirs(target.dataDir)).toEqual(['m1.tmp']);

  const bytes = new Uint8Array(5000).map((_, i) => i % 251);
  const put = (crc: number | string) => call('PUT', '/v1/admin/migrations/m1/files/a.frag', bytes, { 'content-type': 'application/octet-stream', 'x-kdi-crc32c': String(crc) });
  const wrong = await put((crc32c(bytes) ^ 1) >>> 0);
  expect(wrong.status).toBe(400);
  expect(wrong.body.error.code).toBe('INVALID_ARGUMENT');
  expect(wrong.body.error.message).toMatch(/CRC-32C .* does not match x-kdi-crc32c/);
  expect(await readdir(join(target.dataDir, 'migrations', 'm1.tmp'))).toEqual([]);
  expect((await put('not-a-number')).body.error.message).toMatch(/x-kdi-crc32c must be/);
  expect((await put(crc32c(bytes))).status).toBe(204);
  expect(await readdir(join(target.dataDir, 'migrations', 'm1.tmp'))).toEqual(['a.frag']);
  // A preload naming a file never received is refused before anything moves; a commit needs the preload first.
  expect((await call('POST', '/v1/admin/migrations/m1/preload', { fragments: { default: ['b.frag'] }, hotBlocks: [] })).body).toMatchObject({
    error: { code: 'INVALID_ARGUMENT' },
  });
  expect((await call('POST', '/v1/admin/migrations/m1/commit', { fragments: { default: ['a.frag'] }, memory: '', hotBlocks: [] })).body.error.message).toMatch(
    /preload before commit/,
  );

  const del = await call('DELETE', '/v1/admin/migrations/m1');
  expect(del).toMatchObject({ status: 200, body: { migrationId: 'm1', role: 'target', outcome: 'aborted' } });
  expect(await tempDirs(target.dataDir)).toEqual([]);
  expect((await call('DELETE', '/v1/admin/migrations/nope')).status).toBe(404);
  expect(
    (await call('PUT', '/v1/admin/migrations/m1/files/a.frag', bytes, { 'content-type': 'application/octet-stream', 'x-kdi-crc32c': String(crc32c(bytes)) })).body,
  ).toMatchObject({
    error: { code: 'FAILED_PRECONDITION' },
  });
}, 120_000);

it('the migrate route refuses what cannot move, naming why', async () => {
  const source = await start('fs4');
  const target = await start('fd4');
  await loadedTablet(source, 'rf', 'rf0', 1);
  const epoch = (await c.master.config('rf'))!.location!.epoch;
  const migrate = (tabletId: string, body: Record<string, unknown>) => c.master.admin('POST', `${source.url}/v1/admin/tablets/${tabletId}/migrate`, body);
  const to = { serverId: target.serverId, url: target.url };
  expect((await migrate('nope', { migrationId: 'a', target: to, epoch: epoch + 50 })).body.error.code).toBe('NOT_FOUND');
  expect((await migrate('rf0', { migrationId: 'a', target: { serverId: 'fs4', url: source.url }, epoch: epoch + 50 })).body.error).toMatchObject({ code: 'INVALID_ARGUMENT' });
  expect((await migrate('rf0', { migrationId: 'a', target: to, epoch })).body.error.message).toMatch(/must be above the tablet's current epoch/);
  // META moves too (apps/master/test/meta-move.test.ts), so it gets the same checks.
  const toItself = { serverId: c.metaServer.serverId, url: c.metaServer.url };
  expect((await c.master.admin('POST', `${c.metaServer.url}/v1/admin/tablets/meta/migrate`, { migrationId: 'a', target: toItself, epoch: 999 })).body.error).toMatchObject({
    code: 'INVALID_ARGUMENT',
    message: expect.stringMatching(/the target is this server/),
  });
  expect((await migrate('rf0', { migrationId: 'a', target: to, epoch: epoch + 50, extra: 1 })).status).toBe(400);
  // Without the master's sequencer: refused.
  const bare = await fetch(`${source.url}/v1/admin/tablets/rf0/migrate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CLUSTER_SECRET}`, 'content-type': 'application/json' },
    body: JSON.stringify({ migrationId: 'a', target: to, epoch: epoch + 50 }),
  });
  expect(bare.status).toBe(400);
  // One at a time per tablet; a migration id once.
  ok(await migrate('rf0', { migrationId: 'once', target: to, epoch: epoch + 50 }), 202);
  const again = await migrate('rf0', { migrationId: 'once', target: to, epoch: epoch + 51 });
  expect(again.status).toBe(409);
  const status = await waitMigration(source, 'once');
  expect(status.outcome).toBe('committed');
  expect((await migrate('rf0', { migrationId: 'twice', target: to, epoch: epoch + 60 })).body.error.code).toBe('NOT_FOUND'); // it moved
}, 120_000);

it('the fence: a commit whose META write comes after the source gave up on it (answer lost, target unreachable) does not land; the source serves on', async () => {
  const source = await start('fs5');
  // The target waits 3 s before its META write: long after the source settled.
  const target = await start('fd5', { KDI_TS_MIGRATION_PAUSE_AT: 'target-commit', KDI_TS_MIGRATION_PAUSE_MS: '3000' });
  const want = await loadedTablet(source, 'fe', 'fe0', 10);
  const proxy = await cuttingProxy(target.url);
  try {
    ok(await c.master.migrate(source, { ...target, url: proxy.url }, 'fe0', 'fence'), 202);
    const status = await waitMigration(source, 'fence');
    console.log(`fenced commit: ${describeMove(status)}`);
    expect(status.outcome).toBe('aborted');
    // The source serves, and takes writes again at once.
    ok(await post(`${source.url}/v1/tables/fe/apply`, { cells: [{ row: 'after', column: 'f:q', timestamp: 1, value: 'fence' }] }), 200);
    want.set('after|f:q', 'fence');
    // The target's late META write is refused by the fence; its preloaded copy leaves.
    const deadline = Date.now() + 15_000;
    let theirs;
    while (Date.now() < deadline) {
      theirs = (await migrations(target)).find((m) => m.migrationId === 'fence');
      if (theirs?.endedAt !== undefined) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(theirs).toMatchObject({ role: 'target', outcome: 'aborted' });
    expect(theirs?.error).toMatch(/not migrating/);
    expect((await c.master.config('fe'))?.location?.serverId).toBe('fs5');
    expect((await c.master.config('fe'))?.state).toBe('serving');
    expect((await servedTablets(source)).map((t) => t.tabletId)).toEqual(['fe0']);
    expect((await servedTablets(target)).filter((t) => t.table === 'fe')).toEqual([]);
    expect(await scanTable(source.url, 'fe')).toEqual(want);
    expect(await tempDirs(target.dataDir)).toEqual([]);
  } finally {
    proxy.server.close();
  }
}, 120_000);

// Last in this file: it moves META's server's tablet, which every other case uses.
it('the fence for META: a commit whose root write comes after the source gave up on it does not land; META serves on at its source', async () => {
  const target = await start('fd6', { KDI_TS_MIGRATION_PAUSE_AT: 'target-commit', KDI_TS_MIGRATION_PAUSE_MS: '3000' });
  const want = await loadedTablet(target, 'mf', 'mf0', 2);
  const proxy = await cuttingProxy(target.url);
  const lockClient = new LockClient({ url: c.lockUrl });
  try {
    const before = (await readRoot(lockClient))!.config.location!;
    ok(await c.master.migrate(c.metaServer, { ...target, url: proxy.url }, 'meta', 'meta-fence'), 202);
    const status = await waitMigration(c.metaServer, 'meta-fence');
    console.log(`fenced commit of META: ${describeMove(status)}`);
    expect(status.outcome).toBe('aborted');
    // The target's late root write is refused by the fence; its preloaded copy of META leaves.
    const deadline = Date.now() + 15_000;
    let theirs;
    while (Date.now() < deadline) {
      theirs = (await migrations(target)).find((m) => m.migrationId === 'meta-fence');
      if (theirs?.endedAt !== undefined) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(theirs).toMatchObject({ role: 'target', outcome: 'aborted' });
    expect(theirs?.error).toMatch(/was fenced/);
    // The root names the source with its epoch, serving (no state), as before the move.
    expect((await readRoot(lockClient))!.config).toMatchObject({ location: before });
    expect((await readRoot(lockClient))!.config.state).toBeUndefined();
    expect((await servedTablets(c.metaServer)).filter((t) => t.table === 'META')).toMatchObject([{ tabletId: 'meta', state: 'serving' }]);
    expect((await servedTablets(target)).filter((t) => t.table === 'META')).toEqual([]);
    // META is written and read at its source again: a config write (a load, through META) and the target's own tablet.
    ok(await c.master.assign(target, 'mf2', 'mf2-0'));
    expect((await c.master.config('mf2'))?.location?.serverId).toBe('fd6');
    expect(await scanTable(target.url, 'mf')).toEqual(want);
    expect(await tempDirs(target.dataDir)).toEqual([]);
  } finally {
    proxy.server.close();
    await lockClient.close();
  }
}, 120_000);
