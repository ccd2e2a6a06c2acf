// buildApp: the tablet server's HTTP side as a Fastify instance, ready but
// not listening (STYLE: only main.ts listens; tests use inject). It wires
//   request ids → cluster secret (admin routes) → routes (zod schemas,
//   strict; JSON or binary cell blocks) → scan service / TabletServer → engine
// and one error handler that answers every failure with the protocol's
// error body. The TabletServer (and its engine) belong to the caller,
// which closes it after the app.

import { KdiError } from '@kdi/protocol';
import type { SequencerChecker } from '@kdi/client-sdk';
import type { BlockCache } from '@kdi/storage';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { REQUEST_ID_HEADER, requestIdOf } from '@kdi/service-kit';
import type { TabletServerConfig } from './config.js';
import { registerCellBlockParser } from './http/cell-content.js';
import { clusterSecretCheck } from './http/cluster-secret.js';
import { sendError, type ErrorReplyOptions } from './http/error-reply.js';
import { TabletServerMetrics } from './http/http-metrics.js';
import { withLocationHint } from './http/location-hint.js';
import { registerOpenApi } from './http/openapi.js';
import type { TabletApp } from './http/tablet-app.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerApplyRoute } from './routes/apply.js';
import { registerHealthRoutes } from './routes/health.js';
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
  /** Monotonic milliseconds for scanner expiry; default performance.now. */
  readonly now?: () => number;
}

/**
 * Body limits: a JSON batch of maxRequestBytes of cells sent as base64
 * (4/3 of the bytes) fits with room to spare; a binary block adds a few
 * bytes per cell to the cells' own bytes.
 */
export function bodyLimitsFor(maxRequestBytes: number): { json: number; cellBlock: number } {
  return { json: maxRequestBytes * 2 + BODY_SLACK_BYTES, cellBlock: maxRequestBytes + (1 << 20) };
}

export async function buildApp(config: TabletServerConfig, deps: TabletAppDeps): Promise<TabletApp> {
  const limits = bodyLimitsFor(config.limits.maxRequestBytes);
  const errorOptions: ErrorReplyOptions = { bodyLimit: limits.json, cellBlockLimit: limits.cellBlock, maxRequestBytes: config.limits.maxRequestBytes };
  const options: FastifyServerOptions = {
    bodyLimit: limits.json,
    genReqId: requestIdOf,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    requestTimeout: 120_000,
    return503OnClosing: true,
    // Fastify's own early failures (bad URL encoding, …) get the protocol's body too.
    frameworkErrors: (error, request, reply) => {
      sendError(error, request, reply, errorOptions);
    },
  };
  const app = (
    deps.logger ? Fastify({ ...options, loggerInstance: deps.logger }) : Fastify({ ...options, logger: { level: config.logLevel } })
  ).withTypeProvider<ZodTypeProvider>() as unknown as TabletApp;

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(async (error, request, reply) => sendError(await withLocationHint(error, deps.server), request, reply, errorOptions));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      new KdiError('NOT_FOUND', `no route ${request.method} ${request.url.split('?', 1)[0]}; the API is described at /openapi.json`),
      request,
      reply,
      errorOptions,
    ),
  );
  registerCellBlockParser(app, limits.cellBlock);

  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  const check = clusterSecretCheck(config.clusterSecret);
  app.addHook('onRequest', async (request) => check(request));

  const { server } = deps;
  const scans = new ScanService(server, {
    maxPageCells: config.scan.maxPageCells,
    maxPageBytes: config.scan.maxPageBytes,
    maxScanners: config.scan.scannerCacheSize,
    scannerIdleMs: config.scan.scannerIdleMs,
    ...(deps.now && { now: deps.now }),
  });
  app.addHook('onClose', async () => scans.close());

  const metrics = new TabletServerMetrics(server, scans, deps.cache);
  metrics.install(app);
  const routeDeps: RouteDeps = { server, scans, metrics, masterSequencers: deps.masterSequencers };

  await registerOpenApi(app, { version: TABLET_SERVER_VERSION });
  registerApplyRoute(app, routeDeps);
  registerSyncRoute(app, routeDeps);
  registerScanRoute(app, routeDeps);
  registerStatRoute(app, routeDeps);
  registerTableInfoRoute(app, routeDeps);
  registerMetaLocationRoute(app, routeDeps);
  registerScannerRoutes(app, routeDeps, config.scan.scannerIdleMs);
  registerAdminRoutes(app, routeDeps);
  registerHealthRoutes(app, routeDeps);

  await app.ready();
  return app;
}
