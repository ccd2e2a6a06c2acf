// The transport's promise: every failure is a KdiError whose code says what
// happened. Checked against tiny real HTTP servers on 127.0.0.1 that
// misbehave on purpose (the lock server itself never sends a bare 502).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KdiError, SessionInfoSchema } from '@kdi/protocol';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpTransport } from './http-transport.js';

const servers: Server[] = [];
const transports: HttpTransport[] = [];

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function transport(url: string, requestTimeoutMs = 5_000, secret?: string): HttpTransport {
  const t = new HttpTransport({ url, requestTimeoutMs, secret });
  transports.push(t);
  return t;
}

async function failure(p: Promise<unknown>): Promise<KdiError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(KdiError);
  return e as KdiError;
}

const SESSION = { sessionId: 'a'.repeat(32), ttlMs: 1000, lockDelayMs: 1000 };

afterEach(async () => {
  for (const t of transports.splice(0)) await t.close();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

describe('HttpTransport', () => {
  it('returns the validated body and sends the cluster secret as a bearer token', async () => {
    let auth: string | undefined;
    const { url } = await serve((req, res) => {
      auth = req.headers.authorization;
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(SESSION));
    });
    const info = await transport(url, 5_000, 'sixteen-chars-secret').request({ method: 'POST', path: '/v1/sessions', body: {}, schema: SessionInfoSchema });
    expect(info).toEqual(SESSION);
    expect(auth).toBe('Bearer sixteen-chars-secret');
  });

  it('reuses keep-alive connections for sequential calls', async () => {
    let connections = 0;
    const { url, server } = await serve((_req, res) => res.writeHead(204).end());
    server.on('connection', () => connections++);
    const t = transport(url);
    for (let i = 0; i < 10; i++) await t.request({ method: 'DELETE', path: '/v1/sessions/x' });
    // undici may open a second socket while the first finishes its previous answer.
    expect(connections).toBeLessThanOrEqual(2);
  });

  it('turns an error body into the KdiError the server sent', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no session abc', requestId: 'r-7' } }));
    });
    const e = await failure(transport(url).request({ method: 'POST', path: '/v1/sessions/abc/keepalive', schema: SessionInfoSchema }));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toBe('no session abc');
    expect(e.requestId).toBe('r-7');
  });

  it('classifies a bare proxy 502 as UNAVAILABLE (retryable)', async () => {
    const { url } = await serve((_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>'));
    const e = await failure(transport(url).request({ method: 'GET', path: '/v1/status', schema: SessionInfoSchema }));
    expect(e.code).toBe('UNAVAILABLE');
    expect(e.retryable).toBe(true);
    expect(e.message).toContain('bad gateway');
  });

  it('refuses a 2xx body that breaks the contract with INTERNAL, naming the field', async () => {
    const { url } = await serve((_req, res) => res.writeHead(200).end(JSON.stringify({ ...SESSION, ttlMs: 'soon' })));
    const e = await failure(transport(url).request({ method: 'POST', path: '/v1/sessions', body: {}, schema: SessionInfoSchema }));
    expect(e.code).toBe('INTERNAL');
    expect(e.message).toContain('ttlMs');
  });

  it('maps a refused connection to UNAVAILABLE', async () => {
    const { url, server } = await serve((_req, res) => res.end());
    server.close();
    await new Promise((r) => setTimeout(r, 10));
    const e = await failure(transport(url).request({ method: 'GET', path: '/v1/status' }));
    expect(e.code).toBe('UNAVAILABLE');
    expect(e.message).toContain('ECONNREFUSED');
  });

  it('maps a server that never answers to DEADLINE_EXCEEDED after requestTimeoutMs', async () => {
    const { url } = await serve(() => undefined);
    const e = await failure(transport(url, 150).request({ method: 'GET', path: '/v1/status' }));
    expect(e.code).toBe('DEADLINE_EXCEEDED');
    expect(e.message).toContain('outcome is unknown');
  });

  it('gives a long poll its server wait on top of the request timeout', async () => {
    const { url } = await serve((_req, res) => setTimeout(() => res.writeHead(204).end(), 300));
    await expect(transport(url, 100).request({ method: 'GET', path: '/v1/watch', serverWaitMs: 2_000 })).resolves.toBeUndefined();
  });

  it('maps the caller aborting to CANCELLED, or to the KdiError given as the reason', async () => {
    const { url } = await serve(() => undefined);
    const t = transport(url);
    const ac = new AbortController();
    const p = t.request({ method: 'GET', path: '/v1/watch', signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    expect((await failure(p)).code).toBe('CANCELLED');

    const ac2 = new AbortController();
    const p2 = t.request({ method: 'GET', path: '/v1/watch', signal: ac2.signal });
    setTimeout(() => ac2.abort(new KdiError('DEADLINE_EXCEEDED', 'keep-alive ran past its lease')), 50);
    const e2 = await failure(p2);
    expect(e2.code).toBe('DEADLINE_EXCEEDED');
    expect(e2.message).toBe('keep-alive ran past its lease');

    const done = new AbortController();
    done.abort();
    expect((await failure(t.request({ method: 'GET', path: '/v1/status', signal: done.signal }))).code).toBe('CANCELLED');
  });

  it('keeps a path prefix of the URL and works over a shared dispatcher, which it does not close', async () => {
    const paths: string[] = [];
    const { url } = await serve((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(204).end();
    });
    const agent = new Agent();
    try {
      const t = new HttpTransport({ url: `${url}/lock/`, requestTimeoutMs: 5_000, dispatcher: agent });
      await t.request({ method: 'GET', path: '/v1/status?x=1' });
      await t.close();
      expect(paths).toEqual(['/lock/v1/status?x=1']);
      expect(agent.closed).toBe(false);
    } finally {
      await agent.close();
    }
  });

  it('refuses calls after close with FAILED_PRECONDITION', async () => {
    const { url } = await serve((_req, res) => res.writeHead(204).end());
    const t = transport(url);
    await t.close();
    expect((await failure(t.request({ method: 'GET', path: '/v1/status' }))).code).toBe('FAILED_PRECONDITION');
  });

  it('rejects a URL it cannot use with INVALID_ARGUMENT', () => {
    expect(() => new HttpTransport({ url: 'not a url', requestTimeoutMs: 1 })).toThrow(/absolute URL/);
    expect(() => new HttpTransport({ url: 'ftp://h', requestTimeoutMs: 1 })).toThrow(/http/);
  });
});
