// The cluster the real-process migration tests share: an embedded lock
// server, a FakeMaster (cluster.ts: the master's part played by hand), a
// tablet server holding META, and tablet servers started on demand on
// their own data directories (or an old one, for a restart). Call
// migrationCluster() at the top of a test file: it registers the
// beforeAll / afterAll that start and stop everything (every process it
// started is killed, every directory it made removed).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningLockServer, startEmbeddedLockServer } from '@kdi/client-sdk/test-support';
import { afterAll, beforeAll } from 'vitest';
import { FakeMaster, kill9, type ServerProc, startServerProcess } from '../cluster.js';
import { ok } from '../sdk/sdk-cluster.js';

export type MigrationServer = ServerProc & { readonly dataDir: string };

export interface MigrationCluster {
  readonly master: FakeMaster;
  readonly metaServer: ServerProc;
  readonly lockUrl: string;
  /** Starts a tablet server with the cluster's env plus `env`; on `dataDir` when given (a restart), else a new directory. */
  start(serverId: string, env?: Record<string, string>, dataDir?: string): Promise<MigrationServer>;
  /** Kills `p` (SIGKILL) and forgets it. */
  kill(p: ServerProc): Promise<void>;
  /** Resolves once `p` has exited (it killed itself at a crash point), and forgets it. */
  exited(p: ServerProc): Promise<void>;
}

/**
 * Registers the cluster's setup and teardown for this test file; `prefix`
 * names the temp directories, `env` goes to every tablet server.
 */
export function migrationCluster(prefix: string, env: Record<string, string> = {}): MigrationCluster {
  let lock: RunningLockServer | undefined;
  let master: FakeMaster | undefined;
  let metaServer: ServerProc | undefined;
  const procs: ServerProc[] = [];
  const dirs: string[] = [];
  const forget = (p: ServerProc) => {
    const i = procs.indexOf(p);
    if (i >= 0) procs.splice(i, 1);
  };
  const cluster: MigrationCluster = {
    get master() {
      return master!;
    },
    get metaServer() {
      return metaServer!;
    },
    get lockUrl() {
      return lock!.url;
    },
    async start(serverId, more = {}, dataDir) {
      const dir = dataDir ?? (await mkdtemp(join(tmpdir(), `kdi-${prefix}-${serverId}-`)));
      if (dataDir === undefined) dirs.push(dir);
      const p: MigrationServer = { ...(await startServerProcess({ serverId, dataDir: dir, lockUrl: lock!.url, env: { ...env, ...more } })), dataDir: dir };
      procs.push(p);
      return p;
    },
    async kill(p) {
      await kill9(p);
      forget(p);
    },
    async exited(p) {
      if (p.child.exitCode === null && p.child.signalCode === null) await new Promise<void>((r) => p.child.once('exit', () => r()));
      forget(p);
    },
  };
  beforeAll(async () => {
    lock = await startEmbeddedLockServer({ limits: { minTtlMs: 1000, lockDelayMs: 200 } });
    master = await new FakeMaster(lock.url).start();
    metaServer = await cluster.start('meta');
    ok(await master.assignMeta(metaServer));
  }, 60_000);
  afterAll(async () => {
    await master?.stop().catch(() => undefined);
    for (const p of procs.splice(0)) await kill9(p);
    await lock?.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  return cluster;
}
