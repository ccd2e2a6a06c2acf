// buildApp: the lock server as a Fastify instance on the service chassis
// (@kdi/service-kit: request ids, errors, OpenAPI, metrics, probes, bearer
// guard), ready but not listening (STYLE: only main.ts listens; tests use
// inject). It adds
//   cluster secret on /v1 → routes (zod schemas, strict) → service → store
// and the lock server's wording for the errors that depend on what it
// accepts.

import { KdiError, LOCK_API_SCHEMAS } from '@kdi/protocol';
import { createServiceApp, isPathUnder, type FastifyErrorTexts } from '@kdi/service-kit';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { LockServerConfig } from './config.js';
import { LockStoreMetrics } from './http/http-metrics.js';
import type { LockApp } from './http/lock-app.js';
import { lockPathTransform } from './http/openapi.js';
import { registerDirRoutes } from './routes/dirs.js';
import { registerFileRoutes } from './routes/files.js';
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

/** The lock server's words for Fastify's errors that depend on what it accepts. */
export function errorTexts(bodyLimit: number, maxContentsBytes: number): FastifyErrorTexts {
  return {
    validation: { wildcardName: 'path' },
    bodyTooLarge: {
      message: `the request body is larger than the limit of ${bodyLimit} bytes (file contents may be at most ${maxContentsBytes} bytes, sent as text or base64)`,
      details: { limit: bodyLimit, maxContentsBytes },
    },
    emptyJsonBody: 'the body is empty but Content-Type is application/json; send a JSON object (at least {}) or no Content-Type',
    invalidMediaType: { message: 'unsupported Content-Type: the body must be JSON, sent with Content-Type: application/json', details: { field: 'content-type' } },
  };
}

/** True for paths under /v1 (the lock API), matched route or not: they need the cluster secret when one is set. */
export function isApiRequest(request: FastifyRequest): boolean {
  return isPathUnder(request.url, '/v1') || isPathUnder(request.routeOptions.url ?? '', '/v1');
}

const ReadySchema = z.strictObject({ status: z.literal('ready'), backend: z.enum(['redis', 'embedded']) });

export async function buildApp(config: LockServerConfig, deps: LockAppDeps): Promise<LockApp> {
  const bodyLimit = bodyLimitFor(config.limits.maxContentsBytes);
  let storeMetrics: LockStoreMetrics | undefined;
  const { app, metrics } = await createServiceApp({
    metricsPrefix: 'lockserver',
    logLevel: config.logLevel,
    logger: deps.logger,
    bodyLimit,
    errors: { texts: errorTexts(bodyLimit, config.limits.maxContentsBytes) },
    openapi: {
      title: 'KDI lock service',
      version: LOCK_SERVER_VERSION,
      description:
        'Sessions, files, locks with fencing sequencers, ephemeral files and watches (DESIGN §8). ' +
        'Errors are {error:{code,message,details,retryAfterMs,requestId}} with the status of the KDI error catalogue.',
      secured: (url) => url.startsWith('/v1'),
      schemas: LOCK_API_SCHEMAS,
      transform: lockPathTransform,
    },
    ...(config.clusterSecret !== undefined && {
      bearer: { secret: config.clusterSecret, requiredFor: (request) => (isApiRequest(request) ? 'this lock server requires' : undefined) },
    }),
    readiness: {
      summary: 'Readiness: the lock store answers',
      schema: ReadySchema,
      check: async (request) => {
        try {
          const s = await deps.store.status();
          return { status: 'ready' as const, backend: s.backend };
        } catch (e) {
          request.log.warn({ err: e }, 'readiness check: the lock store did not answer');
          throw new KdiError('UNAVAILABLE', 'the lock store does not answer', { cause: e });
        }
      },
    },
    jsonUtf8Hint: 'send contents that are not text with "encoding":"base64"',
    onScrape: () => storeMetrics?.scrape(),
  });
  storeMetrics = new LockStoreMetrics(metrics.registry, deps.store, app.log);

  const service = new LockService(deps.store, deps.now ? { now: deps.now } : {});
  // End long polls and blocking acquires first, so close() does not wait for them.
  app.addHook('preClose', async () => service.close());

  registerSessionRoutes(app, service);
  registerFileRoutes(app, service);
  registerDirRoutes(app, service);
  registerLockRoutes(app, service);
  registerSequencerRoutes(app, service);
  registerWatchRoutes(app, service);
  registerStatusRoutes(app, service);

  await app.ready();
  return app;
}
