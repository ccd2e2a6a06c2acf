// The OpenAPI document at /openapi.json: it lists every route of the
// contract (the route list at the top of lock-api.ts) and is a valid
// OpenAPI 3.0 document — checked structurally here, as no validator
// package is installed: path templates match their parameters, every $ref
// resolves, and schemas use only OpenAPI 3.0 Schema Object keywords.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const SCHEMA_KEYWORDS = new Set([
  'title', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength', 'minLength', 'pattern',
  'maxItems', 'minItems', 'uniqueItems', 'maxProperties', 'minProperties', 'required', 'enum', 'type', 'allOf', 'oneOf',
  'anyOf', 'not', 'items', 'properties', 'additionalProperties', 'description', 'format', 'default', 'nullable',
  'discriminator', 'readOnly', 'writeOnly', 'xml', 'externalDocs', 'example', 'deprecated', '$ref',
]);
const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object']);
const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

type Json = Record<string, unknown>;

/** Problems of one Schema Object (recursively), each prefixed with where it is. */
function schemaProblems(schema: unknown, where: string, doc: Json): string[] {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return [`${where}: not an object`];
  const s = schema as Json;
  const problems: string[] = [];
  for (const key of Object.keys(s)) if (!SCHEMA_KEYWORDS.has(key) && !key.startsWith('x-')) problems.push(`${where}: keyword "${key}" is not OpenAPI 3.0`);
  if (typeof s['$ref'] === 'string') {
    if (resolveRef(doc, s['$ref']) === undefined) problems.push(`${where}: $ref ${s['$ref']} does not resolve`);
    return problems;
  }
  if (s['type'] !== undefined && !(typeof s['type'] === 'string' && TYPES.has(s['type']))) problems.push(`${where}: type ${JSON.stringify(s['type'])}`);
  for (const k of ['exclusiveMinimum', 'exclusiveMaximum', 'nullable']) {
    if (s[k] !== undefined && typeof s[k] !== 'boolean') problems.push(`${where}: ${k} must be a boolean in 3.0`);
  }
  if (s['required'] !== undefined && !Array.isArray(s['required'])) problems.push(`${where}: required must be an array`);
  if (s['type'] === 'array' && s['items'] === undefined) problems.push(`${where}: array without items`);
  for (const [name, sub] of Object.entries((s['properties'] as Json | undefined) ?? {})) problems.push(...schemaProblems(sub, `${where}.${name}`, doc));
  if (typeof s['additionalProperties'] === 'object') problems.push(...schemaProblems(s['additionalProperties'], `${where}[*]`, doc));
  if (s['items'] !== undefined) problems.push(...schemaProblems(s['items'], `${where}[]`, doc));
  if (s['not'] !== undefined) problems.push(...schemaProblems(s['not'], `${where}!`, doc));
  for (const k of ['allOf', 'oneOf', 'anyOf']) {
    const list = s[k];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length === 0) problems.push(`${where}: ${k} must be a non-empty array`);
    else list.forEach((sub, i) => problems.push(...schemaProblems(sub, `${where}.${k}[${i}]`, doc)));
  }
  return problems;
}

function resolveRef(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const part of ref.slice(2).split('/')) node = typeof node === 'object' && node !== null ? (node as Json)[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  return node;
}

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

  it('is a structurally valid OpenAPI 3.0 document', () => {
    expect(doc['openapi']).toMatch(/^3\.0\.\d+$/);
    const info = doc['info'] as Json;
    expect(typeof info['title']).toBe('string');
    expect(typeof info['version']).toBe('string');
    const problems: string[] = [];
    for (const [path, item] of Object.entries(doc['paths'] as Record<string, Json>)) {
      if (!path.startsWith('/')) problems.push(`${path}: must start with /`);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
      for (const [method, op] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        if (!METHODS.has(method)) problems.push(`${where}: not an HTTP method`);
        const o = op as Json;
        const params = (o['parameters'] as Json[] | undefined) ?? [];
        for (const p of params) {
          if (!['query', 'path', 'header', 'cookie'].includes(p['in'] as string)) problems.push(`${where}: parameter ${String(p['name'])} in ${String(p['in'])}`);
          if (typeof p['name'] !== 'string') problems.push(`${where}: parameter without a name`);
          if (p['in'] === 'path' && p['required'] !== true) problems.push(`${where}: path parameter ${String(p['name'])} must be required`);
          problems.push(...schemaProblems(p['schema'], `${where} parameter ${String(p['name'])}`, doc));
        }
        const pathParams = params.filter((p) => p['in'] === 'path').map((p) => p['name'] as string);
        if (JSON.stringify([...pathParams].sort()) !== JSON.stringify([...templated].sort())) {
          problems.push(`${where}: path parameters ${JSON.stringify(pathParams)} do not match the template ${JSON.stringify(templated)}`);
        }
        const seen = new Set(params.map((p) => `${String(p['in'])}:${String(p['name'])}`));
        if (seen.size !== params.length) problems.push(`${where}: duplicate parameters`);
        const body = o['requestBody'] as Json | undefined;
        if (body) {
          for (const [type, media] of Object.entries(body['content'] as Record<string, Json>)) problems.push(...schemaProblems(media['schema'], `${where} body ${type}`, doc));
        }
        const responses = o['responses'] as Record<string, Json> | undefined;
        if (!responses || Object.keys(responses).length === 0) problems.push(`${where}: no responses`);
        for (const [code, res] of Object.entries(responses ?? {})) {
          if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(code)) problems.push(`${where}: response code ${code}`);
          if (typeof res['description'] !== 'string') problems.push(`${where} ${code}: no description`);
          for (const [type, media] of Object.entries((res['content'] as Record<string, Json> | undefined) ?? {})) {
            problems.push(...schemaProblems(media['schema'], `${where} ${code} ${type}`, doc));
          }
        }
        if (path.startsWith('/v1') && (responses?.['4XX'] === undefined || responses['5XX'] === undefined)) problems.push(`${where}: error responses not documented`);
      }
    }
    for (const [name, schema] of Object.entries(((doc['components'] as Json | undefined)?.['schemas'] as Json | undefined) ?? {})) {
      problems.push(...schemaProblems(schema, `components.schemas.${name}`, doc));
    }
    expect(problems).toEqual([]);
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

  it('serves the browsable docs at /docs', async () => {
    const r = await s.call('GET', '/docs');
    expect(r.status).toBe(200);
    expect(r.text).toContain('swagger-ui');
  });
});
