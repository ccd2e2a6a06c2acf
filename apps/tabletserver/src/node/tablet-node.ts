// The tablet server's composition (DESIGN §16): one function that builds a
// node from its configuration and its ports — what differs between the
// process (main.ts) and the in-process tests (test/harness.ts). Both use
// it, so the tests run the same wiring the process runs, cluster included.
//
// Order (no forward references):
//   engine (the manifest-saved signal is a port object, listened to below)
//   → data operations (tablets/data-operations.ts: the map, apply, scans)
//   → in a cluster: META access over them (meta/: LocalMetaRows on the
//     data operations, MetaRouter, MetaSync) — the tablets/ side's
//     TabletMeta port
//   → TabletServer (lifecycle and splits around the data operations)
//   → the HTTP app.
// The node listens nowhere: the caller listens, then calls join(url),
// which gives META the URL and takes /kdi/servers/<id>; until then the
// node is not ready and loads nothing (MembershipLease). Once joined, it
// finds the master through /kdi/master (master/master-finder.ts) and sends
// it heartbeats (master/heartbeat-sender.ts): periodically, and at once
// after a load, an unload or a split. close() runs in order: heartbeats
// and the master finder, app, server (splits, META publishing, engine),
// membership, lock client, worker threads.
//
// The data directories (KDI_TS_DATA_DIR and KDI_TS_EXTRA_DATA_DIRS) are
// checked before the engine opens (disks/data-directories.ts); all of them
// are the engine's disks (the first holds the manifest and the log) and
// are reported as disks.

import { LockClient, MetaRouter, MetaTableClient, SequencerChecker } from '@kdi/client-sdk';
import { BlockCache, Engine, FragmentWorkerPool, lz4Codec, type EngineOptions, type FileSystem } from '@kdi/storage';
import { mkdir } from 'node:fs/promises';
import { pino, type Logger } from 'pino';
import { buildApp, newMigrations } from '../app.js';
import type { TabletServerConfig } from '../config.js';
import type { TabletApp } from '../http/tablet-app.js';
import { prepareDataDirectories } from '../disks/data-directories.js';
import { diskMigrationCrashHook } from '../disks/disk-migration-crash-point.js';
import { heartbeatBody } from '../master/heartbeat-status.js';
import { HeartbeatSender } from '../master/heartbeat-sender.js';
import { MasterFinder } from '../master/master-finder.js';
import { MembershipLease, ServerMembership, type MembershipEvents } from '../membership/server-membership.js';
import { DiskUsage } from '../stats/disk-usage.js';
import { MetaSync } from '../meta/meta-sync.js';
import { LocalMetaRows } from '../meta/local-meta-rows.js';
import { DataOperations } from '../tablets/data-operations.js';
import { TabletServer, type TabletServerOptions } from '../tablets/tablet-server.js';

/** What differs between the process and a test. */
export interface TabletNodePorts {
  /** The filesystem the engine writes through (NodeFileSystem, or a fault-injecting wrapper). */
  readonly fs: FileSystem;
  /** Logs (components get children); default pino at config.logLevel on stderr. */
  readonly logger?: Logger;
  /** Monotonic milliseconds for scanner expiry; default performance.now. */
  readonly now?: () => number;
  /** The lock service client when config.lockUrl is set; default a LockClient from the config. */
  readonly lockClient?: (config: TabletServerConfig & { readonly lockUrl: string }) => LockClient;
  /** Called once when the server lease is lost after joining (the process exits 3); default: logged. */
  readonly onLeaseLost?: (reason: MembershipEvents['lost']['reason']) => void;
  /** Engine options over the ones the config gives (tests: small segments, a clock, …). */
  readonly engine?: Partial<EngineOptions>;
  /** TabletServer options over the ones the config gives (tests: newTabletId, onSplit, a lease, …). */
  readonly server?: Partial<TabletServerOptions>;
  /** How often the META publisher retries on its timer (default 2000 ms; tests: long, so only manifest changes publish). */
  readonly metaRetryIntervalMs?: number;
  /** How long a data directory's bytes are reused before it is walked again (default 5000 ms). */
  readonly kdiBytesMaxAgeMs?: number;
}

export interface TabletNode {
  readonly config: TabletServerConfig;
  readonly app: TabletApp;
  readonly server: TabletServer;
  readonly engine: Engine;
  /** In a cluster: the lock service client (undefined for a single server). */
  readonly lockClient: LockClient | undefined;
  /** In a cluster: META access and the publisher (undefined for a single server). */
  readonly meta: MetaSync | undefined;
  /** Whether the node holds /kdi/servers/<id> (always live for a single server). */
  readonly lease: MembershipLease;
  /** In a cluster, once joined: the heartbeats to the master. */
  readonly heartbeats: HeartbeatSender | undefined;
  /** The data directories (absolute; the engine's first) and their usage. */
  readonly disks: DiskUsage;
  /**
   * Once the app listens at `url`: in a cluster, META learns the URL and the
   * node takes /kdi/servers/<id> (waiting up to 3 lease TTLs + 5 s for a
   * previous incarnation's file to go); a single server has nothing to join.
   */
  join(url: string): Promise<void>;
  /** Closes everything, in order; safe to call twice. */
  close(): Promise<void>;
}

export async function createTabletNode(config: TabletServerConfig, ports: TabletNodePorts): Promise<TabletNode> {
  const logger = ports.logger ?? pino({ level: config.logLevel }, pino.destination({ dest: 2, sync: false }));
  const startedAt = new Date().toISOString();
  const disks = new DiskUsage(prepareDataDirectories(config), {
    ...(ports.kdiBytesMaxAgeMs !== undefined && { kdiBytesMaxAgeMs: ports.kdiBytesMaxAgeMs }),
    onError: (dir, e) => logger.warn({ err: e, dir }, 'cannot measure a data directory'),
  });
  const cache = config.blockCacheBytes > 0 ? new BlockCache({ capacityBytes: config.blockCacheBytes }) : undefined;
  const workers = config.workerThreads > 0 ? new FragmentWorkerPool(config.workerThreads) : undefined;
  const lockUrl = config.lockUrl;
  const lockClient =
    lockUrl === undefined
      ? undefined
      : (ports.lockClient?.({ ...config, lockUrl }) ?? new LockClient({ url: lockUrl, ttlMs: config.leaseTtlMs, ...(config.lockSecret && { secret: config.lockSecret }) }));
  const engineLog = logger.child({ component: 'engine' });
  // TEST-ONLY (KDI_TS_DISK_MIGRATION_CRASH_AT, …_PAUSE_AT): SIGKILL, or a wait, when a disk migration enters a state.
  const onDiskMigrationState = diskMigrationCrashHook(
    { crashAt: config.diskMigrationCrashAt, pauseAt: config.diskMigrationPauseAt, pauseMs: config.diskMigrationPauseMs },
    engineLog,
  );
  // The engine reports saved manifests here; the META publisher listens once it exists.
  const manifestSaved = new EventTarget();
  // The engine places tablets and fragments on the disk with the most free bytes (DESIGN §11).
  // The engine creates its directory; made first here so that it can be measured (a failure is the engine's to report).
  await mkdir(disks.dirs[0]!, { recursive: true }).catch(() => {});
  await disks.refreshSpace();
  disks.startRefresh();
  const engine = await Engine.open({
    fs: ports.fs,
    dir: config.dataDir,
    disks: disks.dirs.slice(1),
    diskSpace: (dir) => disks.space(dir),
    highWaterMark: config.diskHighWaterPercent / 100,
    codec: lz4Codec,
    ...(cache && { cache }),
    ...(workers && { workers }),
    memoryBudgetBytes: config.memoryBudgetBytes,
    backPressureWaitMs: config.backPressureWaitMs,
    onBackgroundError: (e) => engineLog.error({ err: e }, 'background work failed'),
    publication: lockClient !== undefined,
    onManifestSaved: () => manifestSaved.dispatchEvent(new Event('saved')),
    ...(onDiskMigrationState && { onDiskMigrationState }),
    ...ports.engine,
  });
  if (engine.droppedStagedAtOpen.length > 0) {
    engineLog.warn({ tablets: engine.droppedStagedAtOpen }, 'dropped tablets a migration had preloaded here and never committed (their files deleted)');
  }

  // With a lock server, no write is acknowledged, no tablet loaded and
  // /readyz not ready until this node holds its /kdi/servers/<id> lock,
  // nor after its lease may have run out.
  const lease = new MembershipLease(config.serverId, lockClient !== undefined);
  const options: TabletServerOptions = {
    lease,
    serverId: config.serverId,
    limits: config.limits,
    backPressureWaitMs: config.backPressureWaitMs,
    memoryBudgetBytes: config.memoryBudgetBytes,
    splitThresholdBytes: config.splitThresholdBytes,
    splitCheckIntervalMs: config.splitCheckIntervalMs,
    logger: logger.child({ component: 'tablets' }),
    ...ports.server,
  };
  const data = new DataOperations(engine, options);
  const meta =
    lockClient === undefined
      ? undefined
      : new MetaSync({
          serverId: config.serverId,
          logDir: engine.logDirectory,
          meta: new MetaTableClient(new MetaRouter({ local: new LocalMetaRows(data), lockClient, clusterSecret: config.clusterSecret })),
          lockClient,
          logger: logger.child({ component: 'meta' }),
          ...(ports.metaRetryIntervalMs !== undefined && { retryIntervalMs: ports.metaRetryIntervalMs }),
        });
  if (meta !== undefined) manifestSaved.addEventListener('saved', () => meta.schedule());
  const server = new TabletServer(engine, { ...options, ...(meta && { meta }) }, data);
  const masterSequencers = lockClient && new SequencerChecker(lockClient);
  const migrations = newMigrations(config, server, logger.child({ component: 'migration' }));
  await migrations.start();
  const app = await buildApp(config, {
    migrations,
    server,
    logger,
    ...(cache && { cache }),
    ...(masterSequencers && { masterSequencers }),
    ...(lockClient && { leaseRemainingMs: () => lease.membership?.leaseRemainingMs() }),
    ...(ports.now && { now: ports.now }),
    disks,
  });
  const onLeaseLost = ports.onLeaseLost ?? ((reason: MembershipEvents['lost']['reason']) => logger.error({ reason }, 'lost the server lease; its tablets may be served elsewhere'));

  let closing: Promise<void> | undefined;
  let finder: MasterFinder | undefined;
  let heartbeats: HeartbeatSender | undefined;
  return {
    config,
    app,
    server,
    engine,
    lockClient,
    meta,
    lease,
    disks,
    get heartbeats() {
      return heartbeats;
    },
    async join(url: string): Promise<void> {
      if (lockClient === undefined) return;
      if (lease.membership !== undefined) throw new Error(`tablet server ${config.serverId} has already joined its cluster`);
      meta?.serveAt(url);
      migrations.serveAt(url);
      // After a crash the previous incarnation's file lives until its lease
      // ends; wait that long (plus slack) for the id to come free.
      const membership = await ServerMembership.join(
        lockClient,
        { serverId: config.serverId, url, disks: [...disks.dirs] },
        { ttlMs: config.leaseTtlMs, waitForIdMs: 3 * config.leaseTtlMs + 5_000, onWaiting: (e) => lease.noteWaiting(e) },
      );
      // Our tablets may be served elsewhere now (DESIGN §8).
      membership.on('lost', ({ reason }) => onLeaseLost(reason));
      lease.membership = membership;
      if (closing !== undefined) return;
      const masterLog = logger.child({ component: 'master' });
      finder = new MasterFinder({ lockClient, logger: masterLog });
      const sender = new HeartbeatSender({
        master: finder,
        clusterSecret: config.clusterSecret,
        logger: masterLog,
        onPeriodic: () => server.rates.roll(),
        body: (reason) =>
          heartbeatBody(
            {
              serverId: config.serverId,
              url,
              startedAt,
              tablets: () => server.tablets(),
              rates: (id) => server.rates.rates(id),
              disks: () => disks.statuses(),
              memoryFragmentBytes: () => engine.memoryBytes(),
              memoryBudgetBytes: config.memoryBudgetBytes,
              leaseRemainingMs: () => lease.membership?.leaseRemainingMs(),
            },
            reason,
          ),
      });
      // The master's view changes at once: a load, an unload, a split.
      server.onTabletsChanged((c) => sender.sendNow(c.kind));
      heartbeats = sender;
      finder.start();
      sender.start();
    },
    close(): Promise<void> {
      closing ??= (async () => {
        await heartbeats?.stop();
        await finder?.stop();
        await migrations.close();
        await app.close();
        await server.close();
        await lease.membership?.leave();
        await lockClient?.close();
        await workers?.close();
        disks.stop();
      })();
      return closing;
    },
  };
}
