import { KdiError } from '@kdi/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createServiceApp, type ServiceAppOptions } from './service-app.js';
import { Counter } from './index.js';
import { injectRequest } from './testing/inject.js';
import { validateOpenApi } from './testing/openapi-validation.js';
import type { ServiceApp } from './service-app-type.js';

class EngineError extends Error {}

const apps: ServiceApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function make(extra: Partial<ServiceAppOptions> = {}) {
  const parts = await createServiceApp({
    metricsPrefix: 'test',
    logLevel: 'silent',
    bodyLimit: 1024,
    errors: {
      texts: { bodyTooLarge: { message: 'the body is over 1024 bytes' }, emptyJsonBody: 'send {}', invalidMediaType: { message: 'send application/json' } },
      // The app's classifier: its own errors become KdiErrors.
      classify: (e) => (e instanceof EngineError ? new KdiError('UNAVAILABLE', `engine: ${e.message}`) : e),
    },
    openapi: { title: 't', version: '1', description: 'd', secured: (url) => url.startsWith('/v1/admin') },
    bearer: { secret: 's3cret', requiredFor: (r) => (r.url.startsWith('/v1/admin') ? 'the admin API requires' : undefined) },
    ...extra,
  });
  const { app } = parts;
  app.post('/v1/items/:name', { schema: { operationId: 'putItem', params: z.strictObject({ name: z.string().max(128) }), body: z.strictObject({ n: z.int() }) } }, async (r) => ({
    name: r.params.name,
    n: r.body.n,
  }));
  app.get('/v1/admin/x', { schema: { operationId: 'adminX' } }, async () => ({ ok: true }));
  app.get('/v1/broken', { schema: { operationId: 'broken' } }, async () => {
    throw new EngineError('disk gone');
  });
  app.get('/v1/bug', { schema: { operationId: 'bug' } }, async () => {
    throw new Error('secret internals');
  });
  await app.ready();
  apps.push(app);
  return parts;
}

describe('createServiceApp', () => {
  it('takes path parameters of 128 characters and more (Fastify stops at 100)', async () => {
    const { app } = await make();
    const name = 'n'.repeat(128);
    const r = await injectRequest(app, { method: 'POST', url: `/v1/items/${name}`, body: { n: 1 } });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({ name, n: 1 });
  });

  it('answers every failure with the error body: app classifier, validation, unknown route, hidden internals', async () => {
    const { app } = await make();
    const broken = await injectRequest(app, { method: 'GET', url: '/v1/broken', headers: { 'x-request-id': 'abc-1' } });
    expect(broken.status).toBe(503);
    expect(broken.body.error).toMatchObject({ code: 'UNAVAILABLE', message: 'engine: disk gone', requestId: 'abc-1' });
    const bad = await injectRequest(app, { method: 'POST', url: '/v1/items/a', body: { n: 'x' } });
    expect(bad.body.error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^body\.n: /) });
    const missing = await injectRequest(app, { method: 'GET', url: '/v2/nothing?q=1' });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe('no route GET /v2/nothing; the API is described at /openapi.json');
    const bug = await injectRequest(app, { method: 'GET', url: '/v1/bug' });
    expect(bug.status).toBe(500);
    expect(bug.text).not.toMatch(/secret internals/);
  });

  it('refuses bodies with a reason: wrong Content-Type, __proto__, broken JSON, too large', async () => {
    const { app } = await make();
    const text = await injectRequest(app, { method: 'POST', url: '/v1/items/a', body: '{"n":1}', headers: { 'content-type': 'text/plain' } });
    expect(text.body.error).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'send application/json' });
    const proto = await injectRequest(app, { method: 'POST', url: '/v1/items/a', body: '{"n":1,"__proto__":{"x":1}}' });
    expect(proto.body.error.message).toMatch(/"__proto__" key, which is not allowed/);
    const escaped = await injectRequest(app, { method: 'POST', url: '/v1/items/a', body: '{"n":1,"\\u005f_proto__":{"x":1}}' });
    expect(escaped.body.error.message).toMatch(/"__proto__" key/);
    const broken = await injectRequest(app, { method: 'POST', url: '/v1/items/a', body: '{"n":' });
    expect(broken.body.error.message).toMatch(/^the request body is not valid JSON \(its Content-Type says application\/json\): .+/);
    const empty = await injectRequest(app, { method: 'POST', url: '/v1/items/a', body: '' });
    expect(empty.body.error.message).toBe('send {}');
    const large = await injectRequest(app, { method: 'POST', url: '/v1/items/a', body: { n: 1, pad: 'x'.repeat(2000) } });
    expect(large.body.error).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'the body is over 1024 bytes' });
  });

  it('guards only the routes the app names with the bearer', async () => {
    const { app } = await make();
    const none = await injectRequest(app, { method: 'GET', url: '/v1/admin/x' });
    expect(none.status).toBe(401);
    expect(none.body.error.message).toBe('the admin API requires the cluster secret: send "Authorization: Bearer <cluster secret>"');
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect((await injectRequest(app, { method: 'GET', url: '/v1/admin/x', headers: { authorization: 'Basic x' } })).body.error.message).toMatch(/must be "Bearer/);
    expect((await injectRequest(app, { method: 'GET', url: '/v1/admin/x', headers: { authorization: 'Bearer nope' } })).body.error.message).toBe('the cluster secret is wrong');
    expect((await injectRequest(app, { method: 'GET', url: '/v1/admin/x', headers: { authorization: 'bearer s3cret' } })).status).toBe(200);
    expect((await injectRequest(app, { method: 'POST', url: '/v1/items/a', body: { n: 1 } })).status).toBe(200);
  });

  it('answers /readyz from the readiness callback, 503 when it throws', async () => {
    let ready = false;
    const { app } = await make({
      readiness: {
        summary: 'ready when told',
        schema: z.strictObject({ status: z.literal('ready'), n: z.int() }),
        check: () => {
          if (!ready) throw new KdiError('UNAVAILABLE', 'not yet');
          return { status: 'ready', n: 7 };
        },
      },
    });
    expect((await injectRequest(app, { method: 'GET', url: '/readyz' })).body.error).toMatchObject({ code: 'UNAVAILABLE', message: 'not yet' });
    ready = true;
    expect((await injectRequest(app, { method: 'GET', url: '/readyz' })).body).toEqual({ status: 'ready', n: 7 });
    expect((await injectRequest(app, { method: 'GET', url: '/healthz' })).body).toEqual({ status: 'ok' });
  });

  it('keeps one metrics registry per app: two apps in one process count apart, app metrics beside the process metrics', async () => {
    const a = await make();
    const b = await make();
    const widgets = new Counter({ name: 'test_widgets_total', help: 'Widgets.', registers: [a.metrics.registry] });
    widgets.inc(3);
    await injectRequest(a.app, { method: 'POST', url: '/v1/items/x', body: { n: 1 } });
    await injectRequest(a.app, { method: 'POST', url: '/v1/items/y', body: { n: 1 } });
    await injectRequest(b.app, { method: 'POST', url: '/v1/items/x', body: { n: 1 } });
    const ta = (await injectRequest(a.app, { method: 'GET', url: '/metrics' })).text;
    const tb = (await injectRequest(b.app, { method: 'GET', url: '/metrics' })).text;
    expect(ta).toMatch(/^test_http_requests_total\{method="POST",route="\/v1\/items\/:name",status="200"\} 2$/m);
    expect(tb).toMatch(/^test_http_requests_total\{method="POST",route="\/v1\/items\/:name",status="200"\} 1$/m);
    expect(ta).toMatch(/^test_widgets_total 3$/m);
    expect(tb).not.toMatch(/test_widgets_total/);
    for (const t of [ta, tb]) {
      expect(t).toMatch(/^process_resident_memory_bytes [1-9]\d*$/m);
      expect(t).toMatch(/^nodejs_eventloop_lag_seconds /m);
      expect(t).toMatch(/^nodejs_active_handles_total \d+$/m);
    }
  });

  it('serves a valid OpenAPI document with the bearer scheme on the secured routes', async () => {
    const { app } = await make();
    const reply = await injectRequest(app, { method: 'GET', url: '/openapi.json' });
    expect(reply.status, reply.text).toBe(200);
    const doc = reply.body;
    // The validator passes; the house rules want the error responses these test routes leave out.
    expect(await validateOpenApi(doc)).toEqual(
      ['/v1/items/{name}', '/v1/admin/x', '/v1/broken', '/v1/bug'].map((p) =>
        expect.stringMatching(new RegExp(`^(GET|POST) ${p.replace(/[{}]/g, '\\$&')}: error responses not documented$`)),
      ),
    );
    expect(doc.components.securitySchemes.clusterSecret).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/v1/admin/x'].get.security).toEqual([{ clusterSecret: [] }]);
    expect(doc.paths['/v1/items/{name}'].post.security).toEqual([]);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/metrics']));
  });
});
