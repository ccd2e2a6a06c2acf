// The cluster-secret bearer guard (DESIGN §14): a request that needs the
// secret must carry `Authorization: Bearer <secret>`. Which requests need
// it is the app's decision (`requiredFor`); the parsing, the comparison
// (constant time, secretMatcher) and the wording are the same everywhere.
// The secret never reaches a log or an error message.

import { KdiError } from '@kdi/protocol';
import type { FastifyRequest } from 'fastify';
import { secretMatcher } from './secret-match.js';

export interface BearerGuardOptions {
  readonly secret: string;
  /**
   * Undefined when `request` is open; otherwise what needs the secret, as
   * the start of the refusal, e.g. 'the admin API requires'.
   */
  readonly requiredFor: (request: FastifyRequest) => string | undefined;
}

/** An onRequest check: throws UNAUTHENTICATED unless a request that needs the secret carries it. */
export function bearerGuard(opts: BearerGuardOptions): (request: FastifyRequest) => void {
  const matches = secretMatcher(opts.secret);
  return (request) => {
    const what = opts.requiredFor(request);
    if (what === undefined) return;
    const header = request.headers.authorization;
    if (header === undefined) {
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

/** True when `url` (path, query ignored) is `prefix` or below it. */
export function isPathUnder(url: string, prefix: string): boolean {
  const path = url.split('?', 1)[0] ?? '';
  return path === prefix || path.startsWith(`${prefix}/`);
}
