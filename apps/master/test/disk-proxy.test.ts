// A server's disks through the master (issue 11, docs/disks.md): a real
// lock server, one tablet server process with two data directories, a
// master with an admin token and the automatic disk balance on (1 s). The
// proxy routes answer with the server's figures, pass its errors on (with
// the server id), refuse an unknown server (404), need the admin token to
// start a migration or a disk balance that is not a dry run, and follow a
// migration to COMPLETED. The automatic mode keeps a decision per server
// with its reason.

import { mkdir } from 'node:fs/promises';
import { startEmbeddedLockServer, type RunningLockServer } from '@kdi/client-sdk/test-support';
import type { ServiceProcess } from '@kdi/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allServing, call, CLUSTER_SECRET, startMaster, startTabletServer, tempDir, waitFor } from './cluster.js';

const TOKEN = 'disk-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

let lock: RunningLockServer;
let ts: ServiceProcess;
let master: ServiceProcess;
let m: string;
let dir: { path: string; remove: () => Promise<void> };

beforeAll(async () => {
  dir = await tempDir('kdi-disk-proxy-');
  await mkdir(`${dir.path}/ts1`);
  lock = await startEmbeddedLockServer();
  ts = await startTabletServer('ts1', `${dir.path}/ts1/d0`, lock.url, { KDI_TS_EXTRA_DATA_DIRS: `${dir.path}/ts1/d1` });
  master = await startMaster(lock.url, {
    KDI_MASTER_ADMIN_TOKEN: TOKEN,
    KDI_MASTER_BALANCE_INTERVAL_MS: '0',
    KDI_MASTER_DISK_BALANCE: 'auto',
    KDI_MASTER_DISK_BALANCE_INTERVAL_MS: '1000',
  });
  m = master.url.replace(/\/+$/, '');
  await waitFor('META assigned', async () => (await call('GET', `${m}/v1/meta/location`)).body.location);
}, 120_000);

afterAll(async () => {
  await master?.stop();
  await ts?.stop();
  await lock?.close();
  await dir?.remove();
});

describe('disk routes through the master', { timeout: 120_000 }, () => {
  it('disk-capacity and disk-replica: the server’s two disks; unknown server 404; its errors passed on', async () => {
    const cap = await call('GET', `${m}/v1/servers/ts1/disks`);
    expect(cap.status, JSON.stringify(cap.body)).toBe(200);
    expect(cap.body.serverId).toBe('ts1');
    expect(cap.body.disks.map((d: { disk: string }) => d.disk)).toEqual([`${dir.path}/ts1/d0`, `${dir.path}/ts1/d1`]);
    expect(cap.body.disks.every((d: { state: string; capacityBytes: number }) => d.state === 'ok' && d.capacityBytes > 0)).toBe(true);

    // The heartbeats carry each disk's state too.
    const servers = await waitFor('a heartbeat with disk states', async () => {
      const r = await call('GET', `${m}/v1/servers`);
      const ts1 = r.body.servers.find((x: { serverId: string }) => x.serverId === 'ts1');
      return ts1?.disks?.length === 2 && ts1.disks.every((d: { state?: string }) => d.state !== undefined) ? ts1 : undefined;
    });
    expect(servers.disks.map((d: { state: string }) => d.state)).toEqual(['ok', 'ok']);

    const one = await call('GET', `${m}/v1/servers/ts1/disks/tablets?disk=0`);
    expect(one.status).toBe(200);
    expect(one.body.disks).toHaveLength(1);

    const unknown = await call('GET', `${m}/v1/servers/ts9/disks`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain('ts9');

    const badDisk = await call('GET', `${m}/v1/servers/ts1/disks?disk=9`);
    expect(badDisk.status).toBe(400);
    expect(badDisk.body.error.code).toBe('INVALID_ARGUMENT');
    expect(badDisk.body.error.message).toMatch(/^server ts1: /);
    expect(badDisk.body.error.details).toMatchObject({ serverId: 'ts1', field: 'disk', reason: 'unknown-disk' });
  });

  it('disk-migrate: needs the admin token; bad requests 4xx; follows a migration to COMPLETED', async () => {
    expect((await call('POST', `${m}/v1/tables`, { name: 'dm' }, auth)).status).toBe(201);
    const table = await allServing(m, 'dm');
    const tablet = table.tablets[0].tabletId as string;
    const cells = Array.from({ length: 100 }, (_, i) => ({ row: `r${i}`, column: 'f:q', timestamp: i + 1, value: 'x'.repeat(100) }));
    expect((await call('POST', `${m}/v1/tables/dm/apply`, { cells })).status).toBe(200);
    // Fragment files on the tablet's home disk.
    const serialized = await call('POST', `${ts.url.replace(/\/+$/, '')}/v1/admin/serialize`, {}, { authorization: `Bearer ${CLUSTER_SECRET}` });
    expect(serialized.status).toBe(200);
    const replica = await call('GET', `${m}/v1/servers/ts1/disks/tablets`);
    const home = replica.body.disks.find((d: { tablets: { tablet: string; home: boolean }[] }) => d.tablets.some((t) => t.tablet === tablet && t.home)).index as number;
    const other = 1 - home;

    const body = { tablet, from: String(home), to: String(other) };
    const noToken = await call('POST', `${m}/v1/servers/ts1/disk-migrations`, body);
    expect(noToken.status).toBe(401);
    const same = await call('POST', `${m}/v1/servers/ts1/disk-migrations`, { ...body, to: String(home) }, auth);
    expect(same.status).toBe(400);
    expect(same.body.error.details).toMatchObject({ reason: 'same-disk' });
    const noTablet = await call('POST', `${m}/v1/servers/ts1/disk-migrations`, { ...body, tablet: 'nope' }, auth);
    expect(noTablet.status).toBe(404);
    const never = await call('GET', `${m}/v1/servers/ts1/disk-migrations/${tablet}`);
    expect(never.status).toBe(404);

    const started = await call('POST', `${m}/v1/servers/ts1/disk-migrations`, body, auth);
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(started.body).toMatchObject({ tablet, table: 'dm', state: 'MOVING' });
    const ended = await waitFor('the disk migration ended', async () => {
      const r = await call('GET', `${m}/v1/servers/ts1/disk-migrations/${tablet}`);
      return r.body.endedAtMs === undefined ? undefined : r.body;
    });
    expect(ended).toMatchObject({ tablet, state: 'COMPLETED' });
    const list = await call('GET', `${m}/v1/servers/ts1/disk-migrations`);
    expect(list.body.migrations.map((x: { tablet: string }) => x.tablet)).toEqual([tablet]);
    const after = await call('GET', `${m}/v1/servers/ts1/disks/tablets?disk=${other}`);
    expect(after.body.disks[0].tablets.find((t: { tablet: string }) => t.tablet === tablet)).toMatchObject({ home: true });
    // Still readable through the gateway.
    const scan = await call('POST', `${m}/v1/tables/dm/scan`, { predicate: '' });
    expect(scan.body.cells).toHaveLength(100);
  });

  it('disk-balance: a dry run needs no token, a real one does; bad options 400', async () => {
    const dry = await call('POST', `${m}/v1/servers/ts1/disk-balance`, { dryRun: true });
    expect(dry.status, JSON.stringify(dry.body)).toBe(200);
    expect(dry.body).toMatchObject({ serverId: 'ts1', dryRun: true });
    expect(dry.body.plan.notes.length).toBeGreaterThan(0);
    expect((await call('POST', `${m}/v1/servers/ts1/disk-balance`, {})).status).toBe(401);
    const run = await call('POST', `${m}/v1/servers/ts1/disk-balance`, {}, auth);
    expect(run.status).toBe(200);
    expect(run.body.dryRun).toBe(false);
    expect((await call('POST', `${m}/v1/servers/ts1/disk-balance`, { dryRun: true, usageFloor: 3 })).status).toBe(400);
  });

  it('the automatic disk balance keeps a decision for the server, with its reason', async () => {
    const d = await waitFor('a disk-balance decision for ts1', async () => {
      const r = await call('GET', `${m}/v1/disk-balance/decisions`);
      return r.body.decisions.find((x: { serverId: string }) => x.serverId === 'ts1');
    });
    expect(['balanced', 'waiting']).toContain(d.outcome);
    expect(d.reason.length).toBeGreaterThan(0);
    const r = await call('GET', `${m}/v1/disk-balance/decisions?limit=1`);
    expect(r.body.settings).toMatchObject({ mode: 'auto', intervalMs: 1000, usageFloor: 0.5, skewThreshold: 0.1 });
    expect(r.body.decisions.length).toBeLessThanOrEqual(1);
  });
});
