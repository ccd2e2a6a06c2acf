// @kdi/service-kit/testing — test helpers for every KDI server: the inject
// harness, the process launcher and OpenAPI validation. Only tests import
// this entry.

export { injectRequest, type InjectReply, type InjectRequest } from './inject.js';
export { startServiceProcess, type ServiceProcess, type ServiceProcessOptions } from './service-process.js';
export { validateOpenApi } from './openapi-validation.js';
export { openApiProblems, type Json as OpenApiJson } from './openapi-problems.js';
export { lintOpenApi, type OpenApiLintResult } from './openapi-lint.js';
export { buildIfStale } from './build-if-stale.js';
