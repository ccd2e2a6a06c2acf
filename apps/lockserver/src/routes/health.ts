// Probes and metrics, outside /v1 (never behind the cluster secret, so an
// orchestrator and Prometheus need no credentials):
//  - /healthz: the process is up and serving HTTP;
//  - /readyz: the store answers (status() succeeds), else 503 UNAVAILABLE;
//  - /metrics: Prometheus text.

import { KdiError } from '@kdi/protocol';
import { z } from 'zod';
import { PROMETHEUS_CONTENT_TYPE } from '@kdi/service-kit';
import type { LockServerMetrics } from '../http/http-metrics.js';
import { ERROR_RESPONSES } from '../http/route-schemas.js';
import type { LockApp } from '../http/lock-app.js';
import type { LockService } from '../service/lock-service.js';
import type { StoreStatus } from '../store/lock-store.js';

const HealthSchema = z.strictObject({ status: z.literal('ok') });
const ReadySchema = z.strictObject({ status: z.literal('ready'), backend: z.enum(['redis', 'embedded']) });

export function registerHealthRoutes(app: LockApp, service: LockService, metrics: LockServerMetrics): void {
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
        summary: 'Readiness: the lock store answers',
        response: { 200: ReadySchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      try {
        const s = await service.store.status();
        return { status: 'ready' as const, backend: s.backend };
      } catch (e) {
        request.log.warn({ err: e }, 'readiness check: the lock store did not answer');
        throw new KdiError('UNAVAILABLE', 'the lock store does not answer', { cause: e });
      }
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
    async (request, reply) => {
      let status: StoreStatus | undefined;
      try {
        status = await service.store.status();
      } catch (e) {
        request.log.warn({ err: e }, 'metrics: the lock store did not answer');
      }
      return reply.type(PROMETHEUS_CONTENT_TYPE).send(metrics.render(status));
    },
  );
}
