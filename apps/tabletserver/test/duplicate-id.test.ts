// A second tablet server started with the id of a live one cannot take
// /kdi/servers/<id>. It used to report ready and accept a load of META —
// the root names the server by id and epoch, which both processes share —
// taking /kdi/root from the live server, whose next acknowledged META
// write was then lost. Now, with real processes on a real lock server: the
// second one is not ready (503 naming the lock file), refuses the load
// (UNAVAILABLE), /kdi/root is untouched, and the live server's META writes
// still succeed.

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningLockServer, startEmbeddedLockServer } from '@kdi/client-sdk/test-support';
import { META_TABLE } from '@kdi/protocol';
import { readRoot } from '@kdi/client-sdk';
import { FakeMaster, kill9, post, scanTable, spawnServerProcess, startServerProcess, type ServerProc } from './cluster.js';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const address = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const got = await probe().catch(() => undefined);
    if (got !== undefined) return got;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a second server with the id of a live one', () => {
  let lock: RunningLockServer;
  const procs: ServerProc[] = [];
  const dirs: string[] = [];
  let master: FakeMaster;
  beforeAll(async () => {
    lock = await startEmbeddedLockServer({ limits: { minTtlMs: 1000, lockDelayMs: 200 } });
    master = await new FakeMaster(lock.url).start();
  });
  afterAll(async () => {
    await master.stop();
    for (const p of procs) await kill9(p);
    for (const d of dirs) await rm(d, { recursive: true, force: true });
    await lock.close();
  });

  const dataDir = async (name: string) => {
    const d = await mkdtemp(join(tmpdir(), `kdi-dup-${name}-`));
    dirs.push(d);
    return d;
  };

  it('is not ready, loads nothing, and leaves META with the live server', async () => {
    const live = await startServerProcess({ serverId: 'ts-1', dataDir: await dataDir('live'), lockUrl: lock.url });
    procs.push(live);
    expect((await master.assignMeta(live)).status).toBe(201);
    expect((await master.assign(live, 'users', 'users-1')).status).toBe(201);
    expect((await post(`${live.url}/v1/tables/users/apply`, { cells: [{ row: 'a', column: 'f:', timestamp: 1, value: 'before' }] })).status).toBe(200);
    const rootBefore = await readRoot(master.lock);

    // The same id, another data directory and port: it listens but cannot join.
    const port = await freePort();
    const dup = spawnServerProcess({ serverId: 'ts-1', dataDir: await dataDir('dup'), lockUrl: lock.url, env: { KDI_TS_PORT: String(port) } });
    const dupProc: ServerProc = { serverId: 'ts-1', child: dup.child, url: `http://127.0.0.1:${port}`, output: dup.output };
    procs.push(dupProc);
    await until('the duplicate to listen', async () => ((await fetch(`${dupProc.url}/healthz`)).ok ? true : undefined));

    const ready = await fetch(`${dupProc.url}/readyz`);
    const readyBody = (await ready.json()) as { error: { code: string; message: string } };
    expect(ready.status, JSON.stringify(readyBody)).toBe(503);
    expect(readyBody.error.code).toBe('UNAVAILABLE');
    expect(readyBody.error.message).toMatch(/ts-1 does not hold its lock file \/kdi\/servers\/ts-1/);
    expect((await fetch(`${live.url}/readyz`)).status).toBe(200);

    // The root names ts-1 at the current epoch, so only membership tells the two apart.
    const epoch = rootBefore!.config.location!.epoch;
    const load = await master.admin('POST', `${dupProc.url}/v1/admin/tablets`, { table: META_TABLE, tabletId: 'meta', epoch });
    expect(load.status, JSON.stringify(load.body)).toBe(503);
    expect(load.body.error).toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(/ts-1 does not hold its lock file \/kdi\/servers\/ts-1.*loads no tablet until it holds its lock file/),
      details: { reason: 'not-a-member' },
    });
    const userLoad = await master.admin('POST', `${dupProc.url}/v1/admin/tablets`, { table: 'users', tabletId: 'users-dup', epoch: 2 });
    expect(userLoad.status, JSON.stringify(userLoad.body)).toBe(503);

    const rootAfter = await readRoot(master.lock);
    expect(rootAfter!.generation).toBe(rootBefore!.generation);
    expect(rootAfter!.config).toEqual(rootBefore!.config);

    // The live server still writes META: a new tablet's config and an unload's.
    expect((await master.assign(live, 'orders', 'orders-1')).status).toBe(201);
    expect((await post(`${live.url}/v1/tables/orders/apply`, { cells: [{ row: 'o', column: 'f:', timestamp: 1, value: 'after' }] })).status).toBe(200);
    const config = await master.config('orders');
    expect(config?.location).toMatchObject({ serverId: 'ts-1', url: live.url });
    expect(config?.state).toBe('serving');
    expect(Object.fromEntries(await scanTable(live.url, 'users'))).toEqual({ 'a|f:': 'before' });
    expect(Object.fromEntries(await scanTable(live.url, 'orders'))).toEqual({ 'o|f:': 'after' });
  }, 120_000);
});
