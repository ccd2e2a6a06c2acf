// Request logging (DESIGN §15: structured logs with request ids): ONE
// info line per request, when it is answered —
//   {"requestId", "req": {method, url, host, remoteAddress, remotePort},
//    "res": {statusCode}, "responseTime", "msg": "request completed"}
// (at error level, with "err", when the response failed: "request
// errored") — where Fastify writes two, "incoming request" and "request
// completed". Each line costs the server a JSON serialization and a
// synchronous write to stderr (several µs of a small request's CPU), and
// the second line carries everything the first did. The incoming line is
// still written at debug level, for finding requests that never finish.
// Refusals and failures keep their own lines (error-reply.ts).

import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

export class RequestLogController extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'requestId' });
  }

  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
