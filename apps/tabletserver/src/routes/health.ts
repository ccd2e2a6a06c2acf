// Probes and metrics, outside /v1 (never behind a secret, so an
// orchestrator and Prometheus need no credentials):
//  - /healthz: the process is up and serving HTTP;
//  - /readyz: the tablet server takes requests (not shutting down), else 503 UNAVAILABLE;
//  - /metrics: Prometheus text.

import { KdiError, ERROR_RESPONSES } from '@kdi/protocol';
import { z } from 'zod';
import { PROMETHEUS_CONTENT_TYPE } from '@kdi/service-kit';
import type { TabletApp } from '../http/tablet-app.js';
import type { RouteDeps } from './route-deps.js';

const HealthSchema = z.strictObject({ status: z.literal('ok') });
const ReadySchema = z.strictObject({ status: z.literal('ready'), serverId: z.string(), tablets: z.int().nonnegative() });

export function registerHealthRoutes(app: TabletApp, { server, metrics }: RouteDeps): void {
  app.get(
    '/healthz',
    { schema: { tags: ['health'], summary: 'Liveness: the process serves HTTP', response: { 200: HealthSchema } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness: the tablet server takes requests',
        response: { 200: ReadySchema, ...ERROR_RESPONSES },
      },
    },
    async () => {
      if (!server.isOpen) throw new KdiError('UNAVAILABLE', `tablet server ${server.serverId} is shutting down`);
      return { status: 'ready' as const, serverId: server.serverId, tablets: server.map.size };
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics (text exposition format)',
        produces: ['text/plain'],
        response: { 200: z.string().describe('Prometheus text format 0.0.4') },
      },
    },
    async (_request, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(metrics.render()),
  );
}
