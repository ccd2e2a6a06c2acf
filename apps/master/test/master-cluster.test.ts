// The master in a real cluster (DESIGN §7–§9): a lock server, two tablet
// servers and master processes. One cluster, the steps in order:
// bootstrap assigns META; a pre-split table is created and served, written
// and read through the SDK; DDL errors are 4xx with messages; a tablet
// server killed with SIGKILL whose disk is gone has its tablets reported
// unavailable with the reason, and once the disk is back they are served
// elsewhere with no acknowledged write lost; a standby master takes over from a killed one;
// a dropped table's META rows are gone; a restarted cluster serves every
// cell again.

import { rename } from 'node:fs/promises';
import { connect, HttpMetaRows, LockClient, MetaTableClient, readRoot, type KdiClient } from '@kdi/client-sdk';
import { startEmbeddedLockServer, type RunningLockServer } from '@kdi/client-sdk/test-support';
import type { ServiceProcess } from '@kdi/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allServing, call, CLUSTER_SECRET, startMaster, startTabletServer, tempDir, waitFor } from './cluster.js';

let lock: RunningLockServer;
let lockClient: LockClient;
const servers = new Map<string, ServiceProcess>();
let master: ServiceProcess;
let standby: ServiceProcess | undefined;
let masterUrl: string;
let kdi: KdiClient | undefined;
let dir: { path: string; remove: () => Promise<void> };

const rows = Array.from({ length: 26 * 4 }, (_, i) => `${String.fromCharCode(97 + (i % 26))}${String(i).padStart(3, '0')}`);

beforeAll(async () => {
  dir = await tempDir('kdi-master-');
  lock = await startEmbeddedLockServer();
  lockClient = new LockClient({ url: lock.url });
  for (const id of ['ts1', 'ts2']) servers.set(id, await startTabletServer(id, `${dir.path}/${id}`, lock.url));
  master = await startMaster(lock.url);
  masterUrl = master.url;
}, 120_000);

afterAll(async () => {
  await kdi?.close();
  await standby?.stop();
  await master?.stop();
  for (const s of servers.values()) await s.stop();
  await lockClient?.close();
  await lock?.close();
  await dir?.remove();
});

describe('the master', () => {
  it('bootstraps the root and assigns META', async () => {
    const loc = await waitFor('META assigned', async () => (await call('GET', `${masterUrl}/v1/meta/location`)).body.location);
    expect(['ts1', 'ts2']).toContain(loc.serverId);
    expect((await readRoot(lockClient))?.config.location?.serverId).toBe(loc.serverId);
    const status = await call('GET', `${masterUrl}/v1/master`);
    expect(status.body).toMatchObject({ role: 'active', url: masterUrl, lockUrl: lock.url });
    const srv = await call('GET', `${masterUrl}/v1/servers`);
    expect(srv.body.servers.map((s: { serverId: string; state: string }) => `${s.serverId}:${s.state}`).sort()).toEqual(['ts1:live', 'ts2:live']);
  }, 60_000);

  it('creates a table pre-split into 4 tablets, all served, spread over the servers', async () => {
    const created = await call('POST', `${masterUrl}/v1/tables`, { name: 'people', splits: ['t', 'g', 'n'] });
    expect(created.status).toBe(201);
    expect(created.body.name).toBe('people');
    const d = await allServing(masterUrl, 'people');
    expect(d.tablets.map((t: { lowerExclusive?: string; upperInclusive?: string }) => [t.lowerExclusive ?? null, t.upperInclusive ?? null])).toEqual([
      [null, 'g'],
      ['g', 'n'],
      ['n', 't'],
      ['t', null],
    ]);
    for (const t of d.tablets) {
      expect(t.location.url).toBe(servers.get(t.location.serverId)!.url);
      expect(t.tabletId).toMatch(/^[A-Za-z0-9._-]{1,128}$/);
    }
    expect(new Set(d.tablets.map((t: { location: { serverId: string } }) => t.location.serverId)).size).toBe(2);
    const list = await call('GET', `${masterUrl}/v1/tables`);
    expect(list.body.tables).toEqual([expect.objectContaining({ name: 'people', state: 'active', tablets: 4 })]);
    const tablets = await call('GET', `${masterUrl}/v1/tables/people/tablets`);
    expect(tablets.body.tablets).toHaveLength(4);
  }, 90_000);

  it('refuses bad DDL with 4xx and a message', async () => {
    const dup = await call('POST', `${masterUrl}/v1/tables`, { name: 'people' });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatchObject({ code: 'ALREADY_EXISTS', message: expect.stringContaining('people') });
    const badName = await call('POST', `${masterUrl}/v1/tables`, { name: 'no/slash' });
    expect(badName.status).toBe(400);
    expect(badName.body.error.message).toMatch(/name/);
    const badSchema = await call('POST', `${masterUrl}/v1/tables`, { name: 'x', schema: { groups: [{ name: 'g', families: ['a'], compression: 'zip' }] } });
    expect(badSchema.status).toBe(400);
    expect(badSchema.body.error.message).toMatch(/compression/);
    const dupSplits = await call('POST', `${masterUrl}/v1/tables`, { name: 'x', splits: ['a', 'a'] });
    expect(dupSplits.status).toBe(400);
    expect(dupSplits.body.error.message).toMatch(/splits\[0\] and splits\[1\]/);
    const meta = await call('POST', `${masterUrl}/v1/tables`, { name: 'META' });
    expect(meta.status).toBe(400);
    expect(meta.body.error.message).toMatch(/META/);
    const dropMeta = await call('DELETE', `${masterUrl}/v1/tables/META`);
    expect(dropMeta.status).toBe(400);
    expect(dropMeta.body.error).toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringContaining('META') });
    expect((await call('GET', `${masterUrl}/v1/tables/nope`)).status).toBe(404);
    const hb = await call('POST', `${masterUrl}/v1/cluster/heartbeat`, {});
    expect(hb.status).toBe(401);
  });

  it('serves cells written through the SDK, and keeps them when a tablet server is killed', async () => {
    kdi = await connect({ servers: [...servers.values()].map((s) => s.url) });
    const table = kdi.table('people');
    await table.apply(rows.map((row) => ({ row, column: 'name:first', value: `v-${row}` })));
    const read = async () => {
      const got = new Map<string, string>();
      for await (const c of table.scan()) got.set(Buffer.from(c.row).toString(), Buffer.from(c.value!).toString());
      return got;
    };
    expect((await read()).size).toBe(rows.length);

    // Kill the server that does not serve META; its tablets move to the other one, which replays its log.
    const metaServer = (await readRoot(lockClient))!.config.location!.serverId;
    const victim = [...servers.keys()].find((id) => id !== metaServer)!;
    await servers.get(victim)!.kill();
    servers.delete(victim);
    // Its disk "goes away": the survivor cannot read its log, so its tablets are unavailable, with the reason.
    const victimDir = `${dir.path}/${victim}`;
    await rename(victimDir, `${victimDir}-away`);
    const unavailable = await waitFor('tablets unavailable', async () => {
      const r = await call('GET', `${masterUrl}/v1/tables/people`);
      const t = r.body.tablets.find((x: { state: string }) => x.state === 'unavailable');
      return t;
    });
    expect(unavailable.reason).toContain(victimDir);
    const unavailableEvents = await call('GET', `${masterUrl}/v1/events?limit=1000`);
    expect(unavailableEvents.body.events.some((e: { kind: string; message: string }) => e.kind === 'tablet-unavailable' && e.message.includes(victimDir))).toBe(true);
    expect((await call('GET', `${masterUrl}/v1/master`)).body.unavailableTablets).toBeGreaterThan(0);
    // The disk is back (a shared mount remounted): the periodic retry loads them, replaying the log.
    await rename(`${victimDir}-away`, victimDir);
    const d = await waitFor('tablets moved', async () => {
      const r = await call('GET', `${masterUrl}/v1/tables/people`);
      return r.body.tablets.every((t: { state: string; location?: { serverId: string } }) => t.state === 'serving' && t.location?.serverId === metaServer) ? r.body : undefined;
    });
    expect(d.tablets).toHaveLength(4);
    const events = await call('GET', `${masterUrl}/v1/events?limit=1000`);
    expect(events.body.events.map((e: { kind: string }) => e.kind)).toContain('server-dead');
    const after = await read();
    expect(after.size).toBe(rows.length);
    for (const row of rows) expect(after.get(row)).toBe(`v-${row}`);
    const srv = await call('GET', `${masterUrl}/v1/servers`);
    expect(srv.body.servers.find((s: { serverId: string }) => s.serverId === victim)?.state).toBe('dead');
  }, 120_000);

  it('hands over to a standby when the active master is killed', async () => {
    standby = await startMaster(lock.url);
    const st = await call('GET', `${standby.url}/v1/master`);
    expect(st.body.role).toBe('standby');
    const refused = await call('GET', `${standby.url}/v1/tables`);
    expect(refused.status).toBe(503);
    expect(refused.body.error.message).toContain(masterUrl);
    await master.kill();
    await waitFor('standby active', async () => ((await call('GET', `${standby!.url}/v1/master`)).body.role === 'active' ? true : undefined));
    masterUrl = standby.url;
    const created = await call('POST', `${masterUrl}/v1/tables`, { name: 'after-failover', splits: ['m'] });
    expect(created.status).toBe(201);
    await allServing(masterUrl, 'after-failover');
    // A schema change is written to META and offered to the servers serving the table.
    const schema = { groups: [{ name: 'default', families: '*' }] };
    const set = await call('PUT', `${masterUrl}/v1/tables/after-failover/schema`, schema);
    expect(set.status).toBe(200);
    expect([...set.body.pushedTo, ...set.body.pending].length).toBeGreaterThan(0);
    expect((await call('GET', `${masterUrl}/v1/tables/after-failover`)).body.schema.groups[0]).toMatchObject({ name: 'default', families: '*' });
    const badSchema = await call('PUT', `${masterUrl}/v1/tables/after-failover/schema`, { groups: [] });
    expect(badSchema.status).toBe(400);
    expect(badSchema.body.error.message).toMatch(/groups/);
    const d = await call('GET', `${masterUrl}/v1/tables/people`);
    expect(d.body.tablets.every((t: { state: string }) => t.state === 'serving')).toBe(true);
  }, 120_000);

  it('drops a table: tablets unloaded, META rows erased', async () => {
    const dropped = await call('DELETE', `${masterUrl}/v1/tables/people`);
    expect(dropped.status).toBe(200);
    expect(dropped.body).toMatchObject({ name: 'people', unloadedTablets: 4 });
    expect((await call('GET', `${masterUrl}/v1/tables/people`)).status).toBe(404);
    const metaUrl = (await readRoot(lockClient))!.config.location!.url;
    const meta = new MetaTableClient(new HttpMetaRows(metaUrl, CLUSTER_SECRET));
    expect(await meta.listTablets('people')).toEqual([]);
    expect(await meta.readTableSchema('people')).toBeUndefined();
    const list = await call('GET', `${masterUrl}/v1/tables`);
    expect(list.body.tables.map((t: { name: string }) => t.name)).toEqual(['after-failover']);
  }, 60_000);

  it('serves every cell again after the whole cluster restarts', async () => {
    const table = kdi!.table('after-failover');
    const keys = ['a1', 'k2', 'm', 'n3', 'z4'];
    await table.apply(keys.map((row) => ({ row, column: 'c:x', value: `v-${row}` })));
    await kdi!.close();
    kdi = undefined;
    // Stop everything (clean stops), then start the same servers (same ids and directories) and a new master.
    await standby!.stop();
    standby = undefined;
    const ids = [...servers.keys()];
    for (const id of ids) await servers.get(id)!.stop();
    for (const id of ids) servers.set(id, await startTabletServer(id, `${dir.path}/${id}`, lock.url));
    master = await startMaster(lock.url);
    masterUrl = master.url;
    await waitFor('META on a live server', async () => {
      const loc = (await call('GET', `${masterUrl}/v1/meta/location`)).body.location;
      return loc !== undefined && [...servers.values()].some((s) => s.url === loc.url) ? loc : undefined;
    });
    const d = await waitFor('tablets on the new processes', async () => {
      const r = await call('GET', `${masterUrl}/v1/tables/after-failover`);
      if (r.status !== 200) return undefined;
      const urls = new Set([...servers.values()].map((s) => s.url));
      return r.body.tablets.every((t: { state: string; location?: { url: string } }) => t.state === 'serving' && urls.has(t.location?.url ?? '')) ? r.body : undefined;
    });
    expect(d.tablets).toHaveLength(2);
    kdi = await connect({ servers: [...servers.values()].map((s) => s.url) });
    const got = new Map<string, string>();
    for await (const c of kdi.table('after-failover').scan()) got.set(Buffer.from(c.row).toString(), Buffer.from(c.value!).toString());
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(keys.map((k) => [k, `v-${k}`])));
  }, 120_000);
});
