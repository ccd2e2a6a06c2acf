// What every route shares: the cluster secret, request ids, unknown
// routes, hidden internal errors, Retry-After, and the error body shape.

import { ErrorBodySchema, KdiError } from '@kdi/protocol';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LockStore } from '../src/store/lock-store.js';
import { TEST_SECRET, TestServer, type Reply } from './harness.js';

const SID = '0123456789abcdef0123456789abcdef';

/** One call per /v1 route of the contract (lock-api.ts), with a valid shape. */
const V1_CALLS = [
  ['POST', '/v1/sessions', {}],
  ['POST', `/v1/sessions/${SID}/keepalive`, undefined],
  ['DELETE', `/v1/sessions/${SID}`, undefined],
  ['POST', '/v1/files/sec/f', { contents: 'new' }],
  ['PUT', '/v1/files/sec/f', { contents: 'changed' }],
  ['GET', '/v1/files/sec/f', undefined],
  ['GET', '/v1/stat/sec/f', undefined],
  ['DELETE', '/v1/files/sec/f', undefined],
  ['GET', '/v1/dirs', undefined],
  ['GET', '/v1/dirs/sec', undefined],
  ['POST', '/v1/locks/sec/f', { sessionId: SID, requestId: 'r' }],
  ['DELETE', `/v1/locks/sec/f?sessionId=${SID}`, undefined],
  ['POST', '/v1/sequencers/validate', { sequencer: { path: '/sec/f', mode: 'exclusive', generation: 1 } }],
  ['GET', '/v1/watch?path=/sec/f&timeoutMs=0', undefined],
  ['GET', '/v1/status', undefined],
  ['GET', '/v1/no-such-route', undefined],
] as const;

function expectErrorBody(r: Reply): void {
  expect(ErrorBodySchema.safeParse(r.body).success, r.text).toBe(true);
}

describe('cluster secret', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await TestServer.start({ clusterSecret: TEST_SECRET });
    await s.createFile('/sec/existing', 'keep');
  });
  afterAll(async () => s.close());

  it.each(V1_CALLS)('%s %s needs the secret', async (method, url, body) => {
    const opts = body === undefined ? {} : { body };
    const wrong: Array<Record<string, string>> = [
      {},
      { authorization: `Bearer ${TEST_SECRET}x` },
      { authorization: `Bearer ${TEST_SECRET.slice(0, -1)}` },
      { authorization: TEST_SECRET },
      { authorization: `Basic ${TEST_SECRET}` },
      { authorization: 'Bearer ' },
    ];
    for (const headers of wrong) {
      const r = await s.expectRefused(() => s.call(method, url, { ...opts, noAuth: true, headers }), { status: 401, code: 'UNAUTHENTICATED' }, ['/sec/existing']);
      expect(r.headers['www-authenticate']).toBe('Bearer');
      expect(r.text).not.toContain(TEST_SECRET);
      expectErrorBody(r);
    }
  });

  it('accepts the right secret (any case of "Bearer")', async () => {
    expect((await s.call('GET', '/v1/status')).status).toBe(200);
    expect((await s.call('GET', '/v1/status', { noAuth: true, headers: { authorization: `bearer ${TEST_SECRET}` } })).status).toBe(200);
  });

  it('leaves probes, metrics and the API description open', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']) {
      const r = await s.call('GET', url, { noAuth: true });
      expect(r.status, url).toBe(200);
    }
  });

  it('marks the /v1 operations as secured in the OpenAPI document', async () => {
    const doc = (await s.call('GET', '/openapi.json')).body;
    expect(doc.components.securitySchemes.clusterSecret).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    expect(doc.paths['/v1/status'].get.security).toEqual([{ clusterSecret: [] }]);
    expect(doc.paths['/healthz'].get.security).toEqual([]);
  });
});

describe('request ids', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await TestServer.start();
  });
  afterAll(async () => s.close());

  it("keeps the caller's x-request-id and echoes it, also in error bodies", async () => {
    const ok = await s.call('GET', '/healthz', { headers: { 'x-request-id': 'client-42.a:b' } });
    expect(ok.headers['x-request-id']).toBe('client-42.a:b');
    const bad = await s.call('GET', '/v1/stat/nope', { headers: { 'x-request-id': 'client-43' } });
    expect(bad.headers['x-request-id']).toBe('client-43');
    expect(bad.body.error.requestId).toBe('client-43');
  });

  it('makes a fresh id when none or an unsafe one is given', async () => {
    const a = await s.call('GET', '/healthz');
    const b = await s.call('GET', '/healthz');
    expect(a.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    for (const unsafe of ['has space', 'x'.repeat(129), 'line\\nbreak', '{"json":1}']) {
      const r = await s.call('GET', '/healthz', { headers: { 'x-request-id': unsafe } });
      expect(r.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe('unknown routes and methods', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await TestServer.start();
  });
  afterAll(async () => s.close());

  it.each([
    ['GET', '/v2/status'],
    ['GET', '/v1/sessions'],
    ['PUT', '/v1/sessions'],
    ['GET', '/v1/locks/a'],
    ['PUT', '/v1/stat/a'],
  ] as const)('%s %s → 404 NOT_FOUND with the protocol body', async (method, url) => {
    const r = await s.expectRefused(() => s.call(method, url), { status: 404, code: 'NOT_FOUND', message: /no route .*openapi\.json/ });
    expectErrorBody(r);
  });
});

describe('malformed requests Fastify itself refuses', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await TestServer.start();
  });
  afterAll(async () => s.close());

  it('a broken percent-encoding in the URL → INVALID_ARGUMENT with the protocol body', async () => {
    const r = await s.expectRefused(() => s.call('GET', '/v1/stat/a%E0%A4%A'), { status: 400, code: 'INVALID_ARGUMENT' });
    expectErrorBody(r);
  });

  it('a JSON body with __proto__ → INVALID_ARGUMENT', async () => {
    const r = await s.expectRefused(() => s.call('POST', '/v1/files/p/q', { body: '{"contents":"x","__proto__":{"admin":true}}' }), {
      status: 400,
      code: 'INVALID_ARGUMENT',
      message: /"__proto__" key, which is not allowed/,
    });
    expectErrorBody(r);
    expect(r.body.error.message).not.toMatch(/not valid JSON/);
  });

  it('a JSON body with a constructor.prototype key → INVALID_ARGUMENT naming it', async () => {
    const r = await s.expectRefused(() => s.call('POST', '/v1/files/p/q', { body: '{"contents":"x","constructor":{"prototype":{"admin":true}}}' }), {
      status: 400,
      code: 'INVALID_ARGUMENT',
      message: /"constructor" key holding a "prototype" key/,
    });
    expectErrorBody(r);
  });

  it('a body that is not JSON → INVALID_ARGUMENT quoting where the parser stopped', async () => {
    const r = await s.expectRefused(() => s.call('POST', '/v1/files/p/q', { body: '{"contents":' }), {
      status: 400,
      code: 'INVALID_ARGUMENT',
      message: /not valid JSON.*: .+/,
    });
    expectErrorBody(r);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream'])(
    'a body of Content-Type %s → INVALID_ARGUMENT saying to send application/json',
    async (type) => {
      const r = await s.expectRefused(() => s.call('POST', '/v1/files/p/q', { body: '{"contents":"x"}', headers: { 'content-type': type } }), {
        status: 400,
        code: 'INVALID_ARGUMENT',
        message: /Content-Type: application\/json/,
      });
      expectErrorBody(r);
      expect(r.body.error.details).toEqual({ field: 'content-type' });
    },
  );
});

describe('errors from the store', () => {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  let failure: Error | undefined;
  let s: TestServer;

  /** Fault injection: getFile throws `failure` when set; everything else is the real store. */
  const wrapStore = (store: LockStore): LockStore =>
    new Proxy(store, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (prop === 'getFile') {
          return (...args: Parameters<LockStore['getFile']>) => (failure ? Promise.reject(failure) : target.getFile(...args));
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });

  beforeAll(async () => {
    s = await TestServer.start({}, { wrapStore, logger });
    await s.createFile('/err/f', 'x');
  });
  afterAll(async () => s.close());

  it('hides an unexpected error from the client as INTERNAL and logs it in full under the request id', async () => {
    failure = new Error('disk on fire at /srv/secret-place');
    try {
      const r = await s.call('GET', '/v1/files/err/f', { headers: { 'x-request-id': 'trace-me' } });
      expect(r.status).toBe(500);
      expect(r.body.error.code).toBe('INTERNAL');
      expect(r.body.error.requestId).toBe('trace-me');
      expect(r.text).not.toContain('disk on fire');
      expect(r.text).not.toContain('secret-place');
      expectErrorBody(r);
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['requestId'] === 'trace-me' && l['level'] === 50);
      expect(logged).toBeDefined();
      expect(JSON.stringify(logged)).toContain('disk on fire at /srv/secret-place');
    } finally {
      failure = undefined;
    }
  });

  it('passes a KdiError through with its status, retryAfterMs and a Retry-After header', async () => {
    failure = new KdiError('UNAVAILABLE', 'the store is restarting', { retryAfterMs: 1_500 });
    try {
      const r = await s.call('GET', '/v1/files/err/f');
      expect(r.status).toBe(503);
      expect(r.body.error).toEqual({ code: 'UNAVAILABLE', message: 'the store is restarting', retryAfterMs: 1_500, requestId: r.headers['x-request-id'] });
      expect(r.headers['retry-after']).toBe('2');
    } finally {
      failure = undefined;
    }
    expect((await s.call('GET', '/v1/files/err/f')).status).toBe(200);
  });
});
