// Post-processing of a server's finished OpenAPI document (after
// @fastify/swagger built it), so generated clients get a usable API:
//  - named schemas: an inline copy of a published component (the same
//    schema, perhaps with its own description) becomes a `$ref` to it, and
//    components nothing references are dropped;
//  - query parameters: zod parses query strings, so their schemas say
//    "string matching ^[0-9]{1,N}$" or "'true' | 'false'"; the document
//    publishes them as the integer / boolean a client passes (validation
//    stays the strict zod one: "", " 5" and "1e3" are still refused);
//  - optional bodies: Fastify documents every body as required, and zod's
//    nullish as `nullable`; a nullable JSON body (zod `.nullish()`: absent
//    or {}) is published with `requestBody.required: false` and without
//    the nullable trick.

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (isObject(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

function withoutDescription(s: Json): string {
  const { description: _d, ...rest } = s;
  return stable(rest);
}

/** Replaces inline copies of the components under `schemas` by `$ref`s (not inside the components themselves). */
function refCopies(doc: Json): void {
  const schemas = (doc['components'] as Json | undefined)?.['schemas'] as Record<string, Json> | undefined;
  if (schemas === undefined) return;
  const byShape = new Map<string, string>();
  for (const [name, s] of Object.entries(schemas)) if (!byShape.has(withoutDescription(s))) byShape.set(withoutDescription(s), name);
  const visit = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(visit);
    if (!isObject(v)) return v;
    const name = '$ref' in v ? undefined : byShape.get(withoutDescription(v));
    if (name !== undefined && Object.keys(v).length > 1) return { $ref: `#/components/schemas/${name}` };
    return Object.fromEntries(Object.entries(v).map(([k, c]) => [k, visit(c)]));
  };
  doc['paths'] = visit(doc['paths']);
  // …and nested in other components (a component holding a copy of another).
  for (const [name, s] of Object.entries(schemas)) {
    schemas[name] = Object.fromEntries(Object.entries(s).map(([k, c]) => [k, visit(c)]));
  }
}

/** Drops components.schemas that nothing (transitively from the paths) references. */
function dropUnused(doc: Json): void {
  const schemas = (doc['components'] as Json | undefined)?.['schemas'] as Record<string, Json> | undefined;
  if (schemas === undefined) return;
  const used = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (isObject(v)) {
      const ref = v['$ref'];
      if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
        const name = ref.slice('#/components/schemas/'.length);
        if (!used.has(name)) {
          used.add(name);
          walk(schemas[name]);
        }
      }
      for (const c of Object.values(v)) walk(c);
    }
  };
  walk(doc['paths']);
  for (const name of Object.keys(schemas)) if (!used.has(name)) delete schemas[name];
}

/** `^[0-9]{1,N}$` (a whole number), or `^(?!0+$)[0-9]{1,N}$` (a positive one). */
const DIGITS = /^\^(\(\?!0\+\$\))?\[0-9\]\{1,(\d+)\}\$$/;

/** A query parameter's string schema as the integer / boolean it stands for. */
function typedQuerySchema(s: Json): Json | undefined {
  if (s['type'] !== 'string') return undefined;
  const { type: _t, pattern, enum: values, default: dflt, ...rest } = s;
  const digits = typeof pattern === 'string' ? DIGITS.exec(pattern) : null;
  if (digits !== null && values === undefined) {
    const maximum = Math.min(10 ** Number(digits[2]) - 1, Number.MAX_SAFE_INTEGER);
    const minimum = digits[1] === undefined ? 0 : 1;
    return { ...rest, type: 'integer', minimum, maximum, ...(dflt !== undefined && { default: Number(dflt) }) };
  }
  if (Array.isArray(values) && values.length === 2 && values.includes('true') && values.includes('false') && pattern === undefined) {
    return { ...rest, type: 'boolean', ...(dflt !== undefined && { default: dflt === 'true' }) };
  }
  return undefined;
}

function forEachOperation(doc: Json, fn: (op: Json) => void): void {
  for (const ops of Object.values((doc['paths'] ?? {}) as Record<string, Json>)) {
    for (const op of Object.values(ops)) if (isObject(op)) fn(op);
  }
}

function typeQueries(op: Json): void {
  for (const p of (op['parameters'] ?? []) as Json[]) {
    if (p['in'] !== 'query' || !isObject(p['schema'])) continue;
    const typed = typedQuerySchema(p['schema']);
    if (typed !== undefined) p['schema'] = typed;
  }
}

function optionalBody(op: Json): void {
  const body = op['requestBody'];
  if (!isObject(body)) return;
  const json = (body['content'] as Record<string, Json> | undefined)?.['application/json'];
  const schema = json?.['schema'];
  if (!isObject(schema) || schema['nullable'] !== true) return;
  body['required'] = false;
  const { nullable: _n, ...rest } = schema;
  json!['schema'] = rest;
}

/** Rewrites every `$ref` to a component named in `renames`. */
function renameRefs(v: unknown, renames: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(v)) return v.map((c) => renameRefs(c, renames));
  if (!isObject(v)) return v;
  const ref = v['$ref'];
  if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
    const to = renames.get(ref.slice('#/components/schemas/'.length));
    if (to !== undefined) return { ...v, $ref: `#/components/schemas/${to}` };
  }
  return Object.fromEntries(Object.entries(v).map(([k, c]) => [k, renameRefs(c, renames)]));
}

/**
 * fastify-type-provider-zod publishes a named schema twice, as read
 * (`<name>Input`, defaults optional) and as written (`<name>`). One that is
 * only read, or read and written alike, keeps its own name.
 */
function mergeInputNames(doc: Json): void {
  const components = doc['components'] as Json | undefined;
  const schemas = components?.['schemas'] as Record<string, Json> | undefined;
  if (components === undefined || schemas === undefined) return;
  const renames = new Map<string, string>();
  for (const name of Object.keys(schemas)) {
    if (!name.endsWith('Input')) continue;
    const base = name.slice(0, -'Input'.length);
    if (schemas[base] === undefined || stable(schemas[base]) === stable(schemas[name])) renames.set(name, base);
  }
  if (renames.size === 0) return;
  const renamed: Record<string, Json> = {};
  for (const [name, s] of Object.entries(schemas)) if (!renames.has(name) || schemas[renames.get(name)!] === undefined) renamed[renames.get(name) ?? name] = s;
  components['schemas'] = renameRefs(renamed, renames);
  doc['paths'] = renameRefs(doc['paths'], renames);
}

const ERROR_DESCRIPTIONS: Record<string, string> = {
  '4XX': 'The request was refused: see error.code and error.message (ErrorBody)',
  '5XX': 'The server failed or is not ready: see error.code and error.message (ErrorBody)',
};

/** The error responses get a description rather than @fastify/swagger's "Default Response". */
function plainResponses(op: Json): void {
  for (const [code, res] of Object.entries((op['responses'] ?? {}) as Record<string, Json>)) {
    if (res['description'] === 'Default Response' && ERROR_DESCRIPTIONS[code] !== undefined) res['description'] = ERROR_DESCRIPTIONS[code];
  }
}

/** A schema zod wrote as `allOf: [X]` (a named schema with its own description) becomes X. */
function collapseAllOf(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(collapseAllOf);
  if (!isObject(v)) return v;
  const allOf = v['allOf'];
  if (Array.isArray(allOf) && allOf.length === 1 && Object.keys(v).every((k) => k === 'allOf' || k === 'description')) return collapseAllOf(allOf[0]);
  return Object.fromEntries(Object.entries(v).map(([k, c]) => [k, collapseAllOf(c)]));
}

/** The chassis' finishing pass over a built document (in place). */
export function finishDocument(doc: Json): void {
  doc['paths'] = collapseAllOf(doc['paths']);
  if (isObject(doc['components'])) doc['components']['schemas'] = collapseAllOf(doc['components']['schemas']);
  forEachOperation(doc, (op) => {
    typeQueries(op);
    optionalBody(op);
    plainResponses(op);
  });
  refCopies(doc);
  dropUnused(doc);
  mergeInputNames(doc);
}
