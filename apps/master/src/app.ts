// buildApp: the master's HTTP side as a Fastify instance on the service
// chassis (@kdi/service-kit: request ids, errors, OpenAPI, metrics,
// probes, bearer guard), ready but not listening (STYLE: only main.ts
// listens; tests listen themselves). The Master (deps.master) belongs to
// the caller, which starts it once the app listens (its URL goes into
// /kdi/master) and closes it after the app.
//
// Routes: the master API (routes/status.ts, servers.ts, tables.ts,
// migrations.ts, balancer.ts), the web page at / (routes/web.ts, files in
// src/web) and —
// registered in ONE place below — the gateway (/v1/tables/{t}/apply|sync|
// scan|stat), which routes data calls through the SDK (deps.kdi).

import { KdiError, MASTER_API_SCHEMAS, TABLE_API_SCHEMAS } from '@kdi/protocol';
import type { KdiClient } from '@kdi/client-sdk';
import { createServiceApp, type OpenApiSchemaRegistry } from '@kdi/service-kit';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { MasterConfig } from './config.js';
import { adminTokenCheck, clusterSecretRequiredFor, routeSecurity } from './http/auth.js';
import { GatewayClient } from './gateway/gateway-client.js';
import { registerGatewayRoutes } from './gateway/register-gateway.js';
import type { MasterApp } from './http/master-app.js';
import type { Master } from './node/master.js';
import { registerBalancerRoutes } from './routes/balancer.js';
import { registerDiskRoutes } from './routes/disks.js';
import { registerMigrationRoutes } from './routes/migrations.js';
import { registerServerRoutes } from './routes/servers.js';
import { registerStatusRoutes } from './routes/status.js';
import { registerTableRoutes } from './routes/tables.js';
import { registerWebRoutes } from './routes/web.js';

export const MASTER_VERSION = '0.1.0';
const BODY_LIMIT = 16 * 1024 * 1024;

export interface MasterAppDeps {
  readonly master: Master;
  /** A pino-compatible logger; default: Fastify's pino at config.logLevel. */
  readonly logger?: FastifyBaseLogger | undefined;
  /** The SDK client the gateway routes data calls through; default: one bootstrapped from this master's own URL, made on first use. */
  readonly kdi?: KdiClient | undefined;
}

/** The master's document names the Table API's schemas (the gateway) and its own. */
function documentSchemas(): OpenApiSchemaRegistry {
  const all = z.registry<{ id?: string | undefined }>();
  for (const registry of [TABLE_API_SCHEMAS, MASTER_API_SCHEMAS]) {
    for (const [id, schema] of registry._idmap) all.add(schema, { id });
  }
  return all;
}

const ReadySchema = z.strictObject({ status: z.literal('ready'), role: z.enum(['active', 'standby']) });

export async function buildApp(config: MasterConfig, deps: MasterAppDeps): Promise<MasterApp> {
  const { master } = deps;
  const { app } = await createServiceApp({
    metricsPrefix: 'master',
    logLevel: config.logLevel,
    logger: deps.logger,
    bodyLimit: BODY_LIMIT,
    errors: {
      texts: {
        bodyTooLarge: { message: `the request body is larger than the limit (${BODY_LIMIT} bytes)`, details: { bodyLimit: BODY_LIMIT } },
        emptyJsonBody: 'the body is empty but Content-Type is application/json; send a JSON object',
        invalidMediaType: { message: 'unsupported Content-Type; send application/json', details: { field: 'content-type' } },
      },
    },
    openapi: {
      title: 'KDI master',
      version: MASTER_VERSION,
      description:
        'The master API (DESIGN §9): tables (create, drop, schema, describe), tablets, servers, recent events and the election; ' +
        'tablet moves, the balancer and server drains (docs/migration.md); a server’s disks, disk migrations and disk balance, proxied, and the automatic disk balance (docs/disks.md); ' +
        "the tablet servers' heartbeats (cluster secret); META's location for SDK bootstrap; and the gateway (the Table API's apply, sync, scan " +
        'and stat on /v1/tables/{table}/…, routed to the owning servers). Errors are {error:{code,message,details,retryAfterMs,requestId}} with the ' +
        'status of the KDI error catalogue. A standby master answers GET /v1/master and GET /v1/meta/location, and UNAVAILABLE naming the active master otherwise.',
      secured: routeSecurity,
      schemas: documentSchemas(),
    },
    bearer: { secret: config.clusterSecret, requiredFor: clusterSecretRequiredFor },
    readiness: {
      summary: 'Readiness: this master takes requests (active or standby)',
      schema: ReadySchema,
      check: () => {
        if (master.url === undefined) throw new KdiError('UNAVAILABLE', 'the master has not joined the election yet');
        return { status: 'ready' as const, role: master.role };
      },
    },
  });

  const adminCheck = adminTokenCheck(config.adminToken);
  registerStatusRoutes(app, master);
  registerServerRoutes(app, master, adminCheck);
  registerTableRoutes(app, master, adminCheck);
  registerMigrationRoutes(app, master, adminCheck);
  registerBalancerRoutes(app, master, adminCheck);
  registerDiskRoutes(app, master, adminCheck);
  registerWebRoutes(app);

  // ---- GATEWAY: the single place it is registered ---------------------------
  // Data calls through the SDK: deps.kdi when given, else a client of this
  // master's own URL made on first use (gateway/gateway-client.ts).
  const given = deps.kdi;
  if (given !== undefined) registerGatewayRoutes(app, { kdi: () => given });
  else {
    const client = new GatewayClient(() => master.url);
    app.addHook('onClose', () => client.close());
    registerGatewayRoutes(app, { kdi: client.get });
  }
  // ----------------------------------------------------------------------------

  await app.ready();
  return app;
}
