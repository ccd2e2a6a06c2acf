// The master's history survives a failover (docs/master.md "History"): a
// lock server (the embedded store: the history file is written through the
// lock-service API, whose compare-and-set both backends pass in the store
// conformance suite), three tablet servers and two masters, real processes. The
// first master finds a history file that is not one, says so and becomes
// active all the same. It moves a tablet and runs the balancer (any byte of skew:
// it moves tablets); once its history file holds them it starts one more
// move, held at the target's commit (test-only KDI_TS_MIGRATION_PAUSE_AT),
// and is killed with SIGKILL at once. The standby takes over, and its GET
// /v1/migrations, GET /v1/balancer/decisions and GET /v1/events still list
// the moves with their outcomes, the decision with its reasons and figures,
// and the old master's events (seqs going on after them); the move that
// was running during the failover is listed by the new master and ends
// with the outcome META shows. New decisions get ids above the restored ones.

import { connect, contentsBytes, LockClient } from '@kdi/client-sdk';
import type { ServiceProcess } from '@kdi/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeHistory, HISTORY_PATH, type History } from '../src/history/history-file.js';
import { allServing, call, CLUSTER_SECRET, startMaster, startTabletServer, tempDir, waitFor } from './cluster.js';
import { startLockService, type LockService } from './faults/fault-cluster.js';

const SPLITS = ['c', 'f', 'i', 'l', 'o', 'r', 'u'];
const ROWS = Array.from({ length: 26 * 4 }, (_, i) => `${String.fromCharCode(97 + Math.floor(i / 4))}${i % 4}`);
/** How long each move waits at the target before its META write: the failover happens inside it. */
const PAUSE_MS = 8_000;
const MASTER_ENV = {
  KDI_MASTER_BALANCE_INTERVAL_MS: '0',
  KDI_MASTER_BALANCE_MAX_MOVES: '2',
  KDI_MASTER_BALANCE_BYTES_SKEW: '1',
  KDI_MASTER_BALANCE_RATE_SKEW: '1000000',
  KDI_MASTER_HISTORY_FLUSH_MS: '500',
};

async function untilEnded(m: string, migrationId: string): Promise<any> {
  return waitFor(
    `move ${migrationId} ended`,
    async () => {
      const r = await call('GET', `${m}/v1/migrations/${migrationId}`);
      return r.status === 200 && r.body.state !== 'running' ? r.body : undefined;
    },
    120_000,
  );
}

async function historyFile(lockClient: LockClient): Promise<History | undefined> {
  const file = await lockClient.getFile(HISTORY_PATH, { encoding: 'base64' }).catch(() => undefined);
  if (file === undefined) return undefined;
  const d = decodeHistory(contentsBytes(file));
  return d.ok ? d.history : undefined;
}

describe.each(['embedded'] as const)('the master history across a failover, lock server on %s', (backend) => {
  let lock: LockService;
  let lockClient: LockClient;
  const servers = new Map<string, ServiceProcess>();
  const masters: ServiceProcess[] = [];
  let dir: { path: string; remove: () => Promise<void> };

  beforeAll(async () => {
    dir = await tempDir('kdi-history-failover-');
    lock = await startLockService(backend, dir.path);
    lockClient = new LockClient({ url: lock.url });
    const pause = { KDI_TS_MIGRATION_PAUSE_AT: 'target-commit', KDI_TS_MIGRATION_PAUSE_MS: String(PAUSE_MS) };
    for (const id of ['ts1', 'ts2', 'ts3']) servers.set(id, await startTabletServer(id, `${dir.path}/${id}`, lock.url, pause));
    // A history file that is not one: the first master must become active all the same (and replace it).
    await lockClient.createFile(HISTORY_PATH, { contents: 'left by something else' });
    masters.push(await startMaster(lock.url, MASTER_ENV));
    const m = masters[0]!.url;
    await waitFor('META assigned', async () => (await call('GET', `${m}/v1/meta/location`)).body.location);
    expect((await call('POST', `${m}/v1/tables`, { name: 'hist', splits: SPLITS })).status).toBe(201);
    await allServing(m, 'hist');
    const kdi = await connect({ master: m });
    await kdi.table('hist').apply(
      ROWS.map((row) => ({ row, column: 'c:v', value: `v-${row}` })),
      { waitForSync: true },
    );
    await kdi.close();
    // Memory data to disk fragments, so the heartbeats carry bytes for the balancer.
    for (const p of servers.values()) await call('POST', `${p.url}/v1/admin/serialize`, {}, { authorization: `Bearer ${CLUSTER_SECRET}` });
    masters.push(await startMaster(lock.url, MASTER_ENV));
    expect((await call('GET', `${masters[1]!.url}/v1/master`)).body.role).toBe('standby');
  }, 240_000);

  afterAll(async () => {
    await lockClient?.close();
    for (const m of masters) await m.stop();
    for (const s of servers.values()) await s.stop();
    await lock?.close();
    await dir?.remove();
  });

  it('a new master lists the moves, balancer decisions and events of the one killed, and the move running during the failover ends', async () => {
    const [first, standby] = masters as [ServiceProcess, ServiceProcess];
    const m = first.url;
    expect(first.output()).toMatch(/the master history \(\/kdi\/master-history\) is unreadable: not gzip-compressed JSON/);

    // A move, to its end.
    const tablets = (await allServing(m, 'hist')).tablets;
    const meta = (await call('GET', `${m}/v1/meta/location`)).body.location.serverId;
    const x = tablets.find((t: any) => t.location.serverId !== meta)!;
    const moved = await call('POST', `${m}/v1/tablets/${x.tabletId}/move`, {});
    expect(moved.status, JSON.stringify(moved.body)).toBe(202);
    const movedEnd = await untilEnded(m, moved.body.migration.migrationId);
    expect(movedEnd.state, JSON.stringify(movedEnd)).toBe('committed');

    // A balancer run that planned moves, to their ends.
    await waitFor('the heartbeats carry bytes', async () => {
      const list = (await call('GET', `${m}/v1/servers`)).body.servers;
      return list.filter((s: any) => s.diskBytes > 0).length >= 2 ? list : undefined;
    });
    const run = await call('POST', `${m}/v1/balancer/run`, {});
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const decision = run.body.decision;
    expect(decision.moves.length, JSON.stringify(decision)).toBeGreaterThan(0);
    const balanceEnds: any[] = [];
    for (const mv of decision.moves) if (mv.migrationId !== undefined) balanceEnds.push(await untilEnded(m, mv.migrationId));
    expect(balanceEnds.length).toBeGreaterThan(0);
    const before = {
      migrations: (await call('GET', `${m}/v1/migrations`)).body.migrations,
      decisions: (await call('GET', `${m}/v1/balancer/decisions`)).body.decisions,
      events: (await call('GET', `${m}/v1/events?limit=1000`)).body.events,
    };

    // Written to the lock service (batched: within KDI_MASTER_HISTORY_FLUSH_MS).
    const written = await waitFor('the history file holds the moves and the decision', async () => {
      const h = await historyFile(lockClient);
      const ended = new Set(h?.migrations.filter((r) => r.state !== 'running').map((r) => r.migrationId));
      const lastSeq = before.events.at(-1).seq;
      return h !== undefined &&
        ended.has(movedEnd.migrationId) &&
        balanceEnds.every((e) => ended.has(e.migrationId)) &&
        h.decisions.some((d) => d.decisionId === decision.decisionId) &&
        (h.events.at(-1)?.seq ?? 0) >= lastSeq
        ? h
        : undefined;
    });

    const size = (await lockClient.stat(HISTORY_PATH)).size;
    console.log(
      `[history ${backend}] /kdi/master-history: ${written.migrations.length} move(s), ${written.decisions.length} decision(s), ${written.events.length} event(s) in ${size} bytes`,
    );

    // One more move, held at the target; the master is killed right after starting it.
    const served = (await allServing(m, 'hist')).tablets;
    const y = served.find((t: any) => t.location.serverId !== meta && t.tabletId !== x.tabletId)!;
    const running = await call('POST', `${m}/v1/tablets/${y.tabletId}/move`, {});
    expect(running.status, JSON.stringify(running.body)).toBe(202);
    const yId = running.body.migration.migrationId;
    const killedAt = performance.now();
    await first.kill();

    await waitFor('the standby active', async () => ((await call('GET', `${standby.url}/v1/master`)).body.role === 'active' ? true : undefined), 120_000);
    const n = standby.url;
    const activeMs = Math.round(performance.now() - killedAt);

    // The moves, with their outcomes, as the old master showed them.
    const migrations = (await call('GET', `${n}/v1/migrations`)).body.migrations;
    for (const e of [movedEnd, ...balanceEnds]) {
      const got = migrations.find((r: any) => r.migrationId === e.migrationId);
      expect(got, `${e.migrationId} on the new master`).toMatchObject({
        state: e.state,
        reason: e.reason,
        tabletId: e.tabletId,
        source: e.source,
        target: e.target,
        epoch: e.epoch,
        endedAt: e.endedAt,
      });
      expect(got.progress?.outcome).toBe(e.state);
    }
    expect(migrations.find((r: any) => r.migrationId === movedEnd.migrationId).reason).toBe('manual');
    expect(balanceEnds.every((e) => migrations.find((r: any) => r.migrationId === e.migrationId).decisionId === decision.decisionId)).toBe(true);

    // The balancer's decision with its reasons and figures.
    const decisions = (await call('GET', `${n}/v1/balancer/decisions`)).body.decisions;
    expect(decisions.find((d: any) => d.decisionId === decision.decisionId)).toEqual(before.decisions.find((d: any) => d.decisionId === decision.decisionId));
    expect(decision.moves[0].explanation).toMatch(/^bytes skew/);

    // The old master's events, then the new master's, seqs going on.
    const events = (await call('GET', `${n}/v1/events?limit=1000`)).body.events;
    for (const e of before.events) expect(events.find((x: any) => x.seq === e.seq)).toEqual(e);
    const elected = events.filter((e: any) => e.kind === 'master-elected');
    expect(elected.map((e: any) => e.message.split(' ')[0])).toEqual([m, n]);
    expect(events.map((e: any) => e.seq)).toEqual([...events.map((e: any) => e.seq)].sort((a, b) => a - b));
    expect(events.some((e: any) => e.kind === 'balancer-run' && e.message.includes(decision.decisionId))).toBe(true);
    expect(events.some((e: any) => e.kind === 'migration-committed' && e.message.includes(movedEnd.migrationId))).toBe(true);

    // The move that was running: listed by the new master (from the history or from its source), and it ends.
    const yNow = await waitFor(`move ${yId} known to the new master`, async () => {
      const r = await call('GET', `${n}/v1/migrations/${yId}`);
      return r.status === 200 ? r.body : undefined;
    });
    console.log(
      `[history ${backend}] the standby was active ${activeMs} ms after the kill; move ${yId} listed ${Math.round(performance.now() - killedAt)} ms after it: state ${yNow.state}, ` +
        `reason ${yNow.reason} (${yNow.reason === 'unknown' ? 'learned from its source' : 'from the history file'})`,
    );
    expect(yNow.tabletId).toBe(y.tabletId);
    expect(yNow.source.serverId).toBe(y.location.serverId);
    const yEnd = await untilEnded(n, yId);
    expect(['committed', 'aborted'], JSON.stringify(yEnd)).toContain(yEnd.state);
    const after = (await allServing(n, 'hist', 120_000)).tablets.find((t: any) => t.upperInclusive === y.upperInclusive);
    if (yEnd.state === 'committed') expect(after.location.serverId).toBe(yEnd.target.serverId);
    else expect(after.location.serverId).toBe(y.location.serverId);
    const endEvents = (await call('GET', `${n}/v1/events?limit=1000`)).body.events;
    expect(endEvents.some((e: any) => e.kind === `migration-${yEnd.state}` && e.message.includes(yId))).toBe(true);

    // The new master's own decisions are numbered after the restored ones.
    const dry = await call('POST', `${n}/v1/balancer/run`, { dryRun: true });
    expect(Number(dry.body.decision.decisionId.slice(2))).toBeGreaterThan(Number(decision.decisionId.slice(2)));

    // And it writes the history itself now.
    await waitFor('the new master writes the history', async () => ((await historyFile(lockClient))?.writer.url === n ? true : undefined));
  }, 300_000);
});
