// The cluster secret (DESIGN §14): when configured, every /v1 route needs
// `Authorization: Bearer <secret>`. The comparison takes the same time
// whatever the guess (secretMatcher of @kdi/service-kit), and the secret
// never reaches a log or an error message.

import { KdiError } from '@kdi/protocol';
import { secretMatcher } from '@kdi/service-kit';
import type { FastifyRequest } from 'fastify';

/** True for paths under /v1 (the lock API), matched route or not. */
export function isApiPath(url: string): boolean {
  const path = url.split('?', 1)[0] ?? '';
  return path === '/v1' || path.startsWith('/v1/');
}

/** An onRequest check: throws UNAUTHENTICATED unless the request carries the secret. */
export function clusterSecretCheck(secret: string): (request: FastifyRequest) => void {
  const matches = secretMatcher(secret);
  return (request) => {
    if (!isApiPath(request.url) && !isApiPath(request.routeOptions.url ?? '')) return;
    const header = request.headers.authorization;
    if (header === undefined) {
      throw new KdiError('UNAUTHENTICATED', 'this lock server requires the cluster secret: send "Authorization: Bearer <cluster secret>"');
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
