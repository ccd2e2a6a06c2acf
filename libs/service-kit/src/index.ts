// @kdi/service-kit — the only public entry of the HTTP plumbing the KDI
// servers share (DESIGN §16: apps import libs, never each other). Imports
// only @kdi/protocol and Node; what it needs of zod and Fastify it reads
// structurally.

export { Counter, DEFAULT_SECONDS_BUCKETS, Gauge, Histogram, MetricsRegistry, PROMETHEUS_CONTENT_TYPE } from './metrics.js';
export { REQUEST_ID_HEADER, requestIdOf } from './request-id.js';
export { validationError, type ValidationErrorOptions, type ValidationIssue } from './validation-message.js';
export { secretMatcher } from './secret-match.js';
export { envToRaw, variableFor, type EnvVariable } from './env-config.js';
export {
  configLoader,
  ServiceConfigError,
  type ConfigIssue,
  type ConfigLoader,
  type ConfigLoaderOptions,
  type ConfigSchema,
  type ConfigSchemaIssue,
} from './config-loader.js';
export { classifyFastifyError, type ErrorText, type FastifyErrorTexts } from './fastify-errors.js';
export { openApiProblems, type Json as OpenApiJson } from './openapi-problems.js';
