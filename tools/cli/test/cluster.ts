// A real KDI cluster for the CLI's end-to-end tests: an embedded lock
// server, the master (with an admin token) and tablet servers, each its own process on
// 127.0.0.1 with a random port (tools may not import apps: the apps'
// main.ts files are spawned by path through tsx). Ready when the master
// is active, sees every server live and META is assigned. Stopped by PID.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KdiClient } from '@kdi/client-sdk';
import { startEmbeddedLockServer, type RunningLockServer } from '@kdi/client-sdk/test-support';
import { startServiceProcess, type ServiceProcess } from '@kdi/service-kit/testing';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const MASTER_MAIN = join(REPO, 'apps/master/src/main.ts');
/** The tablet server run by the tests; KDI_TS_MAIN runs another checkout's (e.g. a branch's worktree). */
const SERVER_MAIN = process.env['KDI_TS_MAIN'] ?? join(REPO, 'apps/tabletserver/src/main.ts');
export const CLUSTER_SECRET = 'cli-e2e-cluster-secret-0123456789';
/** The master's admin token (create, drop and set schema need it). */
export const ADMIN_TOKEN = 'cli-e2e-admin-token-0123456789';

export interface TestCluster {
  readonly masterUrl: string;
  readonly master: ServiceProcess;
  readonly servers: readonly ServiceProcess[];
  /** The data directory of tablet server `serverId`. */
  dataDir(serverId: string): string;
  /** Everything the processes wrote, for a failing test's message. */
  output(): string;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Give each server a second data directory, as the standalone launcher does (KDI_TS_EXTRA_DATA_DIRS: <dir>/ts-N-disk1). */
  readonly twoDisks?: boolean;
  /** More KDI_MASTER_* settings. */
  readonly masterEnv?: Record<string, string>;
}

export async function startCluster(serverCount: number, opts: ClusterOptions = {}): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'kdi-cli-e2e-'));
  const started: ServiceProcess[] = [];
  let lock: RunningLockServer | undefined;
  const stop = async () => {
    for (const p of started.reverse()) await p.stop(5_000);
    await lock?.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    lock = await startEmbeddedLockServer();
    const master = await startServiceProcess({
      main: MASTER_MAIN,
      name: 'master',
      env: {
        KDI_MASTER_HOST: '127.0.0.1',
        KDI_MASTER_PORT: '0',
        KDI_MASTER_LOCK_URL: lock.url,
        KDI_MASTER_CLUSTER_SECRET: CLUSTER_SECRET,
        KDI_MASTER_LEASE_TTL_MS: '2000',
        KDI_MASTER_GC_INTERVAL_MS: '0',
        KDI_MASTER_ADMIN_TOKEN: ADMIN_TOKEN,
        KDI_MASTER_LOG_LEVEL: 'warn',
        ...opts.masterEnv,
      },
    });
    started.push(master);
    const servers = await Promise.all(
      Array.from({ length: serverCount }, (_, i) =>
        startServiceProcess({
          main: SERVER_MAIN,
          name: `tablet server ts-${i + 1}`,
          env: {
            KDI_TS_SERVER_ID: `ts-${i + 1}`,
            KDI_TS_DATA_DIR: join(dir, `ts-${i + 1}`),
            KDI_TS_HOST: '127.0.0.1',
            KDI_TS_PORT: '0',
            KDI_TS_CLUSTER_SECRET: CLUSTER_SECRET,
            KDI_TS_LOCK_URL: lock!.url,
            KDI_TS_LEASE_TTL_MS: '3000',
            KDI_TS_SPLIT_CHECK_INTERVAL_MS: '0',
            KDI_TS_WORKER_THREADS: '0',
            KDI_TS_LOG_LEVEL: 'warn',
            ...(opts.twoDisks === true && { KDI_TS_EXTRA_DATA_DIRS: join(dir, `ts-${i + 1}-disk1`) }),
          },
        }),
      ),
    );
    started.push(...servers);
    const masterUrl = master.url.replace(/\/+$/, '');
    const output = () => started.map((p) => p.output()).join('\n');
    await waitForCluster(masterUrl, serverCount, output);
    return { masterUrl, master, servers, dataDir: (id) => join(dir, id), output, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Until the master is active, sees `servers` live servers and META has a location (480 tries, 250 ms apart). */
async function waitForCluster(masterUrl: string, servers: number, output: () => string): Promise<void> {
  const kdi = new KdiClient({ master: masterUrl, timeoutMs: 5_000 });
  let last = '';
  try {
    for (let i = 0; i < 480; i++) {
      try {
        const status = await kdi.admin.masterStatus();
        const live = (await kdi.admin.servers()).filter((s) => s.state === 'live').length;
        last = `role ${status.role}, ${live} live servers`;
        if (status.role === 'active' && live >= servers) {
          await kdi.ready({ timeoutMs: 5_000 });
          return;
        }
      } catch (e) {
        last = String(e);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await kdi.close();
  }
  throw new Error(`the cluster did not become ready (${last}); the processes wrote, last:\n${output().slice(-4000)}`);
}

/** Until every tablet of `table` is served (30 s); the tablets' states otherwise. */
export async function waitForTablets(masterUrl: string, table: string): Promise<void> {
  const kdi = new KdiClient({ master: masterUrl, timeoutMs: 5_000 });
  let states: string[] = [];
  try {
    for (let i = 0; i < 120; i++) {
      states = (await kdi.admin.tablets(table)).tablets.map((t) => t.state);
      if (states.length > 0 && states.every((s) => s === 'serving')) return;
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await kdi.close();
  }
  throw new Error(`tablets of ${table} not all serving: ${states.join(', ')}`);
}
