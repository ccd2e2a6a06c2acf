// The tablet server process: the only place that reads process.env,
// listens and handles signals (DESIGN §16).
//
// It opens the storage engine in KDI_TS_DATA_DIR on the real filesystem
// (fdatasync, LZ4 blocks, a shared block cache, worker threads for
// serialization and compaction when KDI_TS_WORKER_THREADS > 0), wraps it
// in a TabletServer, and serves the HTTP API. With KDI_TS_LOCK_URL it is
// part of a cluster: it holds /kdi/servers/<id>, loads tablets from their
// configs in META (or /kdi/root for META itself) and writes its configs
// there; the engine then keeps log segments and fragment files until META
// no longer needs them (publication).
//
// The lifecycle is the chassis' runService: bad configuration on stderr
// with exit code 2, logs on stderr, one listening line on stdout
// ({"event":"listening","url":"http://HOST:PORT","serverId":...}, after
// the server joined its cluster), and on SIGINT or SIGTERM: stop taking
// requests, close the server-side scanners, let the engine finish its
// background work and close its log, leave the cluster, exit 0. A lost
// lease exits 3 at once.

import { BlockCache, Engine, FragmentWorkerPool, lz4Codec, NodeFileSystem } from '@kdi/storage';
import { runService, type StartedService } from '@kdi/service-kit';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import { loadConfig, type TabletServerConfig } from './config.js';
import { LockClient, SequencerChecker } from '@kdi/client-sdk';
import { MembershipLease, ServerMembership } from './membership/server-membership.js';
import { TabletServer } from './tablets/tablet-server.js';
import { MetaRouter } from './meta/meta-router.js';
import { MetaSync } from './meta/meta-sync.js';
import { LocalMetaRows, MetaTableClient } from './meta/meta-table.js';

async function start(config: TabletServerConfig, logger: Logger): Promise<StartedService> {
  const cache = config.blockCacheBytes > 0 ? new BlockCache({ capacityBytes: config.blockCacheBytes }) : undefined;
  const workers = config.workerThreads > 0 ? new FragmentWorkerPool(config.workerThreads) : undefined;
  const engineLog = logger.child({ component: 'engine' });
  const lockClient =
    config.lockUrl === undefined
      ? undefined
      : new LockClient({ url: config.lockUrl, ttlMs: config.leaseTtlMs, ...(config.lockSecret && { secret: config.lockSecret }) });
  let meta: MetaSync | undefined;
  let url = '';
  const engine = await Engine.open({
    fs: new NodeFileSystem(),
    dir: config.dataDir,
    codec: lz4Codec,
    ...(cache && { cache }),
    ...(workers && { workers }),
    memoryBudgetBytes: config.memoryBudgetBytes,
    backPressureWaitMs: config.backPressureWaitMs,
    onBackgroundError: (e) => engineLog.error({ err: e }, 'background work failed'),
    publication: lockClient !== undefined,
    onManifestSaved: () => meta?.schedule(),
  });
  // With a lock server, no write is acknowledged, no tablet loaded and
  // /readyz not ready until this server holds its /kdi/servers/<id> lock,
  // nor after its lease may have run out.
  const lease = new MembershipLease(config.serverId, config.lockUrl !== undefined);
  let server: TabletServer | undefined;
  if (lockClient !== undefined) {
    const local = new LocalMetaRows(() => server!);
    meta = new MetaSync({
      serverId: config.serverId,
      url: () => url,
      logDir: engine.logDirectory,
      meta: new MetaTableClient(new MetaRouter({ local, lockClient, clusterSecret: config.clusterSecret })),
      lockClient,
      logger: logger.child({ component: 'meta' }),
    });
  }
  server = new TabletServer(engine, {
    lease,
    ...(meta && { meta }),
    serverId: config.serverId,
    limits: config.limits,
    backPressureWaitMs: config.backPressureWaitMs,
    memoryBudgetBytes: config.memoryBudgetBytes,
    splitThresholdBytes: config.splitThresholdBytes,
    splitCheckIntervalMs: config.splitCheckIntervalMs,
    logger: logger.child({ component: 'tablets' }),
  });
  const masterSequencers = lockClient && new SequencerChecker(lockClient);
  const app = await buildApp(config, {
    server,
    logger,
    ...(cache && { cache }),
    ...(masterSequencers && { masterSequencers }),
    ...(lockClient && { leaseRemainingMs: () => lease.membership?.leaseRemainingMs() }),
  });

  const closers = [() => server.close(), () => lease.membership?.leave(), () => workers?.close()];
  const afterListen = async (listening: string) => {
    url = listening;
    if (lockClient !== undefined) {
      // After a crash the previous incarnation's file lives until its lease
      // ends; wait that long (plus slack) for the id to come free.
      const membership = await ServerMembership.join(lockClient, { serverId: config.serverId, url, disks: [config.dataDir] }, {
        ttlMs: config.leaseTtlMs,
        waitForIdMs: 3 * config.leaseTtlMs + 5_000,
      });
      membership.on('lost', ({ reason }) => {
        // Our tablets may be served elsewhere now: stop at once (DESIGN §8).
        app.log.fatal({ reason }, 'lost the server lease; exiting');
        process.exit(3);
      });
      lease.membership = membership;
    }
    return { serverId: config.serverId };
  };
  return { app, closers, afterListen };
}

runService({ name: 'tablet server', loadConfig, start: (config, { logger }) => start(config, logger) }, process.env);
