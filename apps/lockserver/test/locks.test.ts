// POST/DELETE /v1/locks/{path…} and POST /v1/sequencers/validate.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_LIMITS, TestServer, sleep } from './harness.js';

const UNKNOWN = '0123456789abcdef0123456789abcdef';

describe('locks and sequencers', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await TestServer.start();
  });
  afterAll(async () => s.close());

  const acquire = (path: string, body: Record<string, unknown>) => s.call('POST', `/v1/locks${path}`, { body });
  const release = (path: string, sessionId: string) => s.call('DELETE', `/v1/locks${path}?sessionId=${sessionId}`);
  const validate = (sequencer: unknown) => s.call('POST', '/v1/sequencers/validate', { body: { sequencer } });

  it('grants an exclusive lock with a sequencer, refuses a second holder, and releases', async () => {
    await s.createFile('/l/ex', '');
    const a = await s.openSession();
    const b = await s.openSession();
    const got = await acquire('/l/ex', { sessionId: a, requestId: 'a1' });
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ acquired: true, sequencer: { path: '/l/ex', mode: 'exclusive', generation: expect.any(Number) } });
    expect((await s.call('GET', '/v1/stat/l/ex')).body.lock).toEqual({ mode: 'exclusive', holders: [got.body.sequencer.generation] });

    const refused = await acquire('/l/ex', { sessionId: b, requestId: 'b1' });
    expect(refused.body).toMatchObject({ acquired: false, reason: 'held' });
    expect(await validate(got.body.sequencer)).toMatchObject({ status: 200, body: { valid: true } });

    expect((await release('/l/ex', a)).body).toEqual({ released: true });
    expect((await release('/l/ex', a)).body).toEqual({ released: false });
    const stale = await validate(got.body.sequencer);
    expect(stale.body.valid).toBe(false);
    expect(stale.body.reason).toEqual(expect.any(String));

    const next = await acquire('/l/ex', { sessionId: b, requestId: 'b2' });
    expect(next.body.acquired).toBe(true);
    expect(next.body.sequencer.generation).toBeGreaterThan(got.body.sequencer.generation);
  });

  it('returns the same grant to a retried acquire (same session and requestId)', async () => {
    await s.createFile('/l/idem', '');
    const a = await s.openSession();
    const first = await acquire('/l/idem', { sessionId: a, requestId: 'once' });
    const again = await acquire('/l/idem', { sessionId: a, requestId: 'once' });
    expect(again.body).toEqual(first.body);
  });

  it('grants shared locks to several sessions and refuses an exclusive one meanwhile', async () => {
    await s.createFile('/l/shared', '');
    const [a, b, c] = [await s.openSession(), await s.openSession(), await s.openSession()];
    const ga = await acquire('/l/shared', { sessionId: a, requestId: 'r', mode: 'shared' });
    const gb = await acquire('/l/shared', { sessionId: b, requestId: 'r', mode: 'shared' });
    expect([ga.body.acquired, gb.body.acquired]).toEqual([true, true]);
    expect((await acquire('/l/shared', { sessionId: c, requestId: 'r', mode: 'exclusive' })).body).toMatchObject({ acquired: false, reason: 'held' });
    const lock = (await s.call('GET', '/v1/stat/l/shared')).body.lock;
    expect(lock.mode).toBe('shared');
    expect([...lock.holders].sort()).toEqual([ga.body.sequencer.generation, gb.body.sequencer.generation].sort());
  });

  it('a blocking acquire wakes when the holder releases', async () => {
    await s.createFile('/l/block', '');
    const a = await s.openSession();
    const b = await s.openSession();
    const held = await acquire('/l/block', { sessionId: a, requestId: 'r' });
    let settled = false;
    const waiting = acquire('/l/block', { sessionId: b, requestId: 'r', waitMs: 30_000 }).finally(() => {
      settled = true;
    });
    await sleep(100);
    expect(settled).toBe(false);
    expect((await release('/l/block', a)).body.released).toBe(true);
    const got = await waiting;
    expect(got.body.acquired).toBe(true);
    expect(got.body.sequencer.generation).toBeGreaterThan(held.body.sequencer.generation);
    expect((await validate(got.body.sequencer)).body.valid).toBe(true);
  });

  it('a blocking acquire wakes when the holder closes its session', async () => {
    await s.createFile('/l/block-close', '');
    const a = await s.openSession();
    const b = await s.openSession();
    await acquire('/l/block-close', { sessionId: a, requestId: 'r' });
    const waiting = acquire('/l/block-close', { sessionId: b, requestId: 'r', waitMs: 30_000 });
    await sleep(50);
    expect((await s.call('DELETE', `/v1/sessions/${a}`)).status).toBe(204);
    expect((await waiting).body.acquired).toBe(true);
  });

  it('a blocking acquire that runs out of time answers with the last refusal', async () => {
    await s.createFile('/l/timeout', '');
    const a = await s.openSession();
    const b = await s.openSession();
    await acquire('/l/timeout', { sessionId: a, requestId: 'r' });
    const r = await acquire('/l/timeout', { sessionId: b, requestId: 'r', waitMs: 200 });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ acquired: false, reason: 'held' });
  });

  it('refuses a lock freed by expiry for the lock-delay, then grants it to a waiter', async () => {
    await s.createFile('/l/delay', '');
    const a = await s.openSession(TEST_LIMITS.minTtlMs);
    await acquire('/l/delay', { sessionId: a, requestId: 'r' });
    s.clock.advance(TEST_LIMITS.minTtlMs + 1);
    await s.store.expireSessions();
    const b = await s.openSession(30_000);
    const delayed = await acquire('/l/delay', { sessionId: b, requestId: 'r1' });
    expect(delayed.body).toMatchObject({ acquired: false, reason: 'lock-delay', retryAfterMs: expect.any(Number) });
    expect(delayed.body.retryAfterMs).toBeGreaterThan(0);
    expect((await s.call('GET', '/v1/stat/l/delay')).body.lock.lockDelayRemainingMs).toBeGreaterThan(0);

    // The waiter sleeps on the delay; moving the store clock past it lets the next attempt through.
    const waiting = acquire('/l/delay', { sessionId: b, requestId: 'r2', waitMs: 30_000 });
    await sleep(50);
    s.clock.advance(Math.max(TEST_LIMITS.lockDelayMs, TEST_LIMITS.minTtlMs) + 1);
    await s.createFile('/l/delay-nudge', ''); // any change wakes the waiter at once
    const w = await waiting;
    expect(w.body.acquired, w.text).toBe(true);
  });

  describe('refuses bad input and changes nothing', () => {
    let live: string;
    beforeAll(async () => {
      await s.createFile('/bad/lock', '');
      live = await s.openSession();
    });

    it('acquire or release by an unknown session → NOT_FOUND', async () => {
      await s.expectRefused(() => acquire('/bad/lock', { sessionId: UNKNOWN, requestId: 'r' }), { status: 404, code: 'NOT_FOUND' });
      await s.expectRefused(() => release('/bad/lock', UNKNOWN), { status: 404, code: 'NOT_FOUND' });
      expect((await s.call('GET', '/v1/stat/bad/lock')).body.lock.mode).toBe('none');
    });

    it('acquire on a file that does not exist → NOT_FOUND', async () => {
      await s.expectRefused(() => acquire('/bad/no-such-file', { sessionId: live, requestId: 'r' }), { status: 404, code: 'NOT_FOUND' });
    });

    it.each([
      ['no sessionId', { requestId: 'r' }, /body\.sessionId/],
      ['a malformed sessionId', { sessionId: 'abc', requestId: 'r' }, /body\.sessionId: a session id is 32 lowercase hex digits/],
      ['no requestId', { sessionId: UNKNOWN }, /body\.requestId/],
      ['an empty requestId', { sessionId: UNKNOWN, requestId: '' }, /body\.requestId/],
      ['a requestId too long', { sessionId: UNKNOWN, requestId: 'r'.repeat(129) }, /body\.requestId/],
      ['an unknown mode', { sessionId: UNKNOWN, requestId: 'r', mode: 'write' }, /body\.mode/],
      ['a negative waitMs', { sessionId: UNKNOWN, requestId: 'r', waitMs: -1 }, /body\.waitMs/],
      ['a waitMs over a minute', { sessionId: UNKNOWN, requestId: 'r', waitMs: 60_001 }, /body\.waitMs/],
      ['a string waitMs', { sessionId: UNKNOWN, requestId: 'r', waitMs: '100' }, /body\.waitMs/],
      ['an unknown field', { sessionId: UNKNOWN, requestId: 'r', ttlMs: 5 }, /unknown field "ttlMs"/],
    ])('acquire with %s → INVALID_ARGUMENT', async (_name, body, message) => {
      await s.expectRefused(() => acquire('/bad/lock', body), { status: 400, code: 'INVALID_ARGUMENT', message });
    });

    it.each([
      ['a .. segment', 'bad%2F..%2Flock'],
      ['the root', ''],
      ['a bad character', 'bad/lo%2Ack'],
    ])('lock paths with %s → INVALID_ARGUMENT', async (_name, wildcard) => {
      await s.expectRefused(() => s.call('POST', `/v1/locks/${wildcard}`, { body: { sessionId: live, requestId: 'r' } }), { status: 400, code: 'INVALID_ARGUMENT' });
      await s.expectRefused(() => s.call('DELETE', `/v1/locks/${wildcard}?sessionId=${live}`), { status: 400, code: 'INVALID_ARGUMENT' });
    });

    it.each([
      ['/v1/locks/bad/lock', /query\.sessionId/],
      ['/v1/locks/bad/lock?sessionId=zz', /query\.sessionId/],
      [`/v1/locks/bad/lock?sessionId=${UNKNOWN}&all=1`, /unknown field "all"/],
    ])('release %s → INVALID_ARGUMENT', async (url, message) => {
      await s.expectRefused(() => s.call('DELETE', url), { status: 400, code: 'INVALID_ARGUMENT', message });
    });

    it.each([
      ['no sequencer', {}, /body\.sequencer/],
      ['a bad path', { sequencer: { path: '/a/../b', mode: 'exclusive', generation: 1 } }, /body\.sequencer\.path: .*'\.\.' segment/],
      ['a relative path', { sequencer: { path: 'a', mode: 'exclusive', generation: 1 } }, /body\.sequencer\.path: .*must start with/],
      ['a bad mode', { sequencer: { path: '/a', mode: 'read', generation: 1 } }, /body\.sequencer\.mode/],
      ['a negative generation', { sequencer: { path: '/a', mode: 'shared', generation: -1 } }, /body\.sequencer\.generation/],
      ['an unsafe generation', { sequencer: { path: '/a', mode: 'shared', generation: 2 ** 60 } }, /body\.sequencer\.generation/],
      ['an extra field', { sequencer: { path: '/a', mode: 'shared', generation: 1, holder: 'x' } }, /unknown field "holder"/],
    ])('validate with %s → INVALID_ARGUMENT', async (_name, body, message) => {
      await s.expectRefused(() => s.call('POST', '/v1/sequencers/validate', { body }), { status: 400, code: 'INVALID_ARGUMENT', message });
    });

    it('validates a sequencer that never existed as invalid', async () => {
      const r = await validate({ path: '/bad/lock', mode: 'exclusive', generation: 12345 });
      expect(r.status).toBe(200);
      expect(r.body.valid).toBe(false);
    });
  });
});
