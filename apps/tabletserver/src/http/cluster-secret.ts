// The cluster secret (DESIGN §14) guards the admin API (/v1/admin/*: the
// master loads and unloads tablets there): every such request needs
// `Authorization: Bearer <secret>`. The comparison takes the same time
// whatever the guess (secretMatcher of @kdi/service-kit), and the secret
// never reaches a log or an error message. Writes to the META table
// (apply and sync on /v1/tables/META) need it too: only servers and the
// master change tablet configs. The rest of the Table API is open until
// bearer tokens with roles (DESIGN §14) arrive.

import { KdiError, META_TABLE } from '@kdi/protocol';
import { secretMatcher } from '@kdi/service-kit';
import type { FastifyRequest } from 'fastify';

export const ADMIN_PREFIX = '/v1/admin';

/** True for paths under /v1/admin, matched route or not. */
export function isAdminPath(url: string): boolean {
  const path = url.split('?', 1)[0] ?? '';
  return path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`);
}

const META_WRITE_ROUTES = new Set(['/v1/tables/:table/apply', '/v1/tables/:table/sync']);

/**
 * True for writes to the META table (its rows are tablet configs). Decided
 * on the matched route and its decoded parameter, never on the raw URL:
 * /v1/tables/%4DETA/apply is a META write too.
 */
export function isMetaWrite(request: FastifyRequest): boolean {
  if (!META_WRITE_ROUTES.has(request.routeOptions.url ?? '')) return false;
  return (request.params as { table?: unknown } | undefined)?.table === META_TABLE;
}

/** An onRequest check: throws UNAUTHENTICATED unless an admin request (or a META write) carries the secret. */
export function clusterSecretCheck(secret: string): (request: FastifyRequest) => void {
  const matches = secretMatcher(secret);
  return (request) => {
    const admin = isAdminPath(request.url) || isAdminPath(request.routeOptions.url ?? '');
    if (!admin && !isMetaWrite(request)) return;
    const header = request.headers.authorization;
    if (header === undefined) {
      const what = admin ? 'the admin API requires' : 'writes to the META table require';
      throw new KdiError('UNAUTHENTICATED', `${what} the cluster secret: send "Authorization: Bearer <cluster secret>"`);
    }
    const match = /^Bearer (.+)$/i.exec(header);
    if (match === null) {
      throw new KdiError('UNAUTHENTICATED', 'the Authorization header must be "Bearer <cluster secret>"');
    }
    if (!matches(match[1]!)) {
      throw new KdiError('UNAUTHENTICATED', 'the cluster secret is wrong');
    }
  };
}
