// The OpenAPI document as a client generator sees it: redocly lints it
// without errors, and a client generated from it with @hey-api/openapi-ts
// (the document fetched from a listening server) names its methods after
// the operationIds, has one ErrorBody type, and calls the server: an admin
// call with an optional body sent without one, and a call with integer
// query parameters. An optional body may also come as an empty JSON body.

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { lintOpenApi } from '@kdi/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRET, TestServer } from './harness.js';

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));

type Json = Record<string, any>;

describe('OpenAPI for generated clients', () => {
  let s: TestServer;
  let base: string;
  let doc: Json;
  let dir: string;
  beforeAll(async () => {
    s = await TestServer.start();
    base = await s.app.listen({ host: '127.0.0.1', port: 0 });
    doc = (await (await fetch(`${base}/openapi.json`)).json()) as Json;
    dir = await mkdtemp(join(tmpdir(), 'kdi-openapi-client-'));
  });
  afterAll(async () => {
    await s?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const operations = () =>
    Object.entries(doc['paths'] as Record<string, Json>).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ where: `${method} ${path}`, op: op as Json })));

  it('gives every operation a unique operationId', () => {
    const ids = operations().map((o) => o.op['operationId']);
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['apply', 'scan', 'openScanner', 'nextScannerPage', 'loadTablet', 'serialize', 'getStatus', 'getMetaLocation']));
  });

  it('names the shared schemas and references ErrorBody from every error response', () => {
    expect(Object.keys(doc['components'].schemas)).toEqual(expect.arrayContaining(['ErrorBody', 'Cell', 'ScanPage', 'Predicate', 'StructuredPredicate', 'TabletView']));
    for (const { where, op } of operations()) {
      for (const code of ['4XX', '5XX']) {
        const res = op['responses'][code];
        if (res === undefined) continue;
        expect(res.content['application/json'].schema, `${where} ${code}`).toEqual({ $ref: '#/components/schemas/ErrorBody' });
      }
    }
    const details = doc['components'].schemas.ErrorBody.properties.error.properties.details;
    expect(Object.keys(details.properties)).toEqual(expect.arrayContaining(['field', 'locationHint', 'cellIndex', 'rowTxn']));
    expect(details.additionalProperties).toEqual({});
  });

  it('publishes its own URL, the bearer scheme, and which operations need it (apply and sync: for META writes)', () => {
    expect(doc['servers']).toEqual([expect.objectContaining({ url: base })]);
    expect(doc['components'].securitySchemes.clusterSecret).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const { where, op } of operations()) {
      const expected = where.includes(' /v1/admin/') ? [{ clusterSecret: [] }] : /(apply|sync)$/.test(where) ? [{}, { clusterSecret: [] }] : [];
      expect(op['security'], where).toEqual(expected);
    }
  });

  it('types query parameters, declares the sequencer and cell-block headers, and makes empty admin bodies optional', () => {
    const next = doc['paths']['/v1/scanners/{scannerId}/next'].get;
    expect(next.parameters.find((p: Json) => p.name === 'maxCells').schema).toMatchObject({ type: 'integer', minimum: 1 });
    const apply = doc['paths']['/v1/tables/{table}/apply'].post;
    expect(apply.parameters.find((p: Json) => p.name === 'waitForSync').schema).toMatchObject({ type: 'boolean' });
    for (const [path, method] of [
      ['/v1/admin/tablets', 'post'],
      ['/v1/admin/tablets/{tabletId}', 'delete'],
      ['/v1/admin/tablets/{tabletId}/split', 'post'],
    ] as const) {
      expect(doc['paths'][path][method].parameters, `${method} ${path}`).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'x-kdi-sequencer', in: 'header' })]));
    }
    expect(Object.keys(doc['paths']['/v1/tables/{table}/scan'].post.responses['200'].headers).sort()).toEqual(['x-kdi-end', 'x-kdi-next-row', 'x-kdi-resume', 'x-kdi-scan-txn']);
    for (const path of ['/v1/admin/serialize', '/v1/admin/tablets/{tabletId}/compact', '/v1/admin/tablets/{tabletId}/split']) {
      const body = doc['paths'][path].post.requestBody;
      expect(body.required, path).toBe(false);
      expect(body.content['application/json'].schema.nullable, path).toBeUndefined();
    }
  });

  it('takes an optional body sent as Content-Type: application/json with no bytes as absent; a required one is still refused', async () => {
    const post = (url: string) => fetch(`${base}${url}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_SECRET}` }, body: '' });
    const serialized = await post('/v1/admin/serialize');
    expect(serialized.status, await serialized.clone().text()).toBe(200);
    const compact = await post('/v1/admin/tablets/nosuch/compact');
    expect(((await compact.json()) as Json)['error'].code).toBe('NOT_FOUND');
    const sync = await post('/v1/tables/t/sync');
    expect(sync.status).toBe(400);
    expect(((await sync.json()) as Json)['error'].code).toBe('INVALID_ARGUMENT');
  });

  it('passes redocly lint without errors', async () => {
    const { errors, warnings } = await lintOpenApi(doc, HERE);
    expect(errors).toEqual([]);
    // The probes /healthz and /metrics have no 4XX; the document names no license; the test server is on localhost.
    expect(warnings.filter((w) => !/^(operation-4xx-response|info-license|no-server-example\.com):/.test(w))).toEqual([]);
  });

  it('generates a client whose methods are the operationIds and that calls the server', async () => {
    const input = join(dir, 'openapi.json');
    await writeFile(input, JSON.stringify(doc));
    const out = join(dir, 'client');
    const cli = join(dirname(createRequire(import.meta.url).resolve('@hey-api/openapi-ts/package.json')), 'bin', 'run.js');
    await run(process.execPath, [cli, '-i', input, '-o', out], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
    const sdkText = await readFile(join(out, 'sdk.gen.ts'), 'utf8');
    for (const id of ['apply', 'scan', 'openScanner', 'nextScannerPage', 'loadTablet', 'serialize', 'splitTablet']) expect(sdkText).toMatch(new RegExp(`export const ${id} = `));
    expect(sdkText).not.toMatch(/postV1/);
    const types = await readFile(join(out, 'types.gen.ts'), 'utf8');
    expect(types.match(/^export type ErrorBody = /gm)).toHaveLength(1);
    expect(types).toMatch(/maxCells\?: number/);

    const sdk = (await import(join(out, 'index.ts'))) as Json;
    const client = (await import(join(out, 'client.gen.ts'))) as Json;
    expect(client['client'].getConfig().baseUrl).toBe(base);
    client['client'].setConfig({ auth: TEST_SECRET });
    // Its baseUrl from servers, its bearer from auth; serialize takes no body.
    const serialized = await sdk['serialize']({});
    expect(serialized.response.status, JSON.stringify(serialized.error)).toBe(200);
    expect(serialized.data).toEqual({ memoryBytes: expect.any(Number) });

    const loaded = await sdk['loadTablet']({ body: { table: 't', tabletId: 't1' } });
    expect(loaded.response.status, JSON.stringify(loaded.error)).toBe(201);
    const applied = await sdk['apply']({ path: { table: 't' }, body: { cells: [{ row: 'r', column: 'f:q', timestamp: 1, value: 'v' }] } });
    expect(applied.response.status, JSON.stringify(applied.error)).toBe(200);
    const opened = await sdk['openScanner']({ body: { table: 't' } });
    expect(opened.response.status, JSON.stringify(opened.error)).toBe(201);
    const page = await sdk['nextScannerPage']({ path: { scannerId: opened.data.scannerId }, query: { maxCells: 10, maxBytes: 65536 } });
    expect(page.response.status, JSON.stringify(page.error)).toBe(200);
    expect(page.data.cells).toEqual([expect.objectContaining({ row: 'r', column: 'f:q', value: 'v' })]);
    // An error arrives as the ErrorBody type.
    const missing = await sdk['compactTablet']({ path: { tabletId: 'nosuch' } });
    expect(missing.response.status).toBe(404);
    expect(missing.error.error.code).toBe('NOT_FOUND');
  }, 120_000);
});
