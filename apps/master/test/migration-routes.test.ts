// The move, migration, balancer and drain routes' input checks, in process
// (no lock server: this master never becomes active, so a request that
// passes every check is UNAVAILABLE): bad ids, bodies and queries are 400
// INVALID_ARGUMENT naming the field; changes need the admin token (a dry
// run of the balancer does not); reads are open. What an active master
// answers (unknown tablet, target unknown / dead / the same server /
// draining, already moving) is tested against a real cluster in
// migration-api.test.ts and migration-e2e.test.ts.

import { injectRequest } from '@kdi/service-kit/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import type { MasterApp } from '../src/http/master-app.js';
import { Master } from '../src/node/master.js';

const TOKEN = 'admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('move, migration, balancer and drain routes', () => {
  let app: MasterApp;
  let master: Master;
  beforeAll(async () => {
    const config = parseConfig({ lockUrl: 'http://127.0.0.1:9', clusterSecret: 'cluster-secret-0123456', adminToken: TOKEN });
    const logger = pino({ level: 'silent' });
    master = new Master(config, { logger, onLost: () => {} });
    app = await buildApp(config, { master, logger });
  });
  afterAll(async () => {
    await app.close();
    await master.close();
  });

  it('refuses bad input with 400 INVALID_ARGUMENT naming what to fix', async () => {
    const cases = [
      { method: 'POST', url: '/v1/tablets/..%2Fx/move', body: {}, field: /tabletId/ },
      { method: 'POST', url: '/v1/tablets/t1/move', body: { target: 7 }, field: /target/ },
      { method: 'POST', url: '/v1/tablets/t1/move', body: { target: 'a/b' }, field: /target/ },
      { method: 'POST', url: '/v1/tablets/t1/move', body: { to: 'ts1' }, field: /to/ },
      { method: 'POST', url: '/v1/tablets/t1/move?now=1', body: {}, field: /now/ },
      { method: 'POST', url: '/v1/balancer/run', body: { dryRun: 'yes' }, field: /dryRun/ },
      { method: 'GET', url: '/v1/balancer/decisions?limit=0', body: undefined, field: /limit/ },
      { method: 'GET', url: '/v1/migrations/a%20b', body: undefined, field: /migrationId/ },
      { method: 'POST', url: '/v1/servers/..%2Fetc/drain', body: undefined, field: /serverId/ },
    ] as const;
    for (const c of cases) {
      const r = await injectRequest(app, { method: c.method, url: c.url, body: c.body, headers: auth });
      expect(r.status, `${c.method} ${c.url}`).toBe(400);
      const error = (r.body as { error: { code: string; message: string } }).error;
      expect(error.code, `${c.method} ${c.url}`).toBe('INVALID_ARGUMENT');
      expect(error.message, `${c.method} ${c.url}`).toMatch(c.field);
    }
  });

  it('needs the admin token to move, balance and drain; not for a dry run or to read', async () => {
    for (const [method, url, body] of [
      ['POST', '/v1/tablets/t1/move', {}],
      ['POST', '/v1/balancer/run', {}],
      ['POST', '/v1/balancer/run', undefined],
      ['POST', '/v1/servers/ts1/drain', undefined],
      ['DELETE', '/v1/servers/ts1/drain', undefined],
    ] as const) {
      const none = await injectRequest(app, { method, url, body });
      expect(none.status, `${method} ${url}`).toBe(401);
      expect((none.body as any).error.message).toMatch(/admin token/);
      const right = await injectRequest(app, { method, url, body, headers: auth });
      expect(right.status, `${method} ${url}`).toBe(503); // past the checks; this master is a standby
    }
    for (const [method, url, body] of [
      ['POST', '/v1/balancer/run', { dryRun: true }],
      ['GET', '/v1/balancer/decisions', undefined],
      ['GET', '/v1/migrations', undefined],
      ['GET', '/v1/migrations/mig-1', undefined],
    ] as const) {
      const r = await injectRequest(app, { method, url, body });
      expect(r.status, `${method} ${url}`).toBe(503);
      expect((r.body as any).error.message).toMatch(/standby/);
    }
  });
});
