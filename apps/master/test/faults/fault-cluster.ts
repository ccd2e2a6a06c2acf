// Test support for the fault and scale tests of the master (issue 9,
// "Tests"): a whole cluster of real processes on 127.0.0.1 — a lock server
// on either backend (the embedded store, or Redis: a private redis-server
// of this suite on a free port, its own directory, stopped by PID), tablet
// servers and masters (spawned from their src/main.ts through tsx; apps
// never import apps) — with short leases so failures are detected in
// seconds. The timings are configuration: tests derive their bounds from
// TIMINGS, never from a measured speed.
//
// Promises:
//  - every process is started with a random port and a temporary
//    directory, and stopped by its PID (a stopped one — SIGSTOP — is
//    continued first); close() removes every directory;
//  - startFaultCluster() resolves once the lock service grants locks (a
//    Redis-backed lock server starts in safe mode), every tablet server
//    has joined, the master is active and META is served.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LockClient } from '@kdi/client-sdk';
import { startServiceProcess, type ServiceProcess } from '@kdi/service-kit/testing';
import { call, CLUSTER_SECRET, waitFor, type Reply } from '../cluster.js';

const TABLET_SERVER_MAIN = fileURLToPath(new URL('../../../tabletserver/src/main.ts', import.meta.url));
const LOCK_SERVER_MAIN = fileURLToPath(new URL('../../../lockserver/src/main.ts', import.meta.url));
const MASTER_MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export type LockBackend = 'embedded' | 'redis';
export const BACKENDS: readonly LockBackend[] = ['embedded', 'redis'];

/** The configured timings every fault test derives its bounds from. */
export const TIMINGS = {
  /** KDI_TS_LEASE_TTL_MS: a tablet server whose lease ran out acknowledges nothing. */
  tabletLeaseMs: 2_000,
  /** KDI_MASTER_LEASE_TTL_MS. */
  masterLeaseMs: 2_000,
  /** KDI_LOCK_LOCK_DELAY_MS: a lost lock is not granted again (nor a dead server's tablets moved) before this. */
  lockDelayMs: 500,
  /** KDI_LOCK_MAX_TTL_MS: also the length of a Redis-backed lock server's safe mode at its first start. */
  lockMaxTtlMs: 4_000,
  /** KDI_MASTER_HEARTBEAT_INTERVAL_MS. */
  heartbeatMs: 500,
} as const;

/** Issue 9's bound on recovery after a tablet server dies: lease + lock-delay + 10 s. */
export const RECOVERY_BOUND_MS = TIMINGS.tabletLeaseMs + TIMINGS.lockDelayMs + 10_000;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- Redis ---------------------------------------------------------------

/** A TCP port that was free on 127.0.0.1 a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

function redisPing(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('PING timed out'));
    }, 1_000);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.includes('\r\n')) {
        clearTimeout(timer);
        socket.destroy();
        resolve(buffer.slice(0, buffer.indexOf('\r\n')));
      }
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

interface RedisProcess {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** A private redis-server (no persistence: the lock state lives as long as the test). */
async function startRedis(dir: string): Promise<RedisProcess> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--logfile', join(dir, 'redis.log')], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGTERM');
    await exited;
  };
  await waitFor(
    `redis-server on port ${port}`,
    async () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      return (await redisPing(port)) === '+PONG' ? true : undefined;
    },
    15_000,
  ).catch(async (e: unknown) => {
    await stop();
    throw e;
  });
  return { url: `redis://127.0.0.1:${port}`, child, stop };
}

// ---- the lock service ----------------------------------------------------

export interface LockService {
  readonly backend: LockBackend;
  readonly url: string;
  readonly process: ServiceProcess;
  close(): Promise<void>;
}

/** A lock server on `backend`, granting locks (safe mode over) when this resolves. */
export async function startLockService(backend: LockBackend, dir: string): Promise<LockService> {
  const redis = backend === 'redis' ? await startRedis(dir) : undefined;
  let proc: ServiceProcess;
  try {
    proc = await startServiceProcess({
      main: LOCK_SERVER_MAIN,
      name: `lock server (${backend})`,
      startTimeoutMs: START_TIMEOUT_MS,
      env: {
        KDI_LOCK_HOST: '127.0.0.1',
        KDI_LOCK_PORT: '0',
        KDI_LOCK_BACKEND: backend,
        ...(redis ? { KDI_LOCK_REDIS_URL: redis.url } : { KDI_LOCK_DATA_DIR: join(dir, 'lock') }),
        KDI_LOCK_MIN_TTL_MS: '100',
        KDI_LOCK_MAX_TTL_MS: String(TIMINGS.lockMaxTtlMs),
        KDI_LOCK_LOCK_DELAY_MS: String(TIMINGS.lockDelayMs),
        KDI_LOCK_LOG_LEVEL: 'warn',
      },
    });
  } catch (e) {
    await redis?.stop();
    throw e;
  }
  // The lock server would have a host of its own; here it shares two cores
  // with everything under test. A higher priority (where allowed) keeps
  // short leases from expiring while it waits for a time slice.
  try {
    setPriority(proc.pid, -10);
  } catch {
    // not permitted: the default priority
  }
  const close = async () => {
    await proc.stop();
    await redis?.stop();
  };
  const client = new LockClient({ url: proc.url });
  try {
    await waitFor('the lock service out of safe mode', async () => ((await client.status()).safeModeRemainingMs === 0 ? true : undefined), 30_000);
  } catch (e) {
    await close();
    throw e;
  } finally {
    await client.close();
  }
  return { backend, url: proc.url, process: proc, close };
}

// ---- tablet servers and masters -----------------------------------------

export interface TabletServerHandle {
  readonly id: string;
  readonly dataDir: string;
  readonly process: ServiceProcess;
  readonly url: string;
}

/** Process starts may take long on a busy machine (tsx compiles on each start). */
const START_TIMEOUT_MS = 150_000;

export function startFaultTabletServer(id: string, dataDir: string, lockUrl: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  return startServiceProcess({
    main: TABLET_SERVER_MAIN,
    name: `tablet server ${id}`,
    startTimeoutMs: START_TIMEOUT_MS,
    env: {
      KDI_TS_SERVER_ID: id,
      KDI_TS_DATA_DIR: dataDir,
      KDI_TS_PORT: '0',
      KDI_TS_CLUSTER_SECRET: CLUSTER_SECRET,
      KDI_TS_LOCK_URL: lockUrl,
      KDI_TS_LEASE_TTL_MS: String(TIMINGS.tabletLeaseMs),
      KDI_TS_SPLIT_CHECK_INTERVAL_MS: '0',
      KDI_TS_WORKER_THREADS: '0',
      KDI_TS_LOG_LEVEL: 'warn',
      ...env,
    },
  });
}

export function startFaultMaster(lockUrl: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  return startServiceProcess({
    main: MASTER_MAIN,
    name: 'master',
    startTimeoutMs: START_TIMEOUT_MS,
    env: {
      KDI_MASTER_PORT: '0',
      KDI_MASTER_LOCK_URL: lockUrl,
      KDI_MASTER_CLUSTER_SECRET: CLUSTER_SECRET,
      KDI_MASTER_LEASE_TTL_MS: String(TIMINGS.masterLeaseMs),
      KDI_MASTER_HEARTBEAT_INTERVAL_MS: String(TIMINGS.heartbeatMs),
      KDI_MASTER_GC_INTERVAL_MS: '0',
      KDI_MASTER_LOG_LEVEL: 'warn',
      ...env,
    },
  });
}

export interface FaultClusterOptions {
  readonly backend: LockBackend;
  /** Tablet servers ts1..tsN (default 3). */
  readonly tabletServers?: number;
  /** KDI_MASTER_* overrides for every master started. */
  readonly masterEnv?: Record<string, string>;
  /** KDI_TS_* overrides for the tablet servers the cluster starts (e.g. a test-only crash point). */
  readonly tabletServerEnv?: Record<string, string>;
}

export interface FaultCluster {
  readonly backend: LockBackend;
  readonly dir: string;
  readonly lock: LockService;
  readonly servers: Map<string, TabletServerHandle>;
  /** Masters started, the first one active. */
  readonly masters: ServiceProcess[];
  /** The URL of the master most recently seen active. */
  masterUrl: string;
  /** Starts another master (a standby while one is active). */
  startMaster(): Promise<ServiceProcess>;
  /** The tablet servers' URLs (bootstrap list for connect()). */
  serverUrls(): string[];
  close(): Promise<void>;
}

function ended(p: ServiceProcess): boolean {
  return p.child.exitCode !== null || p.child.signalCode !== null;
}

/** Stops a process by PID; one stopped with SIGSTOP is continued first so SIGTERM can act. */
async function stopProcess(p: ServiceProcess): Promise<void> {
  if (ended(p)) return;
  try {
    process.kill(p.pid, 'SIGCONT');
  } catch {
    // already gone
  }
  await p.stop(5_000);
}

export async function startFaultCluster(o: FaultClusterOptions): Promise<FaultCluster> {
  const dir = await mkdtemp(join(tmpdir(), `kdi-faults-${o.backend}-`));
  let lock: LockService | undefined;
  const servers = new Map<string, TabletServerHandle>();
  const masters: ServiceProcess[] = [];
  const close = async () => {
    for (const m of masters) await stopProcess(m);
    for (const s of servers.values()) await stopProcess(s.process);
    await lock?.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    lock = await startLockService(o.backend, dir);
    const lockUrl = lock.url;
    const ids = Array.from({ length: o.tabletServers ?? 3 }, (_, i) => `ts${i + 1}`);
    // The master starts beside the tablet servers: it waits for them itself.
    const masterStarted = startFaultMaster(lockUrl, o.masterEnv).then((m) => {
      masters.push(m);
      return m;
    });
    const serversStarted = Promise.all(
      ids.map(async (id) => {
        const dataDir = join(dir, id);
        await mkdir(dataDir, { recursive: true });
        // On a starved machine a 2 s lease can run out while the server joins (it then exits): one more try.
        const p = await startFaultTabletServer(id, dataDir, lockUrl, o.tabletServerEnv).catch((e: unknown) => {
          if (!String(e).includes('exited')) throw e;
          return startFaultTabletServer(id, dataDir, lockUrl, o.tabletServerEnv);
        });
        servers.set(id, { id, dataDir, process: p, url: p.url });
      }),
    );
    // Both settle before anything is judged, so close() finds every process started.
    const [m, t] = await Promise.allSettled([masterStarted, serversStarted]);
    if (m.status === 'rejected') throw m.reason;
    if (t.status === 'rejected') throw t.reason;
    let first = m.value;
    let restarts = 0;
    await waitFor(
      'the master active with META served and every tablet server live',
      async () => {
        // A master whose lease ran out while it started (a starved machine) exits 3 and is
        // restarted, as its supervisor would (docs/operations.md).
        if (ended(first)) {
          const exit = first.child.exitCode ?? first.child.signalCode;
          if (exit !== 3 || restarts >= 6) throw new Error(`the master exited (${exit}): ${first.output().slice(-800)}`);
          restarts++;
          masters.splice(masters.indexOf(first), 1);
          first = await startFaultMaster(lockUrl, o.masterEnv);
          masters.push(first);
        }
        // Likewise a tablet server that lost its lease while joining (exit 3) is restarted.
        for (const s of servers.values()) {
          if (!ended(s.process) || s.process.child.exitCode !== 3 || restarts >= 6) continue;
          restarts++;
          const p = await startFaultTabletServer(s.id, s.dataDir, lockUrl, o.tabletServerEnv);
          servers.set(s.id, { ...s, process: p, url: p.url });
        }
        // Each "not yet" is thrown with what is missing: the timeout names the last one.
        const st = await call('GET', `${first.url}/v1/master`);
        if (st.body?.role !== 'active') throw new Error(`master role ${st.body?.role}`);
        const loc = await call('GET', `${first.url}/v1/meta/location`);
        if (loc.body?.location === undefined) throw new Error('META not assigned');
        const srv = await call('GET', `${first.url}/v1/servers`);
        const live = srv.status === 200 ? srv.body.servers.filter((s: { state: string }) => s.state === 'live').map((s: { serverId: string }) => s.serverId) : [];
        const exited = [...servers.values()].filter((s) => ended(s.process)).map((s) => `${s.id}: ${s.process.output().slice(-500)}`);
        if (live.length !== ids.length) throw new Error(`live servers ${JSON.stringify(live)} (${srv.status}); exited: ${exited.join('; ') || 'none'}`);
        return true;
      },
      START_TIMEOUT_MS,
    );
    const cluster: FaultCluster = {
      backend: o.backend,
      dir,
      lock,
      servers,
      masters,
      masterUrl: first.url,
      async startMaster() {
        const m = await startFaultMaster(lockUrl, o.masterEnv);
        masters.push(m);
        return m;
      },
      serverUrls: () => [...servers.values()].filter((s) => !ended(s.process)).map((s) => s.url),
      close,
    };
    return cluster;
  } catch (e) {
    await close();
    throw e;
  }
}

// ---- what the tests ask of the master --------------------------------------

export interface TabletView {
  readonly tabletId: string;
  readonly lowerExclusive?: string;
  readonly upperInclusive?: string;
  readonly state: string;
  readonly location?: { serverId: string; url: string };
}

export async function describeTable(masterUrl: string, table: string): Promise<TabletView[]> {
  const r = await call('GET', `${masterUrl}/v1/tables/${table}`);
  if (r.status !== 200) throw new Error(`GET /v1/tables/${table}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.tablets as TabletView[];
}

/** Whether `row` falls in the tablet's range (lowerExclusive, upperInclusive]. */
export function tabletHolds(t: TabletView, row: string): boolean {
  return (t.lowerExclusive === undefined || row > t.lowerExclusive) && (t.upperInclusive === undefined || row <= t.upperInclusive);
}

/** A direct JSON apply to one tablet server (no SDK, no retry): the HTTP status (0 when no reply came) and body. */
export async function applyDirect(serverUrl: string, table: string, cells: { row: string; column: string; value: string }[], timeoutMs = 30_000): Promise<Reply> {
  try {
    const res = await fetch(`${serverUrl}/v1/tables/${table}/apply`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ cells: cells.map((c) => ({ ...c, timestamp: Date.now() * 1000 })) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
  } catch (e) {
    return { status: 0, body: { error: { message: `no reply: ${(e as Error).message}` } } };
  }
}
