// The inject harness: one request to an app in-process (Fastify's inject,
// no socket), with the reply's JSON body parsed when there is one.

import type { FastifyInstance } from 'fastify';

export interface InjectReply {
  readonly status: number;
  /** The parsed JSON body; undefined when the body is empty or not JSON. */
  readonly body: any;
  readonly text: string;
  readonly raw: Buffer;
  readonly headers: Record<string, string | string[] | number | undefined>;
}

export interface InjectRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD' | 'OPTIONS';
  readonly url: string;
  /**
   * An object is sent as JSON; a string is sent as is with Content-Type
   * application/json; a Buffer as is with `bufferType`.
   */
  readonly body?: unknown;
  /** The Content-Type of a Buffer body; default application/octet-stream. */
  readonly bufferType?: string;
  /** Sent last: they override the Content-Type chosen above. */
  readonly headers?: Readonly<Record<string, string>>;
}

export async function injectRequest(app: FastifyInstance, req: InjectRequest): Promise<InjectReply> {
  const headers: Record<string, string> = {};
  let payload: string | Buffer | undefined;
  if (Buffer.isBuffer(req.body)) {
    payload = req.body;
    headers['content-type'] = req.bufferType ?? 'application/octet-stream';
  } else if (req.body !== undefined) {
    payload = typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    headers['content-type'] = 'application/json';
  }
  Object.assign(headers, req.headers);
  const res = await app.inject({ method: req.method, url: req.url, headers, ...(payload !== undefined && { payload }) });
  let body: unknown;
  try {
    body = res.body.length > 0 ? JSON.parse(res.body) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.statusCode, body, text: res.body, raw: res.rawPayload, headers: res.headers };
}
