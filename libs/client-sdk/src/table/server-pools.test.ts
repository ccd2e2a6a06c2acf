// ServerPools against a real HTTP server on 127.0.0.1: the bearer token is
// sent, error bodies become KdiErrors with the request id, a closed port
// is UNAVAILABLE with cause ECONNREFUSED (certainly not sent), and an
// aborted call ends with the scope's reason.

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KdiError } from '@kdi/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notSent } from './backoff.js';
import { ServerPools } from './server-pools.js';

let server: Server;
let url: string;
let lastHeaders: IncomingHttpHeaders = {};

beforeAll(async () => {
  server = createServer((req, res) => {
    lastHeaders = req.headers;
    if (req.url === '/fail') {
      res.writeHead(421, { 'content-type': 'application/json', 'x-request-id': 'req-7' });
      res.end(JSON.stringify({ error: { code: 'WRONG_TABLET', message: 'not here', details: { row: 'a', rowEncoding: 'utf8' } } }));
    } else if (req.url === '/hang') {
      // never answers
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('ServerPools', () => {
  it('sends the token as a bearer header and returns the body', async () => {
    const pools = new ServerPools({ token: 's3cret' });
    try {
      const r = await pools.request(url, { method: 'GET', path: '/ok', signal: new AbortController().signal });
      expect(JSON.parse(r.body.toString())).toEqual({ ok: true });
      expect(lastHeaders.authorization).toBe('Bearer s3cret');
    } finally {
      await pools.close();
    }
  });

  it('turns an error reply into a KdiError with the code, details and request id', async () => {
    const pools = new ServerPools({});
    try {
      const e = await pools.request(url, { method: 'GET', path: '/fail', signal: new AbortController().signal }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(KdiError);
      expect(e).toMatchObject({ code: 'WRONG_TABLET', retryable: true, requestId: 'req-7', details: { row: 'a' } });
      expect(lastHeaders.authorization).toBeUndefined();
    } finally {
      await pools.close();
    }
  });

  it('calls a refused connection UNAVAILABLE and not sent; an abort ends the call with its reason', async () => {
    const pools = new ServerPools({});
    try {
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((r) => closed.close(r));
      const e = (await pools.request(`http://127.0.0.1:${port}`, { method: 'GET', path: '/', signal: new AbortController().signal }).catch((x: unknown) => x)) as KdiError;
      expect(e.code).toBe('UNAVAILABLE');
      expect(notSent(e)).toBe(true);

      const controller = new AbortController();
      const pending = pools.request(url, { method: 'GET', path: '/hang', signal: controller.signal });
      controller.abort(new KdiError('DEADLINE_EXCEEDED', 'too slow'));
      await expect(pending).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED', message: 'too slow' });
    } finally {
      await pools.close();
    }
    await expect(pools.request(url, { method: 'GET', path: '/ok', signal: new AbortController().signal })).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });
});
