// The balancer (docs/migration.md "Master"): POST /v1/balancer/run
// {dryRun} (admin token unless a dry run) and GET /v1/balancer/decisions.

import { BalancerDecisionsQuerySchema, BalancerDecisionsReplySchema, BalancerRunBodySchema, BalancerRunReplySchema, ERROR_RESPONSES, NO_QUERY } from '@kdi/protocol';
import type { FastifyRequest } from 'fastify';
import { emptyBodyIsObject } from '../http/empty-body.js';
import type { MasterApp } from '../http/master-app.js';
import type { Master } from '../node/master.js';

export function registerBalancerRoutes(app: MasterApp, master: Master, adminCheck: (request: FastifyRequest) => Promise<void>): void {
  app.post(
    '/v1/balancer/run',
    {
      schema: {
        operationId: 'runBalancer',
        tags: ['balancer'],
        summary: 'Run the balancer now (or plan only, with dryRun)',
        description:
          'Plans moves from the servers’ last heartbeats — drains first, then from the most to the least loaded server while the skew in bytes or ' +
          'request rate is above its threshold, at most KDI_MASTER_BALANCE_MAX_MOVES running at once — and starts them (not in a dry run). The ' +
          'decision says what it saw, each move’s reason and the skews before and after it, merge candidates (planned only) and why it stopped. ' +
          'Needs the admin token when the master has one, except for a dry run.',
        querystring: NO_QUERY,
        body: BalancerRunBodySchema,
        response: { 200: BalancerRunReplySchema, ...ERROR_RESPONSES },
      },
      // No body at all is the same as {} (curl -XPOST … with nothing to say).
      preValidation: emptyBodyIsObject,
      preHandler: async (request) => {
        if ((request.body as { dryRun?: boolean } | undefined)?.dryRun !== true) await adminCheck(request);
      },
    },
    async (request) => ({ decision: await master.active().balancer.run('manual', request.body.dryRun) }),
  );

  app.get(
    '/v1/balancer/decisions',
    {
      schema: {
        operationId: 'listBalancerDecisions',
        tags: ['balancer'],
        summary: "The balancer's recent decisions, newest first, and its settings",
        description:
          'The last KDI_MASTER_HISTORY_DECISIONS (100) runs that planned moves or merged tablets, and the latest one that did neither (per trigger); drain ticks that ' +
          'planned nothing are not kept. Kept across a failover: the active master writes them to the lock service and a master that takes over lists them.',
        querystring: BalancerDecisionsQuerySchema,
        response: { 200: BalancerDecisionsReplySchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const b = master.active().balancer;
      return { decisions: b.decisions(request.query.limit), settings: b.settings };
    },
  );
}
