// Request ids: a caller's `x-request-id` is kept (so one id follows a call
// through the SDK, a KDI server and the logs) when it is a plain token;
// anything else — too long, or with characters that could forge log lines
// — is replaced by a fresh UUID. The id is echoed in the `x-request-id`
// response header and in every error body.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';
const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && ACCEPTABLE.test(given) ? given : randomUUID();
}
