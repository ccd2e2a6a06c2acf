// The master's OpenAPI document at /openapi.json: every master route of
// the contract (the route list in libs/protocol/src/master-api/index.ts,
// the gateway's aside — another package registers those) with an
// operationId, `security` on each operation (the heartbeat needs the
// cluster secret), the named schemas of both registries, and a valid
// OpenAPI 3.0 document (validateOpenApi). The app is built in-process
// with a master that never joins an election (no lock server needed).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { injectRequest, lintOpenApi, validateOpenApi } from '@kdi/service-kit/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import type { MasterApp } from '../src/http/master-app.js';
import { Master } from '../src/node/master.js';

const CONTRACT = fileURLToPath(new URL('../../../libs/protocol/src/master-api/index.ts', import.meta.url));
type Json = Record<string, any>;

function contractRoutes(): string[] {
  const text = readFileSync(CONTRACT, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\/\/\s+(GET|POST|PUT|DELETE)\s+(\/v1\/\S+)/gm)) {
    if (m[2]!.includes('|') || m[2]!.startsWith('/v1/admin')) continue; // the gateway; the tablet servers' routes
    out.push(`${m[1]!.toLowerCase()} ${m[2]!}`);
  }
  return out;
}

describe('the OpenAPI document', () => {
  let app: MasterApp;
  let master: Master;
  let doc: Json;
  beforeAll(async () => {
    const config = parseConfig({ lockUrl: 'http://127.0.0.1:9', clusterSecret: 'openapi-test-secret-0123' });
    const logger = pino({ level: 'silent' });
    master = new Master(config, { logger, onLost: () => {} });
    app = await buildApp(config, { master, logger });
    const r = await injectRequest(app, { method: 'GET', url: '/openapi.json' });
    expect(r.status).toBe(200);
    doc = r.body as Json;
  });
  afterAll(async () => {
    await app.close();
    await master.close();
  });

  it('lists every master route of the contract, each with an operationId', () => {
    const routes = contractRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(11);
    const paths = doc['paths'] as Record<string, Json>;
    const missing = routes.filter((r) => {
      const [method, path] = r.split(' ') as [string, string];
      return paths[path]?.[method]?.['operationId'] === undefined;
    });
    expect(missing).toEqual([]);
  });

  it('says which operations need the cluster secret', () => {
    const paths = doc['paths'] as Record<string, Json>;
    expect(paths['/v1/cluster/heartbeat']!['post']['security']).toEqual([{ clusterSecret: [] }]);
    expect(paths['/v1/tables']!['get']['security']).toEqual([]);
  });

  it('publishes the master and Table API schemas by name', () => {
    const schemas = (doc['components'] as Json)['schemas'] as Json;
    for (const name of ['TableDescription', 'MasterTablet', 'ClusterEvent', 'MasterServer', 'ErrorBody', 'TabletLocation']) expect(schemas[name], name).toBeDefined();
  });

  it('is a valid OpenAPI 3.0 document', async () => {
    expect(await validateOpenApi(doc)).toEqual([]);
    const lint = await lintOpenApi(doc);
    expect(lint.errors).toEqual([]);
  });
});
