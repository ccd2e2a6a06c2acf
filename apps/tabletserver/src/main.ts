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
// stdout carries one JSON line {"event":"listening","url":"http://HOST:PORT"}
// once the server accepts connections (the launcher and tests parse it;
// with port 0 it is the only way to learn the port). Bad configuration is
// reported on stderr, every bad setting named, with exit code 2. SIGINT or
// SIGTERM: stop taking requests, close the server-side scanners, let the
// engine finish its background work and close its log, exit 0.

import { BlockCache, Engine, FragmentWorkerPool, lz4Codec, NodeFileSystem } from '@kdi/storage';
import { pino } from 'pino';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type TabletServerConfig } from './config.js';
import { LockClient, SequencerChecker } from '@kdi/client-sdk';
import { MembershipLease, ServerMembership } from './membership/server-membership.js';
import { TabletServer } from './tablets/tablet-server.js';
import { MetaRouter } from './meta/meta-router.js';
import { MetaSync } from './meta/meta-sync.js';
import { LocalMetaRows, MetaTableClient } from './meta/meta-table.js';

async function main(): Promise<void> {
  let config: TabletServerConfig;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }

  const logger = pino({ level: config.logLevel });
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
  const app = await buildApp(config, { server, logger, ...(cache && { cache }), ...(masterSequencers && { masterSequencers }) });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    try {
      await app.close();
      await server.close();
      await lease.membership?.leave();
      await workers?.close();
      process.exit(0);
    } catch (e) {
      app.log.error({ err: e }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error(`unexpected server address ${String(address)}`);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  url = `http://${host}:${address.port}`;
  if (lockClient !== undefined) {
    // After a crash the previous incarnation's file lives until its lease
    // ends; wait that long (plus slack) for the id to come free.
    const membership = await ServerMembership.join(lockClient, { serverId: config.serverId, url, disks: [config.dataDir] }, {
      ttlMs: config.leaseTtlMs,
      waitForIdMs: 3 * config.leaseTtlMs + 5_000,
      onWaiting: (e) => lease.noteWaiting(e),
    });
    membership.on('lost', ({ reason }) => {
      // Our tablets may be served elsewhere now: stop at once (DESIGN §8).
      app.log.fatal({ reason }, 'lost the server lease; exiting');
      process.exit(3);
    });
    lease.membership = membership;
  }
  process.stdout.write(`${JSON.stringify({ event: 'listening', url, serverId: config.serverId })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`tablet server failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
