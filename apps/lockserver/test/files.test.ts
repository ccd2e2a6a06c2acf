// POST/PUT/GET/DELETE /v1/files/{path…} and GET /v1/stat/{path…}.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyLimitFor } from '../src/app.js';
import { TEST_LIMITS, TestServer } from './harness.js';

const UNKNOWN = '0123456789abcdef0123456789abcdef';

describe('files', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await TestServer.start();
  });
  afterAll(async () => s.close());

  it('creates a file and reads it back as text and as base64', async () => {
    const created = await s.call('POST', '/v1/files/app/config', { body: { contents: 'héllo 😀' } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      path: '/app/config',
      generation: expect.any(Number),
      ephemeral: false,
      size: Buffer.byteLength('héllo 😀'),
      lock: { mode: 'none', holders: [] },
      revision: created.body.generation,
    });
    const read = await s.call('GET', '/v1/files/app/config');
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ path: '/app/config', contents: 'héllo 😀', encoding: 'utf8', generation: created.body.generation });
    const b64 = await s.call('GET', '/v1/files/app/config?encoding=base64');
    expect(Buffer.from(b64.body.contents, 'base64').toString()).toBe('héllo 😀');
    expect(b64.body.encoding).toBe('base64');
  });

  it('stores binary contents sent as base64 and refuses to send them as text', async () => {
    const bytes = Buffer.from([0xff, 0x00, 0xc3, 0x28, 0x80]);
    await s.createFile('/app/binary', bytes.toString('base64'), { encoding: 'base64' });
    const b64 = await s.readFile('/app/binary', 'base64');
    expect(Buffer.from(b64.body.contents, 'base64').equals(bytes)).toBe(true);
    expect(b64.body.size).toBe(5);
    await s.expectRefused(() => s.call('GET', '/v1/files/app/binary'), {
      status: 400,
      code: 'INVALID_ARGUMENT',
      message: /not valid UTF-8.*encoding=base64/,
    });
  });

  it('refuses contents that are not valid UTF-8 in the JSON text, naming the field, instead of storing U+FFFD', async () => {
    const raw = (method: 'POST' | 'PUT', path: string, ...parts: (string | number[])[]) =>
      s.app.inject({
        method,
        url: `/v1/files${path}`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${s.config.clusterSecret}` },
        payload: Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p)))),
      });
    for (const [method, bad] of [
      ['POST', [0xff, 0xfe]],
      ['POST', [0xc0, 0x80]],
      ['PUT', [0xed, 0xa0, 0x80]],
    ] as const) {
      if (method === 'PUT') await s.createFile('/app/utf8-put', 'before');
      const path = method === 'PUT' ? '/app/utf8-put' : '/app/utf8-post';
      const r = await raw(method, path, '{"contents":"x', [...bad], '"}');
      expect(r.statusCode, r.body).toBe(400);
      const error = JSON.parse(r.body).error;
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toMatch(/^body\.contents: invalid UTF-8 at byte 14 of the body .*"encoding":"base64"/);
      expect(error.details).toEqual({ field: 'body.contents', byteOffset: 14 });
    }
    expect((await s.call('GET', '/v1/stat/app/utf8-post')).status).toBe(404);
    expect((await s.readFile('/app/utf8-put')).body.contents).toBe('before');
  });

  it('creates an empty file when contents are left out', async () => {
    const info = await s.createFile('/app/empty');
    expect(info.size).toBe(0);
    expect((await s.readFile('/app/empty')).body.contents).toBe('');
  });

  it('stat answers without contents', async () => {
    await s.createFile('/app/stat-me', 'abc');
    const r = await s.call('GET', '/v1/stat/app/stat-me');
    expect(r.status).toBe(200);
    expect(r.body.size).toBe(3);
    expect(r.body).not.toHaveProperty('contents');
    expect(r.body).not.toHaveProperty('encoding');
    expect(r.body.revision).toBeGreaterThanOrEqual(r.body.generation);
  });

  it('sets contents, with and without compare-and-set', async () => {
    const v1 = await s.createFile('/app/cas', 'one');
    const v2 = await s.call('PUT', '/v1/files/app/cas', { body: { contents: 'two' } });
    expect(v2.status).toBe(200);
    expect(v2.body.generation).toBeGreaterThan(v1.generation);
    expect(v2.body.size).toBe(3);
    const v3 = await s.call('PUT', '/v1/files/app/cas', { body: { contents: 'dGhyZWU=', encoding: 'base64', ifGeneration: v2.body.generation } });
    expect(v3.status).toBe(200);
    expect((await s.readFile('/app/cas')).body.contents).toBe('three');
    const stale = await s.expectRefused(() => s.call('PUT', '/v1/files/app/cas', { body: { contents: 'four', ifGeneration: v1.generation } }), { status: 409, code: 'ABORTED' }, [
      '/app/cas',
    ]);
    expect(stale.body.error.message.length).toBeGreaterThan(0);
    expect((await s.readFile('/app/cas')).body.contents).toBe('three');
  });

  it('deletes a file, with compare-and-set on its generation', async () => {
    const f = await s.createFile('/app/doomed', 'x');
    await s.expectRefused(() => s.call('DELETE', `/v1/files/app/doomed?ifGeneration=${f.generation - 1}`), { status: 409, code: 'ABORTED' }, ['/app/doomed']);
    const del = await s.call('DELETE', `/v1/files/app/doomed?ifGeneration=${f.generation}`);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    expect((await s.readFile('/app/doomed')).status).toBe(404);
  });

  it('refuses to delete a file another session holds locked, but lets the holder delete it', async () => {
    await s.createFile('/app/held', 'x');
    const holder = await s.openSession();
    const other = await s.openSession();
    expect((await s.call('POST', '/v1/locks/app/held', { body: { sessionId: holder, requestId: 'r' } })).body.acquired).toBe(true);
    await s.expectRefused(() => s.call('DELETE', `/v1/files/app/held?sessionId=${other}`), { status: 400, code: 'FAILED_PRECONDITION' }, ['/app/held']);
    await s.expectRefused(() => s.call('DELETE', '/v1/files/app/held'), { status: 400, code: 'FAILED_PRECONDITION' }, ['/app/held']);
    expect((await s.call('DELETE', `/v1/files/app/held?sessionId=${holder}`)).status).toBe(204);
    expect((await s.call('GET', '/v1/stat/app/held')).status).toBe(404);
  });

  it('creates ephemeral files that belong to a session', async () => {
    const id = await s.openSession();
    const e = await s.createFile('/app/members/m1', 'addr', { ephemeral: true, sessionId: id });
    expect(e.ephemeral).toBe(true);
    s.clock.advance(TEST_LIMITS.maxTtlMs + 1);
    await s.store.expireSessions();
    expect((await s.call('GET', '/v1/stat/app/members/m1')).status).toBe(404);
  });

  it('accepts a sessionId on a file that is not ephemeral: the file outlives the session', async () => {
    const id = await s.openSession();
    const f = await s.createFile('/app/not-eph', 'x', { sessionId: id });
    expect(f.ephemeral).toBe(false);
    expect((await s.call('DELETE', `/v1/sessions/${id}`)).status).toBe(204);
    expect((await s.readFile('/app/not-eph')).body.contents).toBe('x');
  });

  describe('refuses bad input and changes nothing', () => {
    beforeAll(async () => {
      await s.createFile('/bad/existing', 'keep me');
    });
    const keep = ['/bad/existing'];

    it('creating a file that exists → ALREADY_EXISTS', async () => {
      await s.expectRefused(() => s.call('POST', '/v1/files/bad/existing', { body: { contents: 'overwrite' } }), { status: 409, code: 'ALREADY_EXISTS' }, keep);
    });

    it('reading, setting or deleting a file that does not exist → NOT_FOUND', async () => {
      await s.expectRefused(() => s.call('GET', '/v1/files/bad/missing'), { status: 404, code: 'NOT_FOUND' });
      await s.expectRefused(() => s.call('GET', '/v1/stat/bad/missing'), { status: 404, code: 'NOT_FOUND' });
      await s.expectRefused(() => s.call('PUT', '/v1/files/bad/missing', { body: { contents: 'x' } }), { status: 404, code: 'NOT_FOUND' });
      await s.expectRefused(() => s.call('DELETE', '/v1/files/bad/missing'), { status: 404, code: 'NOT_FOUND' });
    });

    // inject (like every WHATWG URL client) folds literal '.' and '..'
    // segments before sending; an encoded '/' keeps them in the path the
    // server sees (process.test.ts sends raw '..' over a socket).
    it.each([
      ['a .. segment', 'bad%2F..%2Fexisting', /'\.\.' segment/],
      ['a . segment', 'bad%2F.%2Fexisting', /'\.' segment/],
      ['an empty segment', 'bad%2F%2Fexisting', /must be 1-255 characters|segment ""/],
      ['a space', 'bad/with%20space', /must be 1-255 characters of \[A-Za-z0-9._-\]/],
      ['a non-ASCII name', 'bad/%C3%A4', /must be 1-255 characters/],
      ['a trailing slash', 'bad/existing/', /must not end with '\/'/],
      ['the root', '', /the root '\/' is a directory/],
      ['a path too long', `bad/${'x'.repeat(1100)}`, /limit is 1024/],
      ['a path too deep', Array.from({ length: 40 }, () => 'd').join('/'), /limit is 32/],
    ])('a path with %s', async (_name, wildcard, message) => {
      for (const call of [
        () => s.call('POST', `/v1/files/${wildcard}`, { body: { contents: 'x' } }),
        () => s.call('PUT', `/v1/files/${wildcard}`, { body: { contents: 'x' } }),
        () => s.call('GET', `/v1/files/${wildcard}`),
        () => s.call('GET', `/v1/stat/${wildcard}`),
        () => s.call('DELETE', `/v1/files/${wildcard}`),
      ]) {
        await s.expectRefused(call, { status: 400, code: 'INVALID_ARGUMENT', message }, keep);
      }
    });

    it('contents over maxContentsBytes, as text or base64 → INVALID_ARGUMENT naming the limit', async () => {
      const tooBig = 'x'.repeat(TEST_LIMITS.maxContentsBytes + 1);
      const message = new RegExp(`${TEST_LIMITS.maxContentsBytes + 1} bytes; the limit is ${TEST_LIMITS.maxContentsBytes} bytes`);
      await s.expectRefused(() => s.call('POST', '/v1/files/bad/big', { body: { contents: tooBig } }), { status: 400, code: 'INVALID_ARGUMENT', message });
      await s.expectRefused(() => s.call('PUT', '/v1/files/bad/existing', { body: { contents: tooBig } }), { status: 400, code: 'INVALID_ARGUMENT', message }, keep);
      const b64 = Buffer.alloc(TEST_LIMITS.maxContentsBytes + 1, 7).toString('base64');
      await s.expectRefused(() => s.call('POST', '/v1/files/bad/big', { body: { contents: b64, encoding: 'base64' } }), {
        status: 400,
        code: 'INVALID_ARGUMENT',
        message,
      });
      // Exactly at the limit is fine.
      expect((await s.call('POST', '/v1/files/bad/at-limit', { body: { contents: 'y'.repeat(TEST_LIMITS.maxContentsBytes) } })).status).toBe(201);
    });

    it('a body over the body limit → INVALID_ARGUMENT naming the limit (not a bare 413)', async () => {
      const limit = bodyLimitFor(TEST_LIMITS.maxContentsBytes);
      await s.expectRefused(() => s.call('POST', '/v1/files/bad/huge', { body: { contents: 'z'.repeat(limit + 10) } }), {
        status: 400,
        code: 'INVALID_ARGUMENT',
        message: new RegExp(`limit of ${limit} bytes`),
      });
    });

    it.each([
      ['not a multiple of 4', 'AAA', /length 3 is not a multiple of 4/],
      ['padding inside', 'AA=A', /padding inside/],
      ['a character outside the alphabet', 'AA-_', /not in the base64 alphabet/],
      ['non-canonical trailing bits', 'AB==', /non-zero bits/],
      ['whitespace', 'AAAA AAA', /base64/],
    ])('base64 contents with %s', async (_name, contents, message) => {
      await s.expectRefused(() => s.call('POST', '/v1/files/bad/b64', { body: { contents, encoding: 'base64' } }), { status: 400, code: 'INVALID_ARGUMENT', message });
      await s.expectRefused(() => s.call('PUT', '/v1/files/bad/existing', { body: { contents, encoding: 'base64' } }), { status: 400, code: 'INVALID_ARGUMENT', message }, keep);
    });

    it('text contents with an unpaired surrogate', async () => {
      await s.expectRefused(() => s.call('POST', '/v1/files/bad/surrogate', { body: '{"contents":"a\\ud800b"}' }), {
        status: 400,
        code: 'INVALID_ARGUMENT',
        message: /unpaired .*surrogate.*base64/,
      });
    });

    it.each([
      ['an unknown field', { contents: 'x', owner: 'me' }, /unknown field "owner"/],
      ['contents of the wrong type', { contents: 5 }, /body\.contents: .*expected string/],
      ['an unknown encoding', { contents: 'x', encoding: 'hex' }, /body\.encoding/],
      ['ephemeral not a boolean', { contents: 'x', ephemeral: 'yes' }, /body\.ephemeral/],
      ['a malformed sessionId', { contents: 'x', ephemeral: true, sessionId: 'nope' }, /body\.sessionId/],
      ['ephemeral without a session', { contents: 'x', ephemeral: true }, /ephemeral file needs the sessionId/],
      ['a body that is an array', [{ contents: 'x' }], /body/],
      ['a body that is null', null, /body/],
    ])('create with %s → INVALID_ARGUMENT', async (_name, body, message) => {
      await s.expectRefused(() => s.call('POST', '/v1/files/bad/new', { body: JSON.stringify(body) }), { status: 400, code: 'INVALID_ARGUMENT', message });
      expect((await s.call('GET', '/v1/stat/bad/new')).status).toBe(404);
    });

    it('an ephemeral file for a session that does not exist → FAILED_PRECONDITION', async () => {
      await s.expectRefused(() => s.call('POST', '/v1/files/bad/eph', { body: { contents: 'x', ephemeral: true, sessionId: UNKNOWN } }), {
        status: 400,
        code: 'FAILED_PRECONDITION',
      });
    });

    it.each([
      ['a missing contents', { encoding: 'utf8' }, /body\.contents/],
      ['a negative ifGeneration', { contents: 'x', ifGeneration: -1 }, /body\.ifGeneration/],
      ['a fractional ifGeneration', { contents: 'x', ifGeneration: 1.5 }, /body\.ifGeneration/],
      ['a string ifGeneration', { contents: 'x', ifGeneration: '7' }, /body\.ifGeneration/],
      ['ephemeral (not settable)', { contents: 'x', ephemeral: true }, /unknown field "ephemeral"/],
    ])('set contents with %s → INVALID_ARGUMENT', async (_name, body, message) => {
      await s.expectRefused(() => s.call('PUT', '/v1/files/bad/existing', { body }), { status: 400, code: 'INVALID_ARGUMENT', message }, keep);
    });

    it.each([
      ['malformed JSON', '{"contents": "x"', /not valid JSON/],
      ['an empty JSON body', '', /body is empty/],
    ])('%s → INVALID_ARGUMENT', async (_name, raw, message) => {
      await s.expectRefused(() => s.call('PUT', '/v1/files/bad/existing', { body: raw }), { status: 400, code: 'INVALID_ARGUMENT', message }, keep);
    });

    it('a body that is not JSON → INVALID_ARGUMENT', async () => {
      await s.expectRefused(
        () => s.call('PUT', '/v1/files/bad/existing', { body: 'contents=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
        { status: 400, code: 'INVALID_ARGUMENT', message: /must be JSON/ },
        keep,
      );
    });

    it.each([
      ['GET', '/v1/files/bad/existing?encoding=hex', /query\.encoding/],
      ['GET', '/v1/files/bad/existing?encoding=utf8&extra=1', /unknown field "extra"/],
      ['GET', '/v1/files/bad/existing?encoding=utf8&encoding=base64', /query\.encoding/],
      ['GET', '/v1/stat/bad/existing?encoding=utf8', /unknown field "encoding"/],
      ['DELETE', '/v1/files/bad/existing?ifGeneration=abc', /query\.ifGeneration: must be a whole number/],
      ['DELETE', '/v1/files/bad/existing?ifGeneration=', /query\.ifGeneration: must be a whole number/],
      ['DELETE', '/v1/files/bad/existing?ifGeneration=-3', /query\.ifGeneration/],
      ['DELETE', '/v1/files/bad/existing?sessionId=short', /query\.sessionId/],
      ['DELETE', '/v1/files/bad/existing?force=true', /unknown field "force"/],
    ] as const)('%s %s → INVALID_ARGUMENT', async (method, url, message) => {
      await s.expectRefused(() => s.call(method, url), { status: 400, code: 'INVALID_ARGUMENT', message }, keep);
    });
  });
});
