// Heartbeats from a real tablet-server process (two data directories) to
// the master's heartbeat receiver — a small HTTP server of this test
// standing in for the master (the peer, not the unit under test). The
// server finds the receiver through /kdi/master, sends a valid
// HeartbeatBody with the cluster secret: its tablets with sizes and
// request rates, both data directories, memory and lease. The receiver
// asks for a 60 s interval, so every later heartbeat it sees was sent at
// once — after a load, after a split (both halves in it), and to a new
// master as soon as /kdi/master names it. /kdi/servers/<id> and
// /v1/admin/status list both disks; a bad extra data directory stops the
// process at start with exit 2, naming it.

import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningLockServer, startEmbeddedLockServer } from '@kdi/client-sdk/test-support';
import { HeartbeatBodySchema, META_TABLE, type HeartbeatBody } from '@kdi/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_SECRET, FakeMaster, kill9, post, type ServerProc, spawnServerProcess, startServerProcess } from './cluster.js';

interface Received {
  readonly body: HeartbeatBody;
  readonly authorization: string | undefined;
}

/** The master's heartbeat endpoint, as this test's peer: records what arrives, answers a HeartbeatReply. */
class HeartbeatReceiver {
  readonly received: Received[] = [];
  readonly invalid: string[] = [];
  url = '';
  private constructor(private readonly server: Server) {}

  static async start(intervalMs: number): Promise<HeartbeatReceiver> {
    let self: HeartbeatReceiver | undefined;
    const server = createServer((req, res) => void self!.handle(req, res.writeHead.bind(res), res.end.bind(res), intervalMs));
    self = new HeartbeatReceiver(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    if (addr === null || typeof addr === 'string') throw new Error('no port');
    self.url = `http://127.0.0.1:${addr.port}`;
    return self;
  }

  private async handle(req: IncomingMessage, head: (s: number, h: Record<string, string>) => unknown, end: (b: string) => unknown, intervalMs: number): Promise<void> {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    const parsed = req.method === 'POST' && req.url === '/v1/cluster/heartbeat' ? HeartbeatBodySchema.safeParse(JSON.parse(text)) : undefined;
    if (parsed?.success !== true) {
      this.invalid.push(`${req.method} ${req.url} ${text.slice(0, 300)}`);
      head(400, { 'content-type': 'application/json' });
      end(JSON.stringify({ error: { code: 'INVALID_ARGUMENT', message: 'not a heartbeat' } }));
      return;
    }
    this.received.push({ body: parsed.data, authorization: req.headers.authorization });
    head(200, { 'content-type': 'application/json' });
    end(JSON.stringify({ masterUrl: this.url, intervalMs }));
  }

  /** The first heartbeat received (from `from` on) that satisfies `ok`. */
  async waitFor(what: string, ok: (b: HeartbeatBody) => boolean, from = 0, timeoutMs = 30_000): Promise<HeartbeatBody> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.received.slice(from).find((r) => ok(r.body));
      if (hit !== undefined) return hit.body;
      if (Date.now() > deadline) throw new Error(`timed out waiting for a heartbeat: ${what}; got ${JSON.stringify(this.received.map((r) => r.body.reason))}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

describe('heartbeats to the master', () => {
  let lock: RunningLockServer;
  let receiver: HeartbeatReceiver;
  let master: FakeMaster;
  let ts: ServerProc;
  const dirs: string[] = [];

  beforeAll(async () => {
    lock = await startEmbeddedLockServer({ limits: { minTtlMs: 1000, lockDelayMs: 200 } });
    receiver = await HeartbeatReceiver.start(60_000);
    master = await new FakeMaster(lock.url).start(receiver.url);
    for (const name of ['data', 'extra']) dirs.push(await mkdtemp(join(tmpdir(), `kdi-hb-${name}-`)));
  }, 60_000);
  afterAll(async () => {
    if (ts) await kill9(ts);
    await master?.stop();
    await master?.lock.close();
    await receiver?.close();
    await lock?.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('reports tablets, disks and memory, and at once after a load, a split and a new master', async () => {
    const [dataDir, extraDir] = dirs as [string, string];
    ts = await startServerProcess({
      serverId: 'hb-1',
      dataDir,
      lockUrl: lock.url,
      env: { KDI_TS_EXTRA_DATA_DIRS: extraDir, KDI_TS_SPLIT_CHECK_INTERVAL_MS: '0', KDI_TS_LEASE_TTL_MS: '2000' },
    });

    const first = await receiver.waitFor('the first', () => true);
    expect(first).toMatchObject({ serverId: 'hb-1', url: ts.url, reason: 'start', encoding: 'utf8', tablets: [] });
    expect(receiver.received[0]!.authorization).toBe(`Bearer ${CLUSTER_SECRET}`);
    expect(first.disks.map((d) => d.path)).toEqual([dataDir, extraDir]);
    for (const d of first.disks) {
      expect(d.capacityBytes).toBeGreaterThan(0);
      expect(d.freeBytes).toBeLessThanOrEqual(d.capacityBytes);
    }
    expect(first.disks[0]!.kdiBytes).toBeGreaterThan(0); // the engine's log and manifest
    expect(first.memory.rssBytes).toBeGreaterThan(0);
    expect(first.memory.memoryBudgetBytes).toBe(64 << 20);
    expect(first.leaseRemainingMs).toBeGreaterThan(0);
    expect(Date.parse(first.startedAt)).not.toBeNaN();

    // /kdi/servers/<id> and the status name both data directories.
    const file = await master.lock.getFile('/kdi/servers/hb-1');
    expect(JSON.parse(file.contents!).disks).toEqual([dataDir, extraDir]);
    const status = await fetch(`${ts.url}/v1/admin/status`, { headers: { authorization: `Bearer ${CLUSTER_SECRET}` } });
    expect(((await status.json()) as { disks: { path: string }[] }).disks.map((d) => d.path)).toEqual([dataDir, extraDir]);

    // A load: the master's view changes at once (the interval is 60 s).
    expect((await master.assignMeta(ts)).status).toBe(201);
    let mark = receiver.received.length;
    expect((await master.assign(ts, 'hb', 'hb-t1')).status).toBe(201);
    const loaded = await receiver.waitFor('after the load', (b) => b.reason === 'load' && b.tablets.some((t) => t.tabletId === 'hb-t1'), mark);
    expect(loaded.tablets.find((t) => t.table === META_TABLE)).toMatchObject({ state: 'serving' });
    expect(loaded.tablets.find((t) => t.tabletId === 'hb-t1')).toMatchObject({ table: 'hb', state: 'serving', diskBytes: 0 });

    // Writes, flushed to disk, then a split: the halves arrive at once, with sizes and the parent's write rate shared.
    const cells = Array.from({ length: 40 }, (_, i) => ({ row: `r${String(i).padStart(2, '0')}`, column: 'f:x', timestamp: 1, value: `v${i}` }));
    expect((await post(`${ts.url}/v1/tables/hb/apply`, { cells })).status).toBe(200);
    expect((await post(`${ts.url}/v1/tables/hb/scan`, { predicate: '' })).status).toBe(200);
    expect((await post(`${ts.url}/v1/admin/serialize`, {}, true)).status).toBe(200);
    mark = receiver.received.length;
    const split = await master.admin('POST', `${ts.url}/v1/admin/tablets/hb-t1/split`, { row: 'r19', lowTabletId: 'hb-lo', highTabletId: 'hb-hi' });
    expect(split.status, JSON.stringify(split.body)).toBe(200);
    const afterSplit = await receiver.waitFor('after the split', (b) => b.reason === 'split', mark);
    const halves = afterSplit.tablets.filter((t) => t.table === 'hb');
    expect(halves.map((t) => [t.tabletId, t.lowerExclusive, t.upperInclusive])).toEqual([
      ['hb-lo', undefined, 'r19'],
      ['hb-hi', 'r19', undefined],
    ]);
    for (const t of halves) {
      expect(t.diskBytes).toBeGreaterThan(0);
      expect(t.writesPerSec).toBeGreaterThan(0);
      expect(t.readsPerSec).toBeGreaterThan(0);
    }

    // A new master: heartbeats go to it as soon as /kdi/master names it.
    const second = await HeartbeatReceiver.start(60_000);
    try {
      await master.lock.setContents('/kdi/master', second.url);
      const atNew = await second.waitFor('at the new master', () => true);
      expect(atNew.tablets.map((t) => t.tabletId).sort()).toEqual(['hb-hi', 'hb-lo', 'meta']);
    } finally {
      await second.close();
    }
    expect(receiver.invalid).toEqual([]);
  });

  it('refuses to start with a bad extra data directory, exit 2 naming it', async () => {
    const file = join(dirs[1]!, 'not-a-dir');
    await writeFile(file, 'x');
    const p = spawnServerProcess({ serverId: 'hb-bad', dataDir: join(dirs[0]!, 'bad'), lockUrl: lock.url, env: { KDI_TS_EXTRA_DATA_DIRS: file } });
    const code = await new Promise<number | null>((resolve) => p.child.once('exit', resolve));
    expect(code).toBe(2);
    expect(p.output()).toContain(`KDI_TS_EXTRA_DATA_DIRS: ${file}`);
  });
});
