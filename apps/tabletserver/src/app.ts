// buildApp: the tablet server's HTTP side as a Fastify instance on the
// service chassis (@kdi/service-kit: request ids, errors, OpenAPI,
// metrics, probes, bearer guard), ready but not listening (STYLE: only
// main.ts listens; tests use inject). It adds
//   cluster secret (admin routes, META writes) → routes (zod schemas,
//   strict; JSON or binary cell blocks) → scan service / TabletServer → engine
// and its own part of the error mapping (http/error-reply.ts). The
// TabletServer (and its engine) belong to the caller, which closes it
// after the app.

import { CELL_BLOCK_MIME_TYPE, KdiError, TABLE_API_SCHEMAS } from '@kdi/protocol';
import type { SequencerChecker } from '@kdi/client-sdk';
import type { BlockCache } from '@kdi/storage';
import type { FastifyBaseLogger } from 'fastify';
import { createServiceApp } from '@kdi/service-kit';
import { z } from 'zod';
import { resolve } from 'node:path';
import type { TabletServerConfig } from './config.js';
import { registerCellBlockParser } from './http/cell-content.js';
import { routeSecurity, secretRequiredFor } from './http/cluster-secret.js';
import { tabletErrorOptions } from './http/error-reply.js';
import { TabletServerMetrics } from './http/http-metrics.js';
import { contentBodyTransform, finishTabletDocument } from './http/openapi.js';
import type { TabletApp } from './http/tablet-app.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerMergeRoute } from './routes/merge.js';
import { registerApplyRoute } from './routes/apply.js';
import { registerGcRoute } from './routes/gc.js';
import { registerMigrationRoutes } from './routes/migrations.js';
import { registerDiskRoutes } from './routes/disks.js';
import { ServerDisks } from './disks/server-disks.js';
import { Migrations } from './migration/migrations.js';
import { registerSchemaReloadRoute } from './routes/schema-reload.js';
import { DiskUsage } from './stats/disk-usage.js';
import { dataDirectories } from './disks/data-directories.js';
import { registerMetaLocationRoute } from './routes/meta-location.js';
import type { RouteDeps } from './routes/route-deps.js';
import { registerScanRoute } from './routes/scan.js';
import { registerScannerRoutes } from './routes/scanners.js';
import { registerStatRoute } from './routes/stat.js';
import { registerSyncRoute } from './routes/sync.js';
import { registerTableInfoRoute } from './routes/table-info.js';
import { ScanService } from './scan/scan-service.js';
import type { TabletServer } from './tablets/tablet-server.js';

export const TABLET_SERVER_VERSION = '0.1.0';

/** Room for the JSON around the cells (field names, escapes, other fields). */
const BODY_SLACK_BYTES = 64 * 1024;

export interface TabletAppDeps {
  readonly server: TabletServer;
  /** The engine's block cache, for its metrics. */
  readonly cache?: BlockCache;
  /** A pino-compatible logger; default: Fastify's pino at config.logLevel. */
  readonly logger?: FastifyBaseLogger;
  /** In a cluster: checks the master's sequencer on load, unload and split. */
  readonly masterSequencers?: SequencerChecker;
  /** In a cluster: ms left of the server's lease (its metric); undefined before the server joined. */
  readonly leaseRemainingMs?: () => number | undefined;
  /** Monotonic milliseconds for scanner expiry; default performance.now. */
  readonly now?: () => number;
  /** The data directories' usage (shared with the heartbeats); default one over the config's directories. */
  readonly disks?: DiskUsage;
  /** The server's migrations (migration/migrations.ts); default one built here (it never learns the server's URL, so it drives no move). */
  readonly migrations?: Migrations;
}

/**
 * Body limits: a JSON batch of maxRequestBytes of cells sent as base64
 * (4/3 of the bytes) fits with room to spare; a binary block adds a few
 * bytes per cell to the cells' own bytes.
 */
export function bodyLimitsFor(maxRequestBytes: number): { json: number; cellBlock: number } {
  return { json: maxRequestBytes * 2 + BODY_SLACK_BYTES, cellBlock: maxRequestBytes + (1 << 20) };
}

const ReadySchema = z.strictObject({ status: z.literal('ready'), serverId: z.string(), tablets: z.int().nonnegative() });

/** The server's migrations with the settings of `config`. */
export function newMigrations(config: TabletServerConfig, server: TabletServer, logger?: ConstructorParameters<typeof Migrations>[0]['logger']): Migrations {
  const silent = { info: () => {}, warn: () => {}, error: () => {} };
  return new Migrations({
    server,
    dataDir: resolve(config.dataDir),
    clusterSecret: config.clusterSecret,
    freezeMs: config.migrationFreezeMs,
    idleMs: config.migrationIdleMs,
    crashAt: config.migrationCrashAt,
    pauseAt: config.migrationPauseAt,
    pauseMs: config.migrationPauseMs,
    logger: logger ?? silent,
  });
}

export async function buildApp(config: TabletServerConfig, deps: TabletAppDeps): Promise<TabletApp> {
  const { server } = deps;
  const limits = bodyLimitsFor(config.limits.maxRequestBytes);
  let metrics: TabletServerMetrics | undefined;
  const chassis = await createServiceApp({
    metricsPrefix: 'tabletserver',
    logLevel: config.logLevel,
    logger: deps.logger,
    bodyLimit: limits.json,
    errors: tabletErrorOptions({ bodyLimit: limits.json, cellBlockLimit: limits.cellBlock, maxRequestBytes: config.limits.maxRequestBytes }, server),
    openapi: {
      title: 'KDI tablet server',
      version: TABLET_SERVER_VERSION,
      description:
        'The Table API (apply, sync, scan, stat, table info; DESIGN §4) and the admin API the master uses. ' +
        `Cells travel as JSON or as binary ${CELL_BLOCK_MIME_TYPE} blocks, chosen by Content-Type / Accept. ` +
        'Errors are {error:{code,message,details,retryAfterMs,requestId}} with the status of the KDI error catalogue.',
      secured: routeSecurity,
      schemas: TABLE_API_SCHEMAS,
      transform: contentBodyTransform,
      finish: finishTabletDocument,
    },
    bearer: { secret: config.clusterSecret, requiredFor: secretRequiredFor },
    readiness: {
      summary: 'Readiness: the tablet server takes requests',
      schema: ReadySchema,
      check: () => {
        const readiness = server.isReady();
        if (!readiness.ready) throw new KdiError('UNAVAILABLE', readiness.reason);
        return { status: 'ready' as const, serverId: server.serverId, tablets: server.map.size };
      },
    },
    onScrape: () => metrics?.scrape(),
  });
  const { app } = chassis;
  registerCellBlockParser(app, limits.cellBlock);

  const scans = new ScanService(server, {
    maxPageCells: config.scan.maxPageCells,
    maxPageBytes: config.scan.maxPageBytes,
    maxScanners: config.scan.scannerCacheSize,
    scannerIdleMs: config.scan.scannerIdleMs,
    ...(deps.now && { now: deps.now }),
  });
  app.addHook('onClose', async () => scans.close());

  const disks = deps.disks ?? new DiskUsage(dataDirectories(config));
  // Heartbeats, /v1/admin/status and metrics carry each disk's state from now on.
  disks.setStates(() => server.engine.diskStates());
  metrics = new TabletServerMetrics(chassis.metrics.registry, {
    server,
    scans,
    cache: deps.cache,
    disks,
    leaseRemainingMs: deps.leaseRemainingMs,
  });
  const sink = metrics;
  server.engine.onLogSync((sample) => sink.logSynced(sample));
  app.addHook('onClose', async () => server.engine.onLogSync(undefined));
  const routeDeps: RouteDeps = { server, scans, metrics, disks, masterSequencers: deps.masterSequencers };

  registerApplyRoute(app, routeDeps);
  registerSyncRoute(app, routeDeps);
  registerScanRoute(app, routeDeps);
  registerStatRoute(app, routeDeps);
  registerTableInfoRoute(app, routeDeps);
  registerMetaLocationRoute(app, routeDeps);
  registerScannerRoutes(app, routeDeps, config.scan.scannerIdleMs);
  registerAdminRoutes(app, routeDeps);
  registerMergeRoute(app, routeDeps);
  registerSchemaReloadRoute(app, routeDeps);
  registerGcRoute(app, routeDeps);
  let migrations = deps.migrations;
  if (migrations === undefined) {
    const own = (migrations = newMigrations(config, server));
    await own.start();
    app.addHook('onClose', async () => own.close());
  }
  registerMigrationRoutes(app, routeDeps, migrations);
  registerDiskRoutes(app, routeDeps, new ServerDisks(server, disks, config.diskHighWaterPercent / 100));

  await app.ready();
  return app;
}
