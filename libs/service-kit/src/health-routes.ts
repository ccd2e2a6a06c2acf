// Probes and metrics, outside /v1 (never behind the bearer guard, so an
// orchestrator and Prometheus need no credentials):
//  - /healthz: the process is up and serving HTTP;
//  - /readyz: the app's readiness callback answers (its body), else it
//    throws — UNAVAILABLE (503) saying what is not ready;
//  - /metrics: Prometheus text (service-metrics.ts).

import { ErrorBodySchema } from '@kdi/protocol';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ServiceApp } from './service-app-type.js';
import type { ServiceMetrics } from './service-metrics.js';

export interface Readiness {
  /** What "ready" means for this server, for the OpenAPI summary. */
  readonly summary: string;
  /** The body of a ready answer. */
  readonly schema: z.ZodType;
  /** The ready body; throws (a KdiError UNAVAILABLE) when not ready. */
  readonly check: (request: FastifyRequest) => Promise<unknown> | unknown;
}

const HealthSchema = z.strictObject({ status: z.literal('ok') });

export const DEFAULT_READINESS: Readiness = {
  summary: 'Readiness: the server takes requests',
  schema: z.strictObject({ status: z.literal('ready') }),
  check: () => ({ status: 'ready' as const }),
};

const ERRORS = {
  '4xx': ErrorBodySchema.describe('The request was refused; see error.code and error.message.'),
  '5xx': ErrorBodySchema.describe('The server is not ready; see error.code and error.message.'),
};

export function registerHealthRoutes(app: ServiceApp, readiness: Readiness, metrics: ServiceMetrics): void {
  app.get('/healthz', { schema: { operationId: 'getHealth', tags: ['health'], summary: 'Liveness: the process serves HTTP', response: { 200: HealthSchema } } }, async () => ({
    status: 'ok' as const,
  }));

  app.get('/readyz', { schema: { operationId: 'getReadiness', tags: ['health'], summary: readiness.summary, response: { 200: readiness.schema, ...ERRORS } } }, async (request) =>
    readiness.check(request),
  );

  app.get(
    '/metrics',
    {
      schema: {
        operationId: 'getMetrics',
        tags: ['health'],
        summary: 'Prometheus metrics (text exposition format)',
        produces: ['text/plain'],
        response: { 200: z.string().describe('Prometheus text format 0.0.4') },
      },
    },
    async (_request, reply) => reply.type(metrics.contentType).send(await metrics.render()),
  );
}
