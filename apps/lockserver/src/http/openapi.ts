// The lock server's part of its OpenAPI document (the chassis serves it at
// /openapi.json and /docs): Fastify spells a lock-path wildcard `*`; the
// document names it `{path}` (the lock path without its leading '/'),
// which is what callers know it as.

import type { OpenApiTransform, OpenApiTransformInput, OpenApiTransformOutput } from '@kdi/service-kit';

const PATH_PARAM_DESCRIPTION = "The lock path without its leading '/', e.g. kdi/root for /kdi/root";

interface TransformedSchema {
  params?: { properties?: Record<string, unknown>; required?: string[] };
}

/** The chassis' transform (`next`), then the wildcard named `path`. */
export function lockPathTransform(input: OpenApiTransformInput, next: OpenApiTransform): OpenApiTransformOutput {
  const out = next(input);
  if (!out.url.includes('*')) return out;
  const params = (out.schema as TransformedSchema).params;
  if (params?.properties?.['*'] !== undefined) {
    const { '*': wildcard, ...rest } = params.properties;
    params.properties = { ...rest, path: { ...(wildcard as object), description: PATH_PARAM_DESCRIPTION } };
    params.required = (params.required ?? []).map((r) => (r === '*' ? 'path' : r));
  }
  return { ...out, url: out.url.replace('*', '{path}') };
}
