// A POST whose body is optional: no body (or an empty one) is validated as
// `{}`, so `curl -XPOST $M/v1/balancer/run` works like `-d '{}'`.

import type { FastifyRequest } from 'fastify';

export async function emptyBodyIsObject(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
}
