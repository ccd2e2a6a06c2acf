// What every route shares: probes, metrics, the OpenAPI document (every
// route, both body encodings of apply, the admin routes secured), unknown
// routes, request ids, and hidden internal errors.

import { ErrorBodySchema } from '@kdi/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cell, TestServer } from './harness.js';
import { validateOpenApi } from '@kdi/service-kit/testing';

/** Every route of the API (docs/api.md lists the same). */
const ROUTES = [
  ['post', '/v1/tables/{table}/apply'],
  ['post', '/v1/tables/{table}/sync'],
  ['post', '/v1/tables/{table}/scan'],
  ['post', '/v1/tables/{table}/stat'],
  ['get', '/v1/tables/{table}'],
  ['get', '/v1/meta/location'],
  ['post', '/v1/scanners'],
  ['get', '/v1/scanners/{scannerId}/next'],
  ['delete', '/v1/scanners/{scannerId}'],
  ['post', '/v1/admin/tablets'],
  ['delete', '/v1/admin/tablets/{tabletId}'],
  ['post', '/v1/admin/tablets/{tabletId}/split'],
  ['post', '/v1/admin/tablets/{tabletId}/merge'],
  ['post', '/v1/admin/tablets/{tabletId}/compact'],
  ['post', '/v1/admin/serialize'],
  ['post', '/v1/admin/tables/{table}/schema'],
  ['post', '/v1/admin/gc'],
  ['get', '/v1/admin/status'],
  ['post', '/v1/admin/tablets/{tabletId}/migrate'],
  ['get', '/v1/admin/migrations'],
  ['delete', '/v1/admin/migrations/{migrationId}'],
  ['post', '/v1/admin/migrations/{migrationId}'],
  ['put', '/v1/admin/migrations/{migrationId}/files/{name}'],
  ['post', '/v1/admin/migrations/{migrationId}/preload'],
  ['post', '/v1/admin/migrations/{migrationId}/cells'],
  ['post', '/v1/admin/migrations/{migrationId}/commit'],
  ['get', '/v1/admin/disks'],
  ['get', '/v1/admin/disks/tablets'],
  ['post', '/v1/admin/disk-migrations'],
  ['get', '/v1/admin/disk-migrations'],
  ['get', '/v1/admin/disk-migrations/{tablet}'],
  ['post', '/v1/admin/disk-balance'],
  ['get', '/healthz'],
  ['get', '/readyz'],
  ['get', '/metrics'],
] as const;

describe('HTTP surface', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await TestServer.start();
    await s.load('t', 't1');
  });
  afterAll(async () => s.close());

  it('answers the probes', async () => {
    expect((await s.call('GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await s.call('GET', '/readyz')).body).toEqual({ status: 'ready', serverId: 'ts-test', tablets: 1 });
  });

  it('counts requests and cells in /metrics', async () => {
    await s.apply('t', [cell('a', 'f:', 1, 'v'), cell('b', 'f:', 1, 'v')]);
    await s.scanAll('t');
    const r = await s.call('GET', '/metrics');
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(r.text).toMatch(/tabletserver_http_requests_total\{method="POST",route="\/v1\/tables\/:table\/apply",status="200"\} 1/);
    expect(r.text).toMatch(/tabletserver_cells_applied_total 2/);
    expect(r.text).toMatch(/tabletserver_cells_scanned_total 2/);
    expect(r.text).toMatch(/tabletserver_tablets\{state="serving"\} 1/);
    expect(r.text).toMatch(/tabletserver_memory_fragment_bytes \d+/);
  });

  it('describes every route in /openapi.json, with both apply encodings and the admin routes secured', async () => {
    const doc = (await s.call('GET', '/openapi.json')).body;
    expect(doc.openapi).toBe('3.0.3');
    for (const [method, path] of ROUTES) expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    const apply = doc.paths['/v1/tables/{table}/apply'].post;
    expect(Object.keys(apply.requestBody.content).sort()).toEqual(['application/json', 'application/x-kdi-cells']);
    expect(apply.requestBody.content['application/json'].schema.properties.cells.type).toBe('array');
    expect(apply.requestBody.content['application/x-kdi-cells'].schema).toMatchObject({ type: 'string', format: 'binary' });
    expect(Object.keys(doc.paths['/v1/tables/{table}/scan'].post.responses['200'].content).sort()).toEqual(['application/json', 'application/x-kdi-cells']);
    expect(doc.paths['/v1/admin/status'].get.security).toEqual([{ clusterSecret: [] }]);
    expect(doc.paths['/v1/tables/{table}/scan'].post.security).toEqual([]);
    expect(doc.paths['/v1/meta/location'].get.security).toEqual([]);
    expect(doc.components.securitySchemes.clusterSecret).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect((await s.call('GET', '/docs')).status).toBe(200);
    // …and nothing beyond them.
    const listed = Object.entries(doc.paths as Record<string, object>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    expect(listed.sort()).toEqual(ROUTES.map(([m, p]) => `${m} ${p}`).sort());
    expect(await validateOpenApi(doc)).toEqual([]);
  });

  it("answers META's location without credentials; outside a cluster there is no META", async () => {
    const r = await s.call('GET', '/v1/meta/location');
    expect(r.body.error.code, r.text).toBe('FAILED_PRECONDITION');
    expect(r.body.error.message).toMatch(/not in a cluster/);
  });

  it('answers unknown routes and methods with the error body', async () => {
    for (const [method, url] of [
      ['GET', '/v1/nothing'],
      ['PUT', '/v1/tables/t/apply'],
      ['GET', '/v1/tables/t/scan'],
    ] as const) {
      const r = await s.call(method, url);
      expect(r.status, url).toBe(404);
      expect(ErrorBodySchema.safeParse(r.body).success, r.text).toBe(true);
      expect(r.body.error.message).toMatch(/openapi\.json/);
    }
  });

  it('keeps a plain x-request-id and replaces one that could forge log lines', async () => {
    const kept = await s.call('GET', '/v1/tables/nosuch', { headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers['x-request-id']).toBe('abc-123');
    expect(kept.body.error.requestId).toBe('abc-123');
    const replaced = await s.call('GET', '/healthz', { headers: { 'x-request-id': 'a b\nforged' } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('hides the message of an unexpected error', async () => {
    const original = s.server.stat.bind(s.server);
    s.server.stat = () => {
      throw new Error('secret internals /var/lib/x');
    };
    try {
      const r = await s.call('POST', '/v1/tables/t/stat', { body: {} });
      expect(r.status).toBe(500);
      expect(r.body.error).toMatchObject({ code: 'INTERNAL', message: 'internal error' });
      expect(r.text).not.toContain('secret internals');
    } finally {
      s.server.stat = original;
    }
  });

  it('says UNAVAILABLE once the server is shutting down', async () => {
    const t = await TestServer.start();
    await t.server.close();
    const ready = await t.call('GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.error.code).toBe('UNAVAILABLE');
    expect((await t.call('POST', '/v1/tables/t/scan', { body: {} })).body.error.code).toBe('UNAVAILABLE');
    await t.close();
  });
});
