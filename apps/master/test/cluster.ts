// Test support for the master's cluster tests: a real lock server
// (embedded store, a child process), tablet-server processes (the tablet
// server's src/main.ts through tsx, spawned — never imported: apps do not
// import apps) and master processes (this package's src/main.ts), all on
// 127.0.0.1 with random ports and real temporary directories.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServiceProcess, type ServiceProcess } from '@kdi/service-kit/testing';

/** The tablet server run by the tests; KDI_TS_MAIN runs another checkout's (e.g. a branch's worktree). */
const TABLET_SERVER_MAIN = process.env['KDI_TS_MAIN'] ?? fileURLToPath(new URL('../../tabletserver/src/main.ts', import.meta.url));
const MASTER_MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
export const CLUSTER_SECRET = 'master-test-cluster-secret-0123';

export async function tempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** A tablet server joined to the lock server (3 s lease: the machine may be busy; warnings only); `env`: KDI_TS_* overrides. */
export function startTabletServer(serverId: string, dataDir: string, lockUrl: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  return startServiceProcess({
    main: TABLET_SERVER_MAIN,
    name: `tablet server ${serverId}`,
    env: {
      KDI_TS_SERVER_ID: serverId,
      KDI_TS_DATA_DIR: dataDir,
      KDI_TS_PORT: '0',
      KDI_TS_CLUSTER_SECRET: CLUSTER_SECRET,
      KDI_TS_LOCK_URL: lockUrl,
      KDI_TS_LEASE_TTL_MS: '3000',
      KDI_TS_SPLIT_CHECK_INTERVAL_MS: '0',
      KDI_TS_WORKER_THREADS: '0',
      KDI_TS_LOG_LEVEL: 'warn',
      ...env,
    },
  });
}

/** A master process (2 s lease; file GC by timer off unless env says otherwise). */
export function startMaster(lockUrl: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  return startServiceProcess({
    main: MASTER_MAIN,
    name: 'master',
    env: {
      KDI_MASTER_PORT: '0',
      KDI_MASTER_LOCK_URL: lockUrl,
      KDI_MASTER_CLUSTER_SECRET: CLUSTER_SECRET,
      KDI_MASTER_LEASE_TTL_MS: '2000',
      KDI_MASTER_GC_INTERVAL_MS: '0',
      KDI_MASTER_LOG_LEVEL: 'warn',
      ...env,
    },
  });
}

export interface Reply {
  readonly status: number;
  readonly body: any;
}

export async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(url, {
    method,
    headers: { ...headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** Polls `check` until it returns a value other than undefined (errors count as not yet); fails after `timeoutMs` with the last problem. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The table's description once every tablet serves. */
export function allServing(masterUrl: string, table: string, timeoutMs = 60_000): Promise<any> {
  return waitFor(
    `every tablet of ${table} serving`,
    async () => {
      const r = await call('GET', `${masterUrl}/v1/tables/${table}`);
      if (r.status !== 200) return undefined;
      return r.body.tablets.every((t: { state: string }) => t.state === 'serving') ? r.body : undefined;
    },
    timeoutMs,
  );
}
