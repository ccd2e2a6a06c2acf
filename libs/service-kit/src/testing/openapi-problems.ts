// House rules for an OpenAPI 3.0 document, beside the structural validation
// of @apidevtools/swagger-parser (validateOpenApi): path templates match
// their parameters, every $ref resolves, schemas use only OpenAPI 3.0
// Schema Object keywords, /v1 operations document their errors.

export const SCHEMA_KEYWORDS = new Set([
  'title',
  'multipleOf',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'maxProperties',
  'minProperties',
  'required',
  'enum',
  'type',
  'allOf',
  'oneOf',
  'anyOf',
  'not',
  'items',
  'properties',
  'additionalProperties',
  'description',
  'format',
  'default',
  'nullable',
  'discriminator',
  'readOnly',
  'writeOnly',
  'xml',
  'externalDocs',
  'example',
  'deprecated',
  '$ref',
]);
const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object']);
const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

export type Json = Record<string, unknown>;

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

/** Every problem of `doc`; empty when it is structurally valid. */
export function openApiProblems(doc: Json): string[] {
  const problems: string[] = [];
  const operationIds = new Map<string, string>();
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
      // Generated clients name their methods after operationIds.
      const id = o['operationId'];
      if (typeof id !== 'string' || !/^[a-z][A-Za-z0-9]*$/.test(id)) problems.push(`${where}: operationId ${JSON.stringify(id)} is not a camelCase name`);
      else if (operationIds.has(id)) problems.push(`${where}: operationId ${id} is also ${operationIds.get(id)}'s`);
      else operationIds.set(id, where);
      if (!Array.isArray(o['security'])) problems.push(`${where}: security not stated (use [] for an open operation)`);
    }
  }
  for (const [name, schema] of Object.entries(((doc['components'] as Json | undefined)?.['schemas'] as Json | undefined) ?? {})) {
    problems.push(...schemaProblems(schema, `components.schemas.${name}`, doc));
  }
  return problems;
}
