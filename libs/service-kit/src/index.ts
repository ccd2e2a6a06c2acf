// @kdi/service-kit — the service chassis every KDI server runs on (DESIGN
// §1, §16: apps import libs, never each other): createServiceApp (request
// ids, errors, OpenAPI, prom-client metrics, health, bearer guard),
// runService for main.ts, config loading. Test helpers are in the
// `@kdi/service-kit/testing` entry.

export { createServiceApp, MAX_PARAM_LENGTH, type ServiceAppOptions, type ServiceAppParts } from './service-app.js';
export type { ServiceApp } from './service-app-type.js';
export { runService, listeningUrl, EXIT_CONFIG, EXIT_FAILURE, EXIT_OK, type ServiceDefinition, type StartedService } from './run-service.js';
export { ServiceMetrics, DEFAULT_SECONDS_BUCKETS } from './service-metrics.js';
// The metric classes, so that apps register their own without importing prom-client themselves.
export { Counter, Gauge, Histogram, Registry as MetricsRegistry } from 'prom-client';
export { bearerGuard, isPathUnder, type BearerGuardOptions } from './bearer-guard.js';
export { classifyError, sendError, type ErrorReplyOptions } from './error-reply.js';
export { BEARER_SCHEME, type OpenApiOptions, type OpenApiSchemaRegistry, type OpenApiTransform, type OpenApiTransformInput, type OpenApiTransformOutput } from './openapi.js';
export { DEFAULT_READINESS, type Readiness } from './health-routes.js';
export { REQUEST_ID_HEADER, requestIdOf } from './request-id.js';
export { validationError, type ValidationErrorOptions, type ValidationIssue } from './validation-message.js';
export { secretMatcher } from './secret-match.js';
export { envToRaw, variableFor, type EnvVariable } from './env-config.js';
export { configLoader, ServiceConfigError, type ConfigIssue, type ConfigLoader, type ConfigLoaderOptions, type ConfigSchema, type ConfigSchemaIssue } from './config-loader.js';
export { classifyFastifyError, type ErrorText, type FastifyErrorTexts } from './fastify-errors.js';
