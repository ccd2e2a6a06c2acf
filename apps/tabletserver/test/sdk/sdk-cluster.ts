// A small real cluster for the SDK tests: an embedded lock server, three
// tablet-server processes and a FakeMaster (../cluster.ts) that puts META
// on the first server and spreads a table's tablets over all three.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type RunningLockServer, startEmbeddedLockServer } from '@kdi/client-sdk/test-support';
import { FakeMaster, kill9, type ServerProc, startServerProcess } from '../cluster.js';

export interface TabletSpec {
  readonly id: string;
  readonly lower?: string;
  readonly upper?: string;
  /** Index of the server in SdkCluster.servers. */
  readonly server: number;
}

export class SdkCluster {
  private readonly dirs: string[] = [];

  private constructor(
    readonly lock: RunningLockServer,
    readonly master: FakeMaster,
    readonly servers: ServerProc[],
  ) {}

  static async start(serverCount = 3, env: Record<string, string> = {}): Promise<SdkCluster> {
    // The lock server runs in the test process, which is busy encoding cells: a lease of 1 s (cluster.ts's default) could lapse.
    env = { KDI_TS_LEASE_TTL_MS: '10000', ...env };
    const lock = await startEmbeddedLockServer({ limits: { minTtlMs: 1000, lockDelayMs: 200 } });
    const master = await new FakeMaster(lock.url).start();
    const c = new SdkCluster(lock, master, []);
    for (let i = 0; i < serverCount; i++) await c.startServer(`ts-${i}`, env);
    ok(await master.assignMeta(c.servers[0]!));
    return c;
  }

  async startServer(serverId: string, env: Record<string, string> = {}): Promise<ServerProc> {
    const dataDir = await mkdtemp(join(tmpdir(), `kdi-sdk-${serverId}-`));
    this.dirs.push(dataDir);
    const p = await startServerProcess({ serverId, dataDir, lockUrl: this.lock.url, env });
    this.servers.push(p);
    return p;
  }

  get urls(): string[] {
    return this.servers.map((s) => s.url);
  }

  /** Creates the tablets of `table` in META and loads each on its server. */
  async createTable(table: string, tablets: readonly TabletSpec[]): Promise<void> {
    for (const t of tablets) {
      ok(await this.master.assign(this.servers[t.server]!, table, t.id, { ...(t.lower !== undefined && { lower: t.lower }), ...(t.upper !== undefined && { upper: t.upper }) }));
    }
  }

  /** Unloads tablet `id` (upper bound `upper`) from `from` and loads it on `to` as `newId`. */
  async move(table: string, id: string, upper: string | undefined, from: ServerProc, to: ServerProc, newId: string): Promise<void> {
    const unload = await this.master.admin('DELETE', `${from.url}/v1/admin/tablets/${id}`);
    expect(unload.status, JSON.stringify(unload.body)).toBe(204);
    ok(await this.master.assign(to, table, newId, upper === undefined ? {} : { upper }));
  }

  /** Splits tablet `id` on `server` after `row`. */
  async split(server: ServerProc, id: string, row: string, low: string, high: string): Promise<void> {
    ok(await this.master.admin('POST', `${server.url}/v1/admin/tablets/${id}/split`, { row, lowTabletId: low, highTabletId: high }), 200);
  }

  async close(): Promise<void> {
    await this.master.stop().catch(() => undefined);
    for (const p of this.servers) await kill9(p);
    await this.lock.close();
    for (const d of this.dirs) await rm(d, { recursive: true, force: true });
  }
}

export function ok(r: { status: number; body: unknown }, status = 201): void {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
}
