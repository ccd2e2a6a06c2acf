// POST /v1/sessions, POST /v1/sessions/{id}/keepalive, DELETE /v1/sessions/{id}.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_LIMITS, TestServer } from './harness.js';

const UNKNOWN = '0123456789abcdef0123456789abcdef';

describe('sessions', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await TestServer.start();
  });
  afterAll(async () => s.close());

  it('opens a session with the TTL asked for, clamped to the limits', async () => {
    const a = await s.call('POST', '/v1/sessions', { body: { ttlMs: 5_000 } });
    expect(a.status).toBe(201);
    expect(a.body).toEqual({ sessionId: expect.stringMatching(/^[0-9a-f]{32}$/), ttlMs: 5_000, lockDelayMs: 5_000 });
    const low = await s.call('POST', '/v1/sessions', { body: { ttlMs: 1 } });
    expect(low.body.ttlMs).toBe(TEST_LIMITS.minTtlMs);
    const high = await s.call('POST', '/v1/sessions', { body: { ttlMs: 10_000_000 } });
    expect(high.body.ttlMs).toBe(TEST_LIMITS.maxTtlMs);
  });

  it('opens a session without a body or with an empty object', async () => {
    const bare = await s.call('POST', '/v1/sessions');
    expect(bare.status).toBe(201);
    const empty = await s.call('POST', '/v1/sessions', { body: {} });
    expect(empty.status).toBe(201);
    expect(bare.body.sessionId).not.toBe(empty.body.sessionId);
    for (const r of [bare, empty]) {
      expect(r.body.ttlMs).toBeGreaterThanOrEqual(TEST_LIMITS.minTtlMs);
      expect(r.body.ttlMs).toBeLessThanOrEqual(TEST_LIMITS.maxTtlMs);
    }
  });

  it('keeps a session alive, past the lease it would otherwise have lost', async () => {
    const id = await s.openSession(2_000);
    for (let i = 0; i < 3; i++) {
      s.clock.advance(1_500);
      const r = await s.call('POST', `/v1/sessions/${id}/keepalive`);
      expect(r.status, r.text).toBe(200);
      expect(r.body).toEqual({ sessionId: id, ttlMs: 2_000, lockDelayMs: expect.any(Number) });
    }
  });

  it('answers NOT_FOUND for a session that expired', async () => {
    const id = await s.openSession(2_000);
    s.clock.advance(2_001);
    const r = await s.call('POST', `/v1/sessions/${id}/keepalive`);
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('NOT_FOUND');
  });

  it('closes a session: 204 with no body, its locks released and its ephemeral files deleted', async () => {
    const id = await s.openSession();
    await s.createFile('/sess/eph', 'x', { ephemeral: true, sessionId: id });
    await s.createFile('/sess/locked', 'y');
    const got = await s.call('POST', '/v1/locks/sess/locked', { body: { sessionId: id, requestId: 'r1' } });
    expect(got.body.acquired).toBe(true);

    const closed = await s.call('DELETE', `/v1/sessions/${id}`);
    expect(closed.status).toBe(204);
    expect(closed.text).toBe('');

    expect((await s.call('GET', '/v1/stat/sess/eph')).status).toBe(404);
    const locked = await s.call('GET', '/v1/stat/sess/locked');
    expect(locked.body.lock).toEqual({ mode: 'none', holders: [] });
    expect((await s.call('POST', '/v1/sequencers/validate', { body: { sequencer: got.body.sequencer } })).body.valid).toBe(false);
    expect((await s.call('POST', `/v1/sessions/${id}/keepalive`)).status).toBe(404);
  });

  describe('refuses bad input and changes nothing', () => {
    it.each([
      ['a string TTL', { ttlMs: '5000' }, /body\.ttlMs/],
      ['a negative TTL', { ttlMs: -1 }, /body\.ttlMs/],
      ['a zero TTL', { ttlMs: 0 }, /body\.ttlMs/],
      ['a fractional TTL', { ttlMs: 1.5 }, /body\.ttlMs/],
      ['an unknown field', { ttlMs: 5000, ttl: 5 }, /unknown field "ttl"/],
      ['an array body', [1], /body/],
      ['a string body', 'null-ish', /JSON/],
    ])('open with %s', async (_name, body, message) => {
      const before = (await s.store.status()).sessions;
      await s.expectRefused(() => s.call('POST', '/v1/sessions', { body: typeof body === 'string' ? body : body }), {
        status: 400,
        code: 'INVALID_ARGUMENT',
        message,
      });
      expect((await s.store.status()).sessions).toBe(before);
    });

    it('keepalive or close of an unknown session → NOT_FOUND', async () => {
      await s.expectRefused(() => s.call('POST', `/v1/sessions/${UNKNOWN}/keepalive`), { status: 404, code: 'NOT_FOUND' });
      await s.expectRefused(() => s.call('DELETE', `/v1/sessions/${UNKNOWN}`), { status: 404, code: 'NOT_FOUND' });
    });

    it.each(['xyz', UNKNOWN.toUpperCase(), `${UNKNOWN}0`, 'g'.repeat(32)])('a malformed session id %j → INVALID_ARGUMENT naming it', async (id) => {
      const live = await s.openSession();
      const sessions = (await s.store.status()).sessions;
      await s.expectRefused(() => s.call('POST', `/v1/sessions/${encodeURIComponent(id)}/keepalive`), {
        status: 400,
        code: 'INVALID_ARGUMENT',
        message: /url\.sessionId: a session id is 32 lowercase hex digits/,
      });
      await s.expectRefused(() => s.call('DELETE', `/v1/sessions/${encodeURIComponent(id)}`), { status: 400, code: 'INVALID_ARGUMENT' });
      expect((await s.store.status()).sessions).toBe(sessions);
      expect((await s.call('POST', `/v1/sessions/${live}/keepalive`)).status).toBe(200);
    });
  });
});
