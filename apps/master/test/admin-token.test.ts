// With KDI_MASTER_ADMIN_TOKEN set, create, drop and set-schema need
// `Authorization: Bearer <token>`; reads do not; the heartbeat needs the
// cluster secret. A master that has not won the election answers the
// routes it can with UNAVAILABLE (no lock server is needed for that).

import { injectRequest } from '@kdi/service-kit/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import type { MasterApp } from '../src/http/master-app.js';
import { Master } from '../src/node/master.js';

const TOKEN = 'admin-token-0123456789';

describe('credentials', () => {
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

  it('needs the admin token for DDL', async () => {
    for (const [method, url, body] of [
      ['POST', '/v1/tables', { name: 't' }],
      ['DELETE', '/v1/tables/t', undefined],
      ['PUT', '/v1/tables/t/schema', { groups: [{ name: 'default', families: '*' }] }],
    ] as const) {
      const none = await injectRequest(app, { method, url, body });
      expect(none.status, `${method} ${url}`).toBe(401);
      expect((none.body as any).error.message).toMatch(/admin token/);
      const wrong = await injectRequest(app, { method, url, body, headers: { authorization: 'Bearer wrong-token-0123456789' } });
      expect(wrong.status).toBe(401);
      // With the token the request passes the check; this master is not active, so it is UNAVAILABLE.
      const right = await injectRequest(app, { method, url, body, headers: { authorization: `Bearer ${TOKEN}` } });
      expect(right.status).toBe(503);
      expect((right.body as any).error.code).toBe('UNAVAILABLE');
    }
  });

  it('leaves reads open, and needs the cluster secret on heartbeats', async () => {
    const list = await injectRequest(app, { method: 'GET', url: '/v1/tables' });
    expect(list.status).toBe(503);
    expect((list.body as any).error.message).toMatch(/standby/);
    const hb = await injectRequest(app, { method: 'POST', url: '/v1/cluster/heartbeat', body: {} });
    expect(hb.status).toBe(401);
    expect((hb.body as any).error.message).toMatch(/cluster secret/);
  });
});
