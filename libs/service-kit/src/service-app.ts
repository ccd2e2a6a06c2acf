// createServiceApp: the chassis every KDI server's buildApp starts from
// (DESIGN §1, §16). It returns a Fastify instance, not ready and not
// listening, that already has
//   - request ids: a caller's x-request-id kept when it is a plain token,
//     else a fresh one; echoed in the x-request-id header, in every error
//     body and as `requestId` in the logs;
//   - one log line per request, when it is answered (request-log.ts);
//   - zod schemas (validator and serializer compilers, strict);
//   - the JSON body parser whose refusals name the problem (json-body.ts),
//     and no text/plain parser: a body of any other type is refused with
//     the app's words for which Content-Type to send;
//   - one error handler (error-reply.ts; the app's classifier first), for
//     Fastify's early failures too, and the not-found handler;
//   - the bearer guard, on the requests the app says need the secret;
//   - OpenAPI at /openapi.json and /docs (openapi.ts);
//   - metrics on prom-client (service-metrics.ts), /metrics, /healthz and
//     /readyz with the app's readiness callback (health-routes.ts);
//   - path parameters up to MAX_PARAM_LENGTH characters (Fastify's 100
//     would refuse valid 101-128 character names).
// The app adds its routes and hooks, then calls `await app.ready()`.

import Fastify, { type FastifyBaseLogger, type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { KdiError } from '@kdi/protocol';
import { bearerGuard, type BearerGuardOptions } from './bearer-guard.js';
import { sendError, type ErrorReplyOptions } from './error-reply.js';
import { DEFAULT_READINESS, registerHealthRoutes, type Readiness } from './health-routes.js';
import { registerJsonBodyParser } from './json-body.js';
import { registerOpenApi, type OpenApiOptions } from './openapi.js';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id.js';
import { RequestLogController } from './request-log.js';
import type { ServiceApp } from './service-app-type.js';
import { ServiceMetrics } from './service-metrics.js';

/**
 * The longest path parameter: names are at most 128 characters (DESIGN §7),
 * and a client may percent-encode every one of them (3 characters each).
 */
export const MAX_PARAM_LENGTH = 512;

export interface ServiceAppOptions {
  /** The metric name prefix, e.g. 'lockserver'. */
  readonly metricsPrefix: string;
  /** Log level of Fastify's own pino when no `logger` is given. */
  readonly logLevel: string;
  /** A pino-compatible logger (runService's, or a test's). */
  readonly logger?: FastifyBaseLogger | undefined;
  /** The largest JSON body, in bytes. */
  readonly bodyLimit: number;
  /** Default 120 s: long polls are cut at 60 s by the schemas. */
  readonly requestTimeout?: number;
  readonly errors: ErrorReplyOptions;
  readonly openapi: OpenApiOptions;
  /** The bearer guard; none when the server runs without a secret. */
  readonly bearer?: BearerGuardOptions | undefined;
  /** /readyz; default: ready while the app serves. */
  readonly readiness?: Readiness;
  /** The end of the message refusing a JSON body that is not UTF-8 (what to send instead). */
  readonly jsonUtf8Hint?: string;
  /** Run before each /metrics scrape (e.g. one read that sets several gauges). */
  readonly onScrape?: () => Promise<void> | void;
}

export interface ServiceAppParts {
  readonly app: ServiceApp;
  /** The app's metrics: register the app's own on `metrics.registry`. */
  readonly metrics: ServiceMetrics;
}

export async function createServiceApp(opts: ServiceAppOptions): Promise<ServiceAppParts> {
  const options: FastifyServerOptions = {
    bodyLimit: opts.bodyLimit,
    genReqId: requestIdOf,
    logController: new RequestLogController(),
    requestTimeout: opts.requestTimeout ?? 120_000,
    return503OnClosing: true,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Fastify's own early failures (bad URL encoding, …) get the protocol's body too.
    frameworkErrors: (error, request, reply) => {
      void sendError(error, request, reply, opts.errors);
    },
  };
  const app = (opts.logger
    ? Fastify({ ...options, loggerInstance: opts.logger })
    : Fastify({ ...options, logger: { level: opts.logLevel } })
  ).withTypeProvider<ZodTypeProvider>() as unknown as ServiceApp;

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply, opts.errors));
  app.setNotFoundHandler((request, reply) =>
    sendError(new KdiError('NOT_FOUND', `no route ${request.method} ${request.url.split('?', 1)[0]}; the API is described at /openapi.json`), request, reply, opts.errors),
  );
  registerJsonBodyParser(app, { emptyBodyMessage: opts.errors.texts.emptyJsonBody, utf8Hint: opts.jsonUtf8Hint });
  // Only JSON (and what the app adds) are bodies; text/plain would otherwise reach the schemas as a string.
  app.removeContentTypeParser('text/plain');

  // The per-request hooks are callback hooks, not async ones: an async hook
  // costs a promise and a microtask turn on every request. A throw (the
  // bearer guard's refusal) reaches the error handler all the same, after
  // the request id header is set.
  const check = opts.bearer === undefined ? undefined : bearerGuard(opts.bearer);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    check?.(request);
    done();
  });

  const metrics = new ServiceMetrics(opts.metricsPrefix, opts.onScrape);
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  await registerOpenApi(app, opts.openapi);
  registerHealthRoutes(app, opts.readiness ?? DEFAULT_READINESS, metrics);
  return { app, metrics };
}
