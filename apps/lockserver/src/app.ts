// buildApp: the lock server as a Fastify instance, ready but not listening
// (STYLE: only main.ts listens; tests use inject). It wires
//   request ids → cluster secret → routes (zod schemas, strict) → service → store
// and one error handler that answers every failure with the protocol's
// error body.

import Fastify, { LogController, type FastifyBaseLogger, type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { checkJsonUtf8, KdiError } from '@kdi/protocol';
import { REQUEST_ID_HEADER, requestIdOf } from '@kdi/service-kit';
import type { LockServerConfig } from './config.js';
import { clusterSecretCheck } from './http/cluster-secret.js';
import { sendError, type ErrorReplyOptions } from './http/error-reply.js';
import { LockServerMetrics } from './http/http-metrics.js';
import type { LockApp } from './http/lock-app.js';
import { registerOpenApi } from './http/openapi.js';
import { registerDirRoutes } from './routes/dirs.js';
import { registerFileRoutes } from './routes/files.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerLockRoutes } from './routes/locks.js';
import { registerSequencerRoutes } from './routes/sequencers.js';
import { registerSessionRoutes } from './routes/sessions.js';
import { registerStatusRoutes } from './routes/status.js';
import { registerWatchRoutes } from './routes/watch.js';
import { LockService } from './service/lock-service.js';
import type { LockStore } from './store/lock-store.js';

export const LOCK_SERVER_VERSION = '0.1.0';

/** Room for the JSON around the contents (field names, other fields, escapes). */
const BODY_SLACK_BYTES = 64 * 1024;

export interface LockAppDeps {
  readonly store: LockStore;
  /** A pino-compatible logger; default: Fastify's pino at config.logLevel. */
  readonly logger?: FastifyBaseLogger;
  /** Monotonic milliseconds for waits; default performance.now. */
  readonly now?: () => number;
}

/**
 * The largest accepted request body: contents of maxContentsBytes sent as
 * base64 (4/3 of the bytes) fit with room to spare, and the default 1 MiB
 * of Fastify does not silently cap a larger configured limit.
 */
export function bodyLimitFor(maxContentsBytes: number): number {
  return maxContentsBytes * 2 + BODY_SLACK_BYTES;
}

export async function buildApp(config: LockServerConfig, deps: LockAppDeps): Promise<LockApp> {
  const errorOptions: ErrorReplyOptions = {
    bodyLimit: bodyLimitFor(config.limits.maxContentsBytes),
    maxContentsBytes: config.limits.maxContentsBytes,
  };
  const options: FastifyServerOptions = {
    bodyLimit: errorOptions.bodyLimit,
    genReqId: requestIdOf,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    // Long polls are cut at 60 s by the schemas; leave headroom beyond that.
    requestTimeout: 120_000,
    return503OnClosing: true,
    // Fastify's own early failures (bad URL encoding, …) get the protocol's body too.
    frameworkErrors: (error, request, reply) => {
      sendError(error, request, reply, errorOptions);
    },
  };
  const app = (
    deps.logger ? Fastify({ ...options, loggerInstance: deps.logger }) : Fastify({ ...options, logger: { level: config.logLevel } })
  ).withTypeProvider<ZodTypeProvider>() as unknown as LockApp;

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply, errorOptions));
  app.setNotFoundHandler((request, reply) =>
    sendError(new KdiError('NOT_FOUND', `no route ${request.method} ${request.url.split('?', 1)[0]}; the API is described at /openapi.json`), request, reply, errorOptions),
  );

  // JSON bodies: refuse invalid UTF-8 (naming the field) instead of decoding it to U+FFFD; then Fastify's own parser.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      checkJsonUtf8(body as Buffer, 'body', 'send contents that are not text with "encoding":"base64"');
    } catch (error) {
      done(error as Error, undefined);
      return;
    }
    parseJson(request, (body as Buffer).toString('utf8'), done);
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  if (config.clusterSecret !== undefined) {
    const check = clusterSecretCheck(config.clusterSecret);
    app.addHook('onRequest', async (request) => check(request));
  }

  const metrics = new LockServerMetrics();
  metrics.install(app);

  const service = new LockService(deps.store, deps.now ? { now: deps.now } : {});
  // End long polls and blocking acquires first, so close() does not wait for them.
  app.addHook('preClose', async () => service.close());

  await registerOpenApi(app, { secured: config.clusterSecret !== undefined, version: LOCK_SERVER_VERSION });
  registerSessionRoutes(app, service);
  registerFileRoutes(app, service);
  registerDirRoutes(app, service);
  registerLockRoutes(app, service);
  registerSequencerRoutes(app, service);
  registerWatchRoutes(app, service);
  registerStatusRoutes(app, service);
  registerHealthRoutes(app, service, metrics);

  await app.ready();
  return app;
}
