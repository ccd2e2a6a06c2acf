// The cluster secret (DESIGN §14) guards the admin API (/v1/admin/*: the
// master loads and unloads tablets there): every such request needs
// `Authorization: Bearer <secret>` (the chassis' bearer guard checks it:
// constant-time comparison, the secret never logged). Writes to the META table
// (apply and sync on /v1/tables/META) need it too: only servers and the
// master change tablet configs. The rest of the Table API is open until
// bearer tokens with roles (DESIGN §14) arrive.

import { META_TABLE } from '@kdi/protocol';
import type { FastifyRequest } from 'fastify';

export const ADMIN_PREFIX = '/v1/admin';

/** True for paths under /v1/admin, matched route or not. */
export function isAdminPath(url: string): boolean {
  // Most requests are not admin ones: refuse them before cutting off the query.
  if (!url.startsWith(ADMIN_PREFIX)) return false;
  const path = url.split('?', 1)[0] ?? '';
  return path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`);
}

const META_WRITE_ROUTES = new Set(['/v1/tables/:table/apply', '/v1/tables/:table/sync']);

/**
 * True for writes to the META table (its rows are tablet configs). Decided
 * on the matched route and its decoded parameter, never on the raw URL:
 * /v1/tables/%4DETA/apply is a META write too.
 */
export function isMetaWrite(request: FastifyRequest, routeUrl = request.routeOptions.url): boolean {
  if (!META_WRITE_ROUTES.has(routeUrl ?? '')) return false;
  return (request.params as { table?: unknown } | undefined)?.table === META_TABLE;
}

/** For the OpenAPI document: admin routes need the secret, apply and sync sometimes (META writes). */
export function routeSecurity(routeUrl: string): boolean | 'sometimes' {
  if (isAdminPath(routeUrl)) return true;
  return META_WRITE_ROUTES.has(routeUrl) ? 'sometimes' : false;
}

/**
 * What needs the cluster secret (the chassis' bearer guard asks): admin
 * requests (matched route or not) and META writes; undefined for the rest.
 */
export function secretRequiredFor(request: FastifyRequest): string | undefined {
  // Read once: Fastify builds a fresh routeOptions object on every read, and this runs on every request.
  const routeUrl = request.routeOptions.url;
  if (isAdminPath(request.url) || isAdminPath(routeUrl ?? '')) return 'the admin API requires';
  return isMetaWrite(request, routeUrl) ? 'writes to the META table require' : undefined;
}
