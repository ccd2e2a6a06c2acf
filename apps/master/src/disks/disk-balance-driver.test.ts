// The automatic disk balance's decisions (disk-balance-driver.ts), with
// the servers' answers given (a DiskProxy over canned replies; the real
// proxy and server are in test/disk-proxy.test.ts): a started move, a
// balanced server, one with a migration running (waiting), one that does
// not answer (failed) — each with its reason; started and failed ones are
// events; a quiet decision replaces the server's previous quiet one.

import type { DiskBalanceReply, DiskMigrationListReply } from '@kdi/protocol';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { EventLog } from '../events/event-log.js';
import type { MasterContext } from '../node/master-context.js';
import { DiskBalanceDriver } from './disk-balance-driver.js';
import type { DiskProxy } from './disk-proxy.js';

const u = (used: number) => ({ usedBytes: used, capacityBytes: 100, usage: used / 100 });
const move = {
  tabletId: 'web-1',
  table: 'web',
  from: '/d0',
  to: '/d1',
  bytes: 30,
  fromBefore: u(80),
  fromAfter: u(50),
  toBefore: u(20),
  toAfter: u(50),
  skewBefore: 0.6,
  skewAfter: 0,
  explanation: '/d0 is at 80.0% and /d1 at 20.0% (mean 50.0%); web-1 (30 B) is the largest tablet that fits',
};

function reply(serverId: string, over: Partial<DiskBalanceReply['plan']> = {}, started = false): DiskBalanceReply {
  return {
    serverId,
    dryRun: false,
    options: { usageFloor: 0.5, skewThreshold: 0.1, minTabletBytes: 0, highWaterMark: 0.9, maxMoves: 32 },
    disks: [],
    plan: { moves: [], meanUsage: 0.5, skewBefore: 0.6, skewAfter: 0.6, running: 0, balanced: true, notes: ['balanced: usage skew 0.0% ≤ 10.0%'], ...over },
    ...(started && {
      started: {
        tablet: 'web-1',
        table: 'web',
        from: '/d0',
        to: '/d1',
        state: 'MOVING' as const,
        files: 1,
        filesCopied: 0,
        bytes: 30,
        bytesCopied: 0,
        startedAtMs: 1,
        oriFiles: 0,
      },
    }),
  };
}

describe('DiskBalanceDriver', () => {
  it('keeps a decision per server with its reason, and events for started and failed ones', async () => {
    const config = parseConfig({ lockUrl: 'http://127.0.0.1:9', clusterSecret: 'driver-test-secret-0123', diskBalance: 'auto', diskBalanceMinTabletBytes: 0 });
    const events = new EventLog(100);
    const ctx = {
      config,
      events,
      election: { role: 'active' },
      registry: { liveLoads: () => ['ts1', 'ts2', 'ts3', 'ts4'].map((serverId) => ({ serverId, url: '', diskBytes: 0, requestsPerSec: 0 })) },
      log: { warn: () => {} },
    } as unknown as MasterContext;
    const asked: { serverId: string; body: unknown }[] = [];
    let ts2Running = true;
    const proxy = {
      call: async (serverId: string, method: string, path: string, _schema: unknown, body?: unknown) => {
        if (serverId === 'ts4') throw new Error('server ts4 did not answer: ECONNREFUSED');
        if (method === 'GET' && path === '/disk-migrations') {
          const migrations: DiskMigrationListReply['migrations'] =
            serverId === 'ts2' && ts2Running
              ? [{ tablet: 'x', table: 'web', from: '/d0', to: '/d1', state: 'MOVING', files: 2, filesCopied: 1, bytes: 100, bytesCopied: 50, startedAtMs: 1, oriFiles: 0 }]
              : [];
          return { serverId, migrations };
        }
        asked.push({ serverId, body });
        return serverId === 'ts1' ? reply('ts1', { moves: [move], skewAfter: 0 }, true) : reply(serverId, { skewBefore: 0.05, skewAfter: 0.05 });
      },
    } as unknown as DiskProxy;
    const driver = new DiskBalanceDriver(ctx, proxy);

    const round = await driver.round();
    expect(round.map((d) => [d.serverId, d.outcome])).toEqual([
      ['ts1', 'started'],
      ['ts2', 'waiting'],
      ['ts3', 'balanced'],
      ['ts4', 'failed'],
    ]);
    // Asked with the master's thresholds, not a dry run; ts2 was not asked (a migration runs there).
    expect(asked).toEqual([
      { serverId: 'ts1', body: { dryRun: false, usageFloor: 0.5, skewThreshold: 0.1, minTabletBytes: 0 } },
      { serverId: 'ts3', body: { dryRun: false, usageFloor: 0.5, skewThreshold: 0.1, minTabletBytes: 0 } },
    ]);
    expect(round[0]!.reason).toBe(`moving web-1 /d0 → /d1: ${move.explanation}`);
    expect(round[0]!.move).toEqual(move);
    expect(round[1]!.reason).toMatch(/^a disk migration runs there: x \/d0 → \/d1 \(MOVING, 50 of 100 bytes\)/);
    expect(round[2]!.reason).toBe('balanced: usage skew 0.0% ≤ 10.0%');
    expect(round[3]!.reason).toContain('ECONNREFUSED');

    const kinds = events.list({ limit: 100 }).map((e) => [e.kind, e.serverId, e.tabletId]);
    expect(kinds).toEqual([
      ['disk-balance', 'ts1', 'web-1'],
      ['disk-balance', 'ts4', undefined],
    ]);
    expect(events.list({ limit: 100 })[0]!.message).toMatch(/^disk balance dd-1 on ts1: started \(skew 60\.0% → 0\.0%\): moving web-1/);

    // A second round: ts3 balanced again replaces its last quiet decision; ts2 now balanced is kept beside its waiting one.
    ts2Running = false;
    await driver.round();
    const all = driver.decisions();
    expect(all.filter((d) => d.serverId === 'ts3')).toHaveLength(1);
    expect(all.filter((d) => d.serverId === 'ts2').map((d) => d.outcome)).toEqual(['balanced', 'waiting']);
    expect(all.filter((d) => d.serverId === 'ts1').map((d) => d.outcome)).toEqual(['started', 'started']);
    expect(all.filter((d) => d.serverId === 'ts4')).toHaveLength(2);
    expect(driver.decisions(2)).toHaveLength(2);
    expect(driver.settings).toEqual({ mode: 'auto', intervalMs: 60_000, usageFloor: 0.5, skewThreshold: 0.1, minTabletBytes: 0 });
  });

  it('restores a previous master’s decisions and numbers its own above them', async () => {
    const config = parseConfig({ lockUrl: 'http://127.0.0.1:9', clusterSecret: 'driver-test-secret-0123' });
    const ctx = {
      config,
      events: new EventLog(10),
      election: { role: 'active' },
      registry: { liveLoads: () => [{ serverId: 'ts1', url: '', diskBytes: 0, requestsPerSec: 0 }] },
      log: { warn: () => {} },
    } as unknown as MasterContext;
    const proxy = {
      call: async (serverId: string, method: string) => (method === 'GET' ? { serverId, migrations: [] } : reply(serverId)),
    } as unknown as DiskProxy;
    const driver = new DiskBalanceDriver(ctx, proxy);
    let changes = 0;
    driver.onChange(() => changes++);
    driver.restore([{ decisionId: 'dd-7', at: '2026-12-07T00:00:00.000Z', serverId: 'ts9', outcome: 'started', reason: 'moving x /a → /b: why' }]);
    expect(changes).toBe(1);
    const [d] = await driver.round();
    expect(d!.decisionId).toBe('dd-8');
    expect(changes).toBe(2);
    expect(driver.decisions().map((x) => x.decisionId)).toEqual(['dd-8', 'dd-7']);
    expect(driver.settings.mode).toBe('off');
  });
});
