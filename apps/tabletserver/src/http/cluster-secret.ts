// The cluster secret (DESIGN §14) guards the admin API (/v1/admin/*: the
// master loads and unloads tablets there): every such request needs
// `Authorization: Bearer <secret>`. The comparison takes the same time
// whatever the guess (secretMatcher of @kdi/service-kit), and the secret
// never reaches a log or an error message. The Table API is open until
// bearer tokens with roles (DESIGN §14) arrive.

import { KdiError } from '@kdi/protocol';
import { secretMatcher } from '@kdi/service-kit';
import type { FastifyRequest } from 'fastify';

export const ADMIN_PREFIX = '/v1/admin';

/** True for paths under /v1/admin, matched route or not. */
export function isAdminPath(url: string): boolean {
  const path = url.split('?', 1)[0] ?? '';
  return path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`);
}

/** An onRequest check: throws UNAUTHENTICATED unless an admin request carries the secret. */
export function clusterSecretCheck(secret: string): (request: FastifyRequest) => void {
  const matches = secretMatcher(secret);
  return (request) => {
    if (!isAdminPath(request.url) && !isAdminPath(request.routeOptions.url ?? '')) return;
    const header = request.headers.authorization;
    if (header === undefined) {
      throw new KdiError('UNAUTHENTICATED', 'the admin API requires the cluster secret: send "Authorization: Bearer <cluster secret>"');
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
