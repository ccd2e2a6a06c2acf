// The move, migration, balancer and drain routes of an active master in a
// real cluster (a lock server, three tablet-server processes, a master
// process with an admin token): every refusal is a 4xx naming what to fix
// (unknown tablet, unknown / dead / same / draining target, no token;
// META gets the same checks); a draining server gets no new tablets and GET /v1/servers says
// it drains; a dry run of the balancer reports the loads it saw and why it
// plans what it plans; a drain outlives the master that began it (a
// standby that takes over continues it). Moves that run are tested in
// migration-e2e.test.ts.

import { startEmbeddedLockServer, type RunningLockServer } from '@kdi/client-sdk/test-support';
import type { ServiceProcess } from '@kdi/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allServing, call, startMaster, startTabletServer, tempDir, waitFor, type Reply } from './cluster.js';

const TOKEN = 'migration-api-admin-token-0123';
const auth = { authorization: `Bearer ${TOKEN}` };

let lock: RunningLockServer;
const servers = new Map<string, ServiceProcess>();
let master: ServiceProcess;
let m: string;
let dir: { path: string; remove: () => Promise<void> };
let tablets: { tabletId: string; location: { serverId: string } }[];

function expectError(r: Reply, status: number, code: string, message: RegExp): void {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.body.error.code).toBe(code);
  expect(r.body.error.message).toMatch(message);
}

beforeAll(async () => {
  dir = await tempDir('kdi-migration-api-');
  lock = await startEmbeddedLockServer();
  for (const id of ['ts1', 'ts2']) servers.set(id, await startTabletServer(id, `${dir.path}/${id}`, lock.url));
  master = await startMaster(lock.url, { KDI_MASTER_ADMIN_TOKEN: TOKEN, KDI_MASTER_BALANCE_INTERVAL_MS: '0' });
  m = master.url;
  await waitFor('META assigned', async () => (await call('GET', `${m}/v1/meta/location`)).body.location);
  expect((await call('POST', `${m}/v1/tables`, { name: 'moves', splits: ['g', 'n', 't'] }, auth)).status).toBe(201);
  tablets = (await allServing(m, 'moves')).tablets;
  // A third server that joins and stops cleanly: known to the master, dead.
  const ts3 = await startTabletServer('ts3', `${dir.path}/ts3`, lock.url);
  await waitFor('ts3 live', async () => ((await call('GET', `${m}/v1/servers`)).body.servers.some((s: any) => s.serverId === 'ts3' && s.state === 'live') ? true : undefined));
  await ts3.stop();
  await waitFor('ts3 dead', async () => ((await call('GET', `${m}/v1/servers`)).body.servers.some((s: any) => s.serverId === 'ts3' && s.state === 'dead') ? true : undefined));
}, 180_000);

afterAll(async () => {
  await master?.stop();
  for (const s of servers.values()) await s.stop();
  await lock?.close();
  await dir?.remove();
});

describe('an active master', { timeout: 120_000 }, () => {
  it('refuses moves it cannot make, each with a 4xx saying why', async () => {
    const t = tablets[0]!;
    const own = t.location.serverId;
    const move = (tabletId: string, body: unknown, headers: Record<string, string> = auth) => call('POST', `${m}/v1/tablets/${tabletId}/move`, body, headers);
    expectError(await move('no-such-tablet', {}), 404, 'NOT_FOUND', /no live server serves a tablet with id no-such-tablet/);
    expectError(await move(t.tabletId, { target: 'ts9' }), 404, 'NOT_FOUND', /target server ts9 is not known/);
    expectError(await move(t.tabletId, { target: own }), 400, 'INVALID_ARGUMENT', new RegExp(`target ${own} is the server the tablet is on`));
    expectError(await move(t.tabletId, { target: 'ts3' }), 400, 'FAILED_PRECONDITION', /target server ts3 is dead/);
    // META moves like any tablet (meta-move.test.ts), so it gets the same checks.
    expectError(await move('meta', { target: 'ts3' }), 400, 'FAILED_PRECONDITION', /target server ts3 is dead/);
    expectError(await move(t.tabletId, {}, {}), 401, 'UNAUTHENTICATED', /admin token/);
    // None of these reached a source: no move was recorded.
    expect((await call('GET', `${m}/v1/migrations`)).body).toEqual({ migrations: [] });
    expectError(await call('GET', `${m}/v1/migrations/mig-nope`), 404, 'NOT_FOUND', /no move mig-nope is known/);
  });

  it('drains a live server: it shows as draining, gets no new tablets and is no target; DELETE ends it', async () => {
    expectError(await call('POST', `${m}/v1/servers/ts9/drain`, undefined, auth), 404, 'NOT_FOUND', /server ts9 is not known/);
    expectError(await call('POST', `${m}/v1/servers/ts3/drain`, undefined, auth), 400, 'FAILED_PRECONDITION', /server ts3 is dead/);
    expectError(await call('POST', `${m}/v1/servers/ts2/drain`), 401, 'UNAUTHENTICATED', /admin token/);

    const drained = await call('POST', `${m}/v1/servers/ts2/drain`, undefined, auth);
    expect(drained.status).toBe(200);
    expect(drained.body).toMatchObject({ serverId: 'ts2', draining: true });
    const list = (await call('GET', `${m}/v1/servers`)).body.servers;
    expect(list.find((s: any) => s.serverId === 'ts2').draining).toBe(true);
    expect(list.find((s: any) => s.serverId === 'ts1').draining).toBe(false);

    expect((await call('POST', `${m}/v1/tables`, { name: 'fresh', splits: ['c', 'f', 'k'] }, auth)).status).toBe(201);
    const fresh = await allServing(m, 'fresh');
    expect(fresh.tablets.map((t: any) => t.location.serverId)).toEqual(['ts1', 'ts1', 'ts1', 'ts1']);

    const onTs1 = fresh.tablets[0].tabletId;
    expectError(await call('POST', `${m}/v1/tablets/${onTs1}/move`, { target: 'ts2' }, auth), 400, 'FAILED_PRECONDITION', /target server ts2 is draining/);

    const undone = await call('DELETE', `${m}/v1/servers/ts2/drain`, undefined, auth);
    expect(undone.body).toMatchObject({ serverId: 'ts2', draining: false });
    expect((await call('GET', `${m}/v1/servers`)).body.servers.find((s: any) => s.serverId === 'ts2').draining).toBe(false);
    // Ending a drain that is not there is no error.
    expect((await call('DELETE', `${m}/v1/servers/ts2/drain`, undefined, auth)).body.draining).toBe(false);
    const kinds = (await call('GET', `${m}/v1/events?limit=1000`)).body.events.map((e: any) => e.kind);
    expect(kinds).toContain('server-draining');
    expect(kinds).toContain('server-drain-ended');
  });

  it('runs the balancer dry: the loads it saw, the skews, why; kept in the decisions', async () => {
    const run = await call('POST', `${m}/v1/balancer/run`, { dryRun: true });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const d = run.body.decision;
    expect(d).toMatchObject({ trigger: 'manual', dryRun: true, balanced: true, moves: [] });
    expect(d.servers.map((s: any) => [s.serverId, s.draining])).toEqual([
      ['ts1', false],
      ['ts2', false],
    ]);
    expect(d.servers.reduce((n: number, s: any) => n + s.tablets, 0)).toBeGreaterThanOrEqual(8);
    expect(d.notes.join('\n')).toMatch(/^balanced: bytes skew .* ≤ 1 GiB, rate skew .* ≤ 500\/s$/m);
    const list = await call('GET', `${m}/v1/balancer/decisions?limit=5`);
    expect(list.body.decisions[0].decisionId).toBe(d.decisionId);
    expect(list.body.settings).toEqual({ intervalMs: 0, bytesSkewThreshold: 1024 ** 3, rateSkewThreshold: 500, maxConcurrentMoves: 2, mergeBelowBytes: 0 });
    // A run that would start moves needs the token.
    expectError(await call('POST', `${m}/v1/balancer/run`, {}), 401, 'UNAUTHENTICATED', /admin token/);
  });

  it('keeps a drain across a master failover: the new master shows it and gives the server nothing', async () => {
    expect((await call('POST', `${m}/v1/servers/ts2/drain`, undefined, auth)).body.draining).toBe(true);
    const standby = await startMaster(lock.url, { KDI_MASTER_ADMIN_TOKEN: TOKEN, KDI_MASTER_BALANCE_INTERVAL_MS: '0' });
    await master.stop(); // a clean stop gives up the election at once
    master = standby;
    m = standby.url;
    const list = await waitFor('the standby active, seeing both servers', async () => {
      if ((await call('GET', `${m}/v1/master`)).body.role !== 'active') return undefined;
      const servers = (await call('GET', `${m}/v1/servers`)).body.servers;
      return servers.filter((x: any) => x.state === 'live').length === 2 ? servers : undefined;
    });
    expect(list.find((x: any) => x.serverId === 'ts2').draining).toBe(true);
    expect(list.find((x: any) => x.serverId === 'ts1').draining).toBe(false);
    // It keeps to the drain: a new table's tablets all go to ts1.
    expect((await call('POST', `${m}/v1/tables`, { name: 'after-failover', splits: ['m'] }, auth)).status).toBe(201);
    expect((await allServing(m, 'after-failover')).tablets.map((t: any) => t.location.serverId)).toEqual(['ts1', 'ts1']);
    expect((await call('DELETE', `${m}/v1/servers/ts2/drain`, undefined, auth)).body.draining).toBe(false);
    expect((await call('GET', `${m}/v1/servers`)).body.servers.find((x: any) => x.serverId === 'ts2').draining).toBe(false);
  });
});
