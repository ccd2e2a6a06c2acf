// The lock server as the fault tests run it: a real process on each
// backend, with short leases so expiry and safe mode happen in seconds.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockClient } from '@kdi/client-sdk';
import { startRedisServer, type RedisServerHandle } from '../../src/testing/redis-server.js';
import { type LockServerProcess, startLockServerProcess } from './lock-server-process.js';

export const LIMITS = {
  KDI_LOCK_MIN_TTL_MS: '100',
  KDI_LOCK_MAX_TTL_MS: '1500',
  KDI_LOCK_LOCK_DELAY_MS: '400',
};
export const TTL_MS = 1000;

export interface Cluster {
  readonly servers: LockServerProcess[];
  readonly redis?: RedisServerHandle;
  client(i?: number, opts?: { ttlMs?: number }): LockClient;
  /** Waits until the service grants locks (a new incarnation starts in safe mode). */
  untilGranting(): Promise<void>;
  close(): Promise<void>;
}

export async function startCluster(backend: 'embedded' | 'redis', opts: { frontEnds?: number; appendOnly?: boolean; env?: Record<string, string> } = {}): Promise<Cluster> {
  const env = { ...LIMITS, ...opts.env };
  const clients: LockClient[] = [];
  const servers: LockServerProcess[] = [];
  let redis: RedisServerHandle | undefined;
  let dir: string | undefined;
  if (backend === 'redis') {
    redis = await startRedisServer({ appendOnly: opts.appendOnly ?? false, appendfsync: 'always' });
    for (let i = 0; i < (opts.frontEnds ?? 1); i++) {
      servers.push(await startLockServerProcess({ ...env, KDI_LOCK_BACKEND: 'redis', KDI_LOCK_REDIS_URL: redis.url }));
    }
  } else {
    dir = await mkdtemp(join(tmpdir(), 'kdi-lock-fault-'));
    servers.push(await startLockServerProcess({ ...env, KDI_LOCK_BACKEND: 'embedded', KDI_LOCK_DATA_DIR: dir }));
  }
  const cluster: Cluster = {
    servers,
    ...(redis ? { redis } : {}),
    client(i = 0, o = {}) {
      const c = new LockClient({ url: servers[i % servers.length]!.url, ttlMs: o.ttlMs ?? TTL_MS, requestTimeoutMs: 5_000 });
      clients.push(c);
      return c;
    },
    async untilGranting() {
      const c = cluster.client();
      for (;;) {
        const s = await c.status();
        if (s.safeModeRemainingMs === 0) return;
        await new Promise((r) => setTimeout(r, Math.min(200, s.safeModeRemainingMs)));
      }
    },
    async close() {
      for (const c of clients) await c.close().catch(() => {});
      for (const s of servers) await s.stop();
      await redis?.cleanup();
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(50);
  }
}
