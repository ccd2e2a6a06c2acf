// Tablet moves end to end (docs/migration.md): a lock server, three
// tablet-server processes and a master process; a table pre-split into 8
// tablets with cells in every one, written through the SDK. A move the
// master picks the target of, and one to a named server, each committed:
// the master's record goes running → committed with the source's steps
// and bytes, the tablet's range is served by the target (META, describe),
// a second request for a tablet being moved is 409 ALREADY_EXISTS, and
// every cell reads back. Then a drain of a server without META (draining
// META's server: meta-move.test.ts): it ends with no tablet, every cell
// reads back and takes writes,
// the moves show with reason drain, and the drain ends. Last, the
// balancer (asked to run, any byte of skew) moves tablets onto that empty
// server, each move with its reason and figures, and every cell reads back.
// Finally the source of a move is killed (SIGKILL) right after the master
// sent it: the master's record still ends, with the outcome META shows,
// and once the tablet is served again every cell reads back.
//
// KDI_TS_MAIN=<path to a tablet server's src/main.ts> runs it against another
// checkout (apps/master/test/cluster.ts).

import { connect, type KdiClient } from '@kdi/client-sdk';
import { startEmbeddedLockServer, type RunningLockServer } from '@kdi/client-sdk/test-support';
import type { ServiceProcess } from '@kdi/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allServing, call, CLUSTER_SECRET, startMaster, startTabletServer, tempDir, waitFor } from './cluster.js';

const TOKEN = 'migration-e2e-admin-token-0123';
const auth = { authorization: `Bearer ${TOKEN}` };
const SPLITS = ['c', 'f', 'i', 'l', 'o', 'r', 'u'];
// 26 rows per letter, in every tablet.
const ROWS = Array.from({ length: 26 * 26 }, (_, i) => `${String.fromCharCode(97 + Math.floor(i / 26))}${String.fromCharCode(97 + (i % 26))}`);

let lock: RunningLockServer;
const servers = new Map<string, ServiceProcess>();
let master: ServiceProcess;
let m: string;
let kdi: KdiClient;
let dir: { path: string; remove: () => Promise<void> };
const written = new Map<string, string>();
/** The server the drain test empties (the balancer test fills it again). */
let victim = '';

async function readAll(): Promise<Map<string, string>> {
  const got = new Map<string, string>();
  for await (const c of kdi.table('moving').scan()) {
    const row = Buffer.from(c.row).toString();
    expect(got.has(row), `row ${row} twice`).toBe(false);
    got.set(row, Buffer.from(c.value!).toString());
  }
  return got;
}

async function untilEnded(migrationId: string): Promise<any> {
  return waitFor(
    `move ${migrationId} ended`,
    async () => {
      const r = await call('GET', `${m}/v1/migrations/${migrationId}`);
      return r.status === 200 && r.body.state !== 'running' ? r.body : undefined;
    },
    120_000,
  );
}

beforeAll(async () => {
  dir = await tempDir('kdi-migration-e2e-');
  lock = await startEmbeddedLockServer();
  for (const id of ['ts1', 'ts2', 'ts3']) servers.set(id, await startTabletServer(id, `${dir.path}/${id}`, lock.url));
  // The balancer runs only when asked (interval 0), for any byte of skew (the tablets here are small), never for the request rate.
  master = await startMaster(lock.url, {
    KDI_MASTER_ADMIN_TOKEN: TOKEN,
    KDI_MASTER_BALANCE_INTERVAL_MS: '0',
    KDI_MASTER_BALANCE_MAX_MOVES: '2',
    KDI_MASTER_BALANCE_BYTES_SKEW: '1',
    KDI_MASTER_BALANCE_RATE_SKEW: '1000000',
  });
  m = master.url;
  await waitFor('META assigned', async () => (await call('GET', `${m}/v1/meta/location`)).body.location);
  expect((await call('POST', `${m}/v1/tables`, { name: 'moving', splits: SPLITS }, auth)).status).toBe(201);
  await allServing(m, 'moving');
  kdi = await connect({ master: m });
  const table = kdi.table('moving');
  await table.apply(
    ROWS.map((row) => ({ row, column: 'c:v', value: `v-${row}` })),
    { waitForSync: true },
  );
  for (const row of ROWS) written.set(row, `v-${row}`);
}, 240_000);

afterAll(async () => {
  await kdi?.close();
  await master?.stop();
  for (const s of servers.values()) await s.stop();
  await lock?.close();
  await dir?.remove();
});

describe('moving tablets between real servers', { timeout: 240_000 }, () => {
  it('moves a tablet to the server the master picks; a second request while it moves is 409; every cell reads back', async () => {
    const before = (await call('GET', `${m}/v1/tables/moving`)).body.tablets[3];
    const [a, b] = await Promise.all([call('POST', `${m}/v1/tablets/${before.tabletId}/move`, {}, auth), call('POST', `${m}/v1/tablets/${before.tabletId}/move`, {}, auth)]);
    const [accepted, refused] = a.status === 202 ? [a, b] : [b, a];
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    expect(refused.status, JSON.stringify(refused.body)).toBe(409);
    expect(refused.body.error.code).toBe('ALREADY_EXISTS');
    const started = accepted.body.migration;
    expect(started).toMatchObject({ tabletId: before.tabletId, table: 'moving', state: 'running', reason: 'manual', source: { serverId: before.location.serverId } });
    expect(started.target.serverId).not.toBe(before.location.serverId);
    expect(started.epoch).toBeGreaterThan(before.location.epoch);
    // While the master's record runs (until its next poll of the source at the latest) describe shows it migrating.
    const during = (await call('GET', `${m}/v1/tables/moving`)).body.tablets[3];
    expect(['migrating', 'serving']).toContain(during.state);
    if (during.reason !== undefined) expect(during.reason).toContain(`being moved to ${started.target.serverId} (${started.migrationId}`);

    const ended = await untilEnded(started.migrationId);
    expect(ended.state, JSON.stringify(ended)).toBe('committed');
    expect(ended.progress).toMatchObject({ migrationId: started.migrationId, outcome: 'committed' });
    expect(ended.progress.steps.map((s: any) => s.step)).toContain('commit');
    const after = (await call('GET', `${m}/v1/tables/moving`)).body.tablets[3];
    expect([after.lowerExclusive, after.upperInclusive]).toEqual([before.lowerExclusive, before.upperInclusive]);
    expect(after.location).toMatchObject({ serverId: started.target.serverId, epoch: started.epoch });
    expect((await call('GET', `${m}/v1/migrations`)).body.migrations[0].migrationId).toBe(started.migrationId);
    expect(await readAll()).toEqual(written);
  });

  it('moves a tablet to a named server', async () => {
    const t = (await call('GET', `${m}/v1/tables/moving`)).body.tablets[0];
    const to = ['ts1', 'ts2', 'ts3'].find((id) => id !== t.location.serverId)!;
    const r = await call('POST', `${m}/v1/tablets/${t.tabletId}/move`, { target: to }, auth);
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect((await untilEnded(r.body.migration.migrationId)).state).toBe('committed');
    const served = await allServing(m, 'moving');
    expect(served.tablets[0].location.serverId).toBe(to);
    expect(await readAll()).toEqual(written);
  });

  it('drains a server: it ends with no tablet, every cell reads back and takes writes', async () => {
    const meta = (await call('GET', `${m}/v1/meta/location`)).body.location.serverId;
    const d = await call('GET', `${m}/v1/tables/moving`);
    const counts = new Map<string, number>();
    for (const t of d.body.tablets) counts.set(t.location.serverId, (counts.get(t.location.serverId) ?? 0) + 1);
    // The busiest server that does not hold META (meta-move.test.ts drains META's).
    victim = ['ts1', 'ts2', 'ts3'].filter((id) => id !== meta).sort((x, y) => (counts.get(y) ?? 0) - (counts.get(x) ?? 0))[0]!;
    expect(counts.get(victim) ?? 0).toBeGreaterThan(0);
    expect((await call('POST', `${m}/v1/servers/${victim}/drain`, undefined, auth)).body).toMatchObject({ serverId: victim, draining: true });

    await waitFor(
      `${victim} empty`,
      async () => {
        const s = (await call('GET', `${m}/v1/servers`)).body.servers.find((x: any) => x.serverId === victim);
        return s.tablets === 0 && s.draining ? s : undefined;
      },
      180_000,
    );
    const served = await allServing(m, 'moving');
    expect(served.tablets.every((t: any) => t.location.serverId !== victim)).toBe(true);
    expect(await readAll()).toEqual(written);
    await kdi.table('moving').apply([{ row: 'zz-after-drain', column: 'c:v', value: 'yes' }], { waitForSync: true });
    written.set('zz-after-drain', 'yes');
    expect(await readAll()).toEqual(written);

    // META says where a tablet is at once; the master's records follow at its next poll of the source.
    const drains = await waitFor('the drain moves ended', async () => {
      const list = (await call('GET', `${m}/v1/migrations`)).body.migrations.filter((x: any) => x.reason === 'drain');
      return list.every((x: any) => x.state !== 'running') ? list : undefined;
    });
    expect(drains.map((x: any) => [x.source.serverId, x.state, x.error ?? ''])).toEqual(Array.from({ length: counts.get(victim)! }, () => [victim, 'committed', '']));
    const decisions = (await call('GET', `${m}/v1/balancer/decisions`)).body.decisions;
    const drainMoves = decisions.filter((x: any) => x.trigger === 'drain').flatMap((x: any) => x.moves);
    expect(drainMoves.length, JSON.stringify(decisions)).toBeGreaterThanOrEqual(counts.get(victim)!);
    expect(drainMoves.every((mv: any) => mv.reason === 'drain' && mv.from === victim)).toBe(true);
    expect((await call('DELETE', `${m}/v1/servers/${victim}/drain`, undefined, auth)).body.draining).toBe(false);
  });

  it('balances: moves tablets onto the emptied server, from the most loaded, with the reasons; every cell reads back', async () => {
    // Memory data to disk fragments, so the heartbeats carry the tablets' bytes.
    for (const [id, p] of servers) {
      if (id === victim) continue;
      const r = await call('POST', `${p.url}/v1/admin/serialize`, {}, { authorization: `Bearer ${CLUSTER_SECRET}` });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    await waitFor('the heartbeats carry bytes', async () => {
      const list = (await call('GET', `${m}/v1/servers`)).body.servers.filter((x: any) => x.serverId !== victim);
      return list.every((x: any) => x.diskBytes > 0) ? list : undefined;
    });
    const run = await call('POST', `${m}/v1/balancer/run`, {}, auth);
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const d = run.body.decision;
    expect(d.moves.length, JSON.stringify(d)).toBeGreaterThan(0);
    expect(d.moves.length).toBeLessThanOrEqual(2);
    for (const mv of d.moves) {
      expect(mv).toMatchObject({ reason: 'bytes-skew', to: victim, migrationId: expect.stringMatching(/^mig-/) });
      expect(mv.skewAfter.bytes).toBeLessThan(mv.skewBefore.bytes);
      expect(mv.explanation).toMatch(new RegExp(`^bytes skew .* > threshold 1 B: ${mv.from} is the most loaded`));
    }
    expect(d.skewAfter.bytes).toBeLessThan(d.skewBefore.bytes);
    for (const mv of d.moves) expect((await untilEnded(mv.migrationId)).state).toBe('committed');
    const served = await allServing(m, 'moving');
    expect(served.tablets.filter((t: any) => t.location.serverId === victim).length).toBe(d.moves.length);
    expect(await readAll()).toEqual(written);
    const kept = (await call('GET', `${m}/v1/balancer/decisions`)).body.decisions;
    expect(kept[0].decisionId).toBe(d.decisionId);
    expect((await call('GET', `${m}/v1/events?limit=1000`)).body.events.some((e: any) => e.kind === 'balancer-run' && e.message.includes(d.decisionId))).toBe(true);
  });

  it('a move whose source is killed ends as META says; every cell reads back once the tablet serves again', async () => {
    const meta = (await call('GET', `${m}/v1/meta/location`)).body.location.serverId;
    const tablets = (await allServing(m, 'moving')).tablets;
    const t = tablets.find((x: any) => x.location.serverId !== meta)!;
    const r = await call('POST', `${m}/v1/tablets/${t.tabletId}/move`, {}, auth);
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    await servers.get(t.location.serverId)!.kill();
    const ended = await untilEnded(r.body.migration.migrationId);
    expect(['committed', 'aborted']).toContain(ended.state);
    const served = await allServing(m, 'moving', 120_000);
    const now = served.tablets.find((x: any) => x.upperInclusive === t.upperInclusive && x.lowerExclusive === t.lowerExclusive);
    if (ended.state === 'committed') expect(now.location).toMatchObject({ serverId: ended.target.serverId, epoch: ended.epoch });
    else expect(ended.error).toMatch(/source .* (died|no longer reports)|abort/);
    expect(now.location.serverId).not.toBe(t.location.serverId);
    expect(await readAll()).toEqual(written);
  });
});
