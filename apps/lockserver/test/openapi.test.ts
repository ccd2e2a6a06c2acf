// The OpenAPI document at /openapi.json: it lists every route of the
// contract (the route list at the top of lock-api.ts) and is a valid
// OpenAPI 3.0 document — @apidevtools/swagger-parser's validation plus the
// house rules of @kdi/service-kit/testing: path templates match their
// parameters, every $ref resolves, and schemas use only OpenAPI 3.0 Schema
// Object keywords.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintOpenApi, validateOpenApi } from '@kdi/service-kit/testing';
import { TestServer } from './harness.js';

const CONTRACT = fileURLToPath(new URL('../../../libs/protocol/src/lock/lock-api.ts', import.meta.url));

/** `METHOD /v1/...` lines of the contract's header, `{path…}` as `{path}`. */
function contractRoutes(): Array<{ method: string; path: string }> {
  const text = readFileSync(CONTRACT, 'utf8');
  const routes: Array<{ method: string; path: string }> = [];
  for (const m of text.matchAll(/^\/\/\s+(GET|POST|PUT|DELETE)\s+(\/v1\/\S*)(.*)$/gm)) {
    const path = m[2]!.replace('{path…}', '{path}').replace(/\?.*$/, '');
    routes.push({ method: m[1]!.toLowerCase(), path });
    // "(and /v1/dirs for the root)"
    const also = /\(and (\/v1\/\S+) /.exec(m[3] ?? '');
    if (also) routes.push({ method: m[1]!.toLowerCase(), path: also[1]! });
  }
  return routes;
}

type Json = Record<string, unknown>;

describe('OpenAPI document', () => {
  let s: TestServer;
  let doc: Json;
  beforeAll(async () => {
    s = await TestServer.start();
    const r = await s.call('GET', '/openapi.json');
    expect(r.status).toBe(200);
    doc = r.body;
  });
  afterAll(async () => s.close());

  it('reads the contract route list (guards this test against a format change there)', () => {
    expect(contractRoutes().length).toBeGreaterThanOrEqual(15);
  });

  it('lists every route of the contract, and the probes', () => {
    const paths = doc['paths'] as Record<string, Json>;
    const routes = [...contractRoutes(), { method: 'get', path: '/healthz' }, { method: 'get', path: '/readyz' }, { method: 'get', path: '/metrics' }];
    const missing = routes.filter((r) => paths[r.path]?.[r.method] === undefined).map((r) => `${r.method.toUpperCase()} ${r.path}`);
    expect(missing).toEqual([]);
    // …and nothing beyond them (no internal routes such as /docs or /openapi.json).
    const listed = Object.entries(paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    expect(listed.sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('is a valid OpenAPI 3.0 document', async () => {
    expect(doc['openapi']).toMatch(/^3\.0\.\d+$/);
    const info = doc['info'] as Json;
    expect(typeof info['title']).toBe('string');
    expect(typeof info['version']).toBe('string');
    expect(await validateOpenApi(doc)).toEqual([]);
  });

  it('documents the request body of every route that takes one, and no content for a 204', () => {
    const paths = doc['paths'] as Record<string, Record<string, Json>>;
    for (const [path, method] of [
      ['/v1/sessions', 'post'],
      ['/v1/files/{path}', 'post'],
      ['/v1/files/{path}', 'put'],
      ['/v1/locks/{path}', 'post'],
      ['/v1/sequencers/validate', 'post'],
    ] as const) {
      const body = paths[path]![method]!['requestBody'] as Json | undefined;
      expect(body, `${method} ${path}`).toBeDefined();
      expect(Object.keys(body!['content'] as Json)).toEqual(['application/json']);
    }
    expect(paths['/v1/files/{path}']!['delete']!['responses']).toMatchObject({ 204: { description: 'No content' } });
    expect((paths['/v1/files/{path}']!['delete']!['responses'] as Record<string, Json>)['204']!['content']).toBeUndefined();
    expect((paths['/v1/sessions/{sessionId}']!['delete']!['responses'] as Record<string, Json>)['204']!['content']).toBeUndefined();
  });

  it('documents the lock-path parameter and the strict bodies', () => {
    const paths = doc['paths'] as Record<string, Record<string, Json>>;
    const create = paths['/v1/files/{path}']!['post']!;
    const param = (create['parameters'] as Json[]).find((p) => p['name'] === 'path')!;
    expect(param['description']).toMatch(/without its leading '\/'/);
    const schema = ((create['requestBody'] as Json)['content'] as Record<string, Json>)['application/json']!['schema'] as Json;
    expect(schema['additionalProperties']).toBe(false);
    expect(Object.keys(schema['properties'] as Json).sort()).toEqual(['contents', 'encoding', 'ephemeral', 'sessionId']);
  });

  const operations = () =>
    Object.entries(doc['paths'] as Record<string, Record<string, Json>>).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ where: `${method} ${path}`, op })));

  it('gives every operation a unique operationId, for generated clients', () => {
    const ids = operations().map((o) => o.op['operationId']);
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['openSession', 'keepAlive', 'createFile', 'getFile', 'acquireLock', 'releaseLock', 'validateSequencer', 'watch']));
  });

  it('names the shared schemas, references ErrorBody from every error response, and types query numbers', () => {
    const schemas = (doc['components'] as Json)['schemas'] as Json;
    expect(Object.keys(schemas)).toEqual(expect.arrayContaining(['ErrorBody', 'SessionInfo', 'FileInfo', 'Sequencer', 'AcquireResult', 'WatchEvent']));
    for (const { where, op } of operations()) {
      for (const code of ['4XX', '5XX']) {
        const res = (op['responses'] as Record<string, Json>)[code];
        if (res !== undefined)
          expect((res['content'] as Record<string, Json>)['application/json']!['schema'], `${where} ${code}`).toEqual({ $ref: '#/components/schemas/ErrorBody' });
      }
    }
    const watch = (doc['paths'] as Record<string, Record<string, Json>>)['/v1/watch']!['get']!;
    const param = (name: string) => (watch['parameters'] as Json[]).find((p) => p['name'] === name)!['schema'];
    expect(param('after')).toMatchObject({ type: 'integer' });
    expect(param('timeoutMs')).toMatchObject({ type: 'integer' });
    expect(param('recursive')).toMatchObject({ type: 'boolean', default: false });
  });

  it('publishes the bearer scheme (also without a secret: the test server runs without one) on the /v1 operations, and its URL', () => {
    expect(((doc['components'] as Json)['securitySchemes'] as Json)['clusterSecret']).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const { where, op } of operations()) expect(op['security'], where).toEqual(where.includes(' /v1/') ? [{ clusterSecret: [] }] : []);
    expect(doc['servers']).toEqual([expect.objectContaining({ url: expect.stringMatching(/^http:\/\//) })]);
  });

  it('passes redocly lint without errors', async () => {
    const { errors, warnings } = await lintOpenApi(doc, fileURLToPath(new URL('.', import.meta.url)));
    expect(errors).toEqual([]);
    // The probes /healthz and /metrics have no 4XX; the document names no license; the test server is on localhost.
    expect(warnings.filter((w) => !/^(operation-4xx-response|info-license|no-server-example\.com):/.test(w))).toEqual([]);
  });

  it('serves the browsable docs at /docs', async () => {
    const r = await s.call('GET', '/docs');
    expect(r.status).toBe(200);
    expect(r.text).toContain('swagger-ui');
  });
});
