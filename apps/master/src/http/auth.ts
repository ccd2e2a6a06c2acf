// Who may call what on the master (DESIGN §14):
//  - POST /v1/cluster/heartbeat needs the cluster secret (the tablet
//    servers' KDI_TS_CLUSTER_SECRET) — the chassis' bearer guard checks it;
//  - create, drop and set-schema, moving a tablet, running the balancer
//    (not a dry run) and draining a server need the admin token when the
//    master has one (KDI_MASTER_ADMIN_TOKEN), checked here in the same way
//    (constant time; the token never logged);
//  - the rest (status, lists, describe, events, META's location) is open.

import { KdiError } from '@kdi/protocol';
import { isPathUnder, secretMatcher } from '@kdi/service-kit';
import type { FastifyRequest } from 'fastify';

export const HEARTBEAT_PATH = '/v1/cluster/heartbeat';

/** For the chassis' bearer guard: the heartbeat needs the cluster secret. */
export function clusterSecretRequiredFor(request: FastifyRequest): string | undefined {
  return isPathUnder(request.url, '/v1/cluster') ? 'heartbeats require' : undefined;
}

/** A preHandler for the routes that change the cluster: checks `Authorization: Bearer <admin token>` when a token is configured. */
export function adminTokenCheck(token: string | undefined): (request: FastifyRequest) => Promise<void> {
  if (token === undefined) return async () => {};
  const matches = secretMatcher(token);
  return async (request) => {
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer (.+)$/i.exec(header);
    if (match === null) {
      throw new KdiError(
        'UNAUTHENTICATED',
        'creating, dropping and changing tables, moving tablets, running the balancer and draining servers require the admin token: send "Authorization: Bearer <admin token>"',
      );
    }
    if (!matches(match[1]!)) throw new KdiError('UNAUTHENTICATED', 'the admin token is wrong');
  };
}

/** For the OpenAPI document: the heartbeat needs the cluster secret (the admin token is documented in the routes' descriptions). */
export function routeSecurity(url: string): boolean {
  return isPathUnder(url, '/v1/cluster');
}
