// Test support for cluster tests: real tablet-server processes (compiled
// on the fly by tsx, on 127.0.0.1 with random ports) joined to a real lock
// server, and a FakeMaster that does what the master will do (DESIGN §7,
// §9): put META's location in /kdi/root, write a tablet's `location:` with
// a new epoch in META, and ask a server to load it.

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LockClient, type LockSession } from '@kdi/client-sdk';
import { startServiceProcess } from '@kdi/service-kit/testing';
import { type Sequencer, META_TABLE, type TabletConfig } from '@kdi/protocol';
import { MetaTableClient } from '@kdi/client-sdk';
import { HttpMetaRows } from '@kdi/client-sdk';
import { EMPTY_ROOT, readRoot, writeRoot } from '@kdi/client-sdk';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
export const CLUSTER_SECRET = 'cluster-test-secret-0123456789';

export interface ServerProc {
  readonly serverId: string;
  readonly child: ChildProcess;
  readonly url: string;
  /** stderr and stdout so far. */
  output(): string;
}

export interface ServerProcessOptions {
  readonly serverId: string;
  readonly dataDir: string;
  readonly lockUrl: string;
  readonly env?: Record<string, string>;
}

/** A cluster member's environment: 2 s leases (1 s was lost to a starved machine while joining), warnings only; `opts.env` overrides. */
function serverEnv(opts: ServerProcessOptions): Record<string, string> {
  return {
    KDI_TS_SERVER_ID: opts.serverId,
    KDI_TS_DATA_DIR: opts.dataDir,
    KDI_TS_PORT: '0',
    KDI_TS_CLUSTER_SECRET: CLUSTER_SECRET,
    KDI_TS_LOCK_URL: opts.lockUrl,
    KDI_TS_LEASE_TTL_MS: '2000',
    KDI_TS_LOG_LEVEL: 'warn',
    ...opts.env,
  };
}

/** Starts a tablet server process joined to the lock server (the chassis' launcher); resolves once it listens. */
export async function startServerProcess(opts: ServerProcessOptions): Promise<ServerProc> {
  const p = await startServiceProcess({ main: MAIN, name: `tablet server ${opts.serverId}`, env: serverEnv(opts) });
  return { serverId: opts.serverId, child: p.child, url: p.url, output: p.output };
}

/**
 * Spawns a tablet server process without waiting for its listening line
 * (one that cannot join the cluster never prints it; give it KDI_TS_PORT
 * to reach it). `output()` is its stderr and stdout so far.
 */
export function spawnServerProcess(opts: ServerProcessOptions): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--conditions=kdi-source', '--import', 'tsx', MAIN], {
    env: { PATH: process.env.PATH ?? '', ...serverEnv(opts) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

/** SIGKILL, and wait for the exit. */
export async function kill9(p: ServerProc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((res) => p.child.once('exit', res));
  p.child.kill('SIGKILL');
  await exited;
}

export async function post(url: string, body: unknown, admin = false): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(admin && { authorization: `Bearer ${CLUSTER_SECRET}` }) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

/** Every cell of `table` on the server at `base`, as "row|column" → value. */
export async function scanTable(base: string, table: string, predicate: unknown = ''): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let resume: string | undefined;
  for (;;) {
    const r = await post(`${base}/v1/tables/${table}/scan`, { predicate, maxCells: 1000, ...(resume && { resume }) });
    if (r.status !== 200) throw new Error(`scan of ${table} at ${base}: ${r.status} ${JSON.stringify(r.body)}`);
    for (const c of r.body.cells as { row: string; column: string; value: string }[]) out.set(`${c.row}|${c.column}`, c.value);
    if (r.body.end) return out;
    resume = r.body.resume;
  }
}

const enc = (s: string | undefined) => (s === undefined ? undefined : Buffer.from(s, 'utf8'));

/** What the master does, by hand: it holds /kdi/master (start()) and sends its sequencer on assignment calls. */
export class FakeMaster {
  readonly lock: LockClient;
  private epoch = 0;
  private session: LockSession | undefined;
  private sequencer: Sequencer | undefined;

  constructor(lockUrl: string) {
    this.lock = new LockClient({ url: lockUrl, ttlMs: 5000 });
  }

  /**
   * Becomes master: the exclusive lock on /kdi/master (waits for a previous
   * holder to let go). `url` goes into the file, where tablet servers look
   * for the master's heartbeat receiver; by default no URL.
   */
  async start(url = 'fake'): Promise<this> {
    this.session = await this.lock.openSession({ ttlMs: 5000 });
    await this.session.createFile('/kdi/master', { ephemeral: true, contents: url }).catch(() => undefined);
    const got = await this.session.acquire('/kdi/master', { mode: 'exclusive', waitMs: 10_000 });
    if (!got.acquired) throw new Error(`could not become master: ${got.reason}`);
    this.sequencer = got.sequencer;
    return this;
  }

  /** Stops being master (its sequencer goes stale). */
  async stop(): Promise<void> {
    await this.session?.close();
    this.session = undefined;
  }

  /** The header carrying this master's sequencer. */
  get headers(): Record<string, string> {
    return this.sequencer ? { 'x-kdi-sequencer': JSON.stringify(this.sequencer) } : {};
  }

  /** An admin call as this master (cluster secret and sequencer). */
  async admin(method: 'POST' | 'DELETE' | 'GET', url: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${CLUSTER_SECRET}`, ...this.headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json().catch(() => undefined) };
  }

  /** META read and written at the server that serves it now (per the root). */
  async meta(): Promise<MetaTableClient> {
    const root = await readRoot(this.lock);
    const url = root?.config.location?.url;
    if (url === undefined) throw new Error('META has no location');
    return new MetaTableClient(new HttpMetaRows(url, CLUSTER_SECRET));
  }

  /** Assigns META to `server` (a new epoch in /kdi/root) and loads it there. */
  async assignMeta(server: ServerProc): Promise<{ status: number; body: any }> {
    const epoch = ++this.epoch;
    const root = await readRoot(this.lock);
    const config = root?.config ?? EMPTY_ROOT;
    await writeRoot(this.lock, { ...config, location: { serverId: server.serverId, url: server.url, epoch } }, root?.generation);
    return this.admin('POST', `${server.url}/v1/admin/tablets`, { table: META_TABLE, tabletId: 'meta', epoch });
  }

  /**
   * Assigns the tablet of `table` ending at `upper` (creating its META row
   * with lower bound `lower` when there is none) to `server` with a new
   * epoch, and loads it there.
   */
  async assign(server: ServerProc, table: string, tabletId: string, range: { lower?: string; upper?: string } = {}): Promise<{ status: number; body: any }> {
    const epoch = ++this.epoch;
    const meta = await this.meta();
    const upperInclusive = enc(range.upper);
    const { config, txn } = await meta.readTablet(table, upperInclusive);
    const base: TabletConfig = config ?? { table, lowerExclusive: enc(range.lower), upperInclusive, location: undefined, logs: [], fragments: {}, state: undefined };
    const expect = config?.location && { serverId: config.location.serverId, epoch: config.location.epoch };
    await meta.writeTablet({ ...base, location: { serverId: server.serverId, url: server.url, epoch }, state: 'loading' }, expect, txn);
    return this.admin('POST', `${server.url}/v1/admin/tablets`, { table, tabletId, epoch, ...(range.upper !== undefined && { upperInclusive: range.upper }) });
  }

  /**
   * Asks `from` to move tablet `tabletId` to `to` with a new epoch (what the
   * master's POST /v1/tablets/{id}/move does, docs/migration.md).
   */
  async migrate(from: ServerProc, to: ServerProc, tabletId: string, migrationId: string): Promise<{ status: number; body: any; epoch: number }> {
    const epoch = ++this.epoch;
    const r = await this.admin('POST', `${from.url}/v1/admin/tablets/${tabletId}/migrate`, { migrationId, target: { serverId: to.serverId, url: to.url }, epoch });
    return { ...r, epoch };
  }

  /** The tablet's config in META. */
  async config(table: string, upper?: string): Promise<TabletConfig | undefined> {
    return (await (await this.meta()).readTablet(table, enc(upper))).config;
  }
}
