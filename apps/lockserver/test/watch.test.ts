// GET /v1/watch: long polls over the event log.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_LIMITS, TestServer, sleep } from './harness.js';

describe('watch', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await TestServer.start();
  });
  afterAll(async () => s.close());

  const watch = (query: string) => s.call('GET', `/v1/watch?${query}`);

  it('returns the events of one file after a cursor, in order, and the cursor to continue from', async () => {
    const start = await s.revision();
    const f = await s.createFile('/w/one', 'a');
    await s.createFile('/w/other', 'b');
    const changed = await s.call('PUT', '/v1/files/w/one', { body: { contents: 'c' } });
    const r = await watch(`path=/w/one&after=${start}&timeoutMs=0`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      events: [
        { revision: f.generation, type: 'created', path: '/w/one' },
        { revision: changed.body.generation, type: 'changed', path: '/w/one' },
      ],
      revision: changed.body.generation,
      reset: false,
    });
    // Continuing from the answer's revision finds nothing new.
    const next = await watch(`path=/w/one&after=${r.body.revision}&timeoutMs=0`);
    expect(next.body).toEqual({ events: [], revision: r.body.revision, reset: false });
  });

  it('refuses a malformed cursor or timeout instead of reading it as 0', async () => {
    for (const q of ['path=/w/one&after=', 'path=/w/one&after=-1', 'path=/w/one&after=1e3', 'path=/w/one&timeoutMs=', 'path=/w/one&timeoutMs=60001']) {
      const r = await watch(q);
      expect(r.status, q).toBe(400);
      expect(r.body).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
      expect(JSON.stringify(r.body)).toMatch(/after|timeoutMs/);
    }
  });

  it('moves the cursor past events that do not match, so they are never read again', async () => {
    const start = await s.revision();
    await s.createFile('/w/unrelated', 'x');
    const r = await watch(`path=/w/one&after=${start}&timeoutMs=0`);
    expect(r.body.events).toEqual([]);
    expect(r.body.revision).toBe(await s.revision());
    expect(r.body.revision).toBeGreaterThan(start);
  });

  it('watches every path below a directory when recursive', async () => {
    const start = await s.revision();
    await s.createFile('/tree/a', '');
    await s.createFile('/tree/sub/b', '');
    await s.createFile('/treehouse', ''); // a sibling with the same prefix, not below /tree
    const sid = await s.openSession();
    await s.call('POST', '/v1/locks/tree/a', { body: { sessionId: sid, requestId: 'r' } });
    await s.call('DELETE', `/v1/locks/tree/a?sessionId=${sid}`);
    await s.call('DELETE', '/v1/files/tree/sub/b');
    const r = await watch(`path=/tree&recursive=true&after=${start}&timeoutMs=0`);
    expect(r.body.events.map((e: { type: string; path: string }) => `${e.type} ${e.path}`)).toEqual([
      'created /tree/a',
      'created /tree/sub/b',
      'lock-acquired /tree/a',
      'lock-released /tree/a',
      'deleted /tree/sub/b',
    ]);
    const revisions = r.body.events.map((e: { revision: number }) => e.revision);
    expect([...revisions].sort((x, y) => x - y)).toEqual(revisions);
    const everything = await watch(`path=/&recursive=true&after=${start}&timeoutMs=0`);
    expect(everything.body.events.map((e: { path: string }) => e.path)).toContain('/treehouse');
  });

  it('a long poll returns an event another request makes while it waits', async () => {
    const after = await s.revision();
    let settled = false;
    const polling = watch(`path=/w/later&after=${after}&timeoutMs=30000`).finally(() => {
      settled = true;
    });
    await sleep(100);
    expect(settled).toBe(false);
    await s.createFile('/w/noise', ''); // a change that does not match keeps it waiting
    await sleep(50);
    expect(settled).toBe(false);
    const made = await s.createFile('/w/later', 'now');
    const r = await polling;
    expect(r.body.events).toEqual([{ revision: made.generation, type: 'created', path: '/w/later' }]);
    expect(r.body.reset).toBe(false);
  });

  it('without a cursor, watches from now on (older events are not returned)', async () => {
    await s.createFile('/w/old-news', '');
    const polling = watch('path=/w/old-news&timeoutMs=30000');
    await sleep(100);
    const changed = await s.call('PUT', '/v1/files/w/old-news', { body: { contents: 'fresh' } });
    const r = await polling;
    expect(r.body.events).toEqual([{ revision: changed.body.generation, type: 'changed', path: '/w/old-news' }]);
  });

  it('times out with no events and the current revision', async () => {
    const now = await s.revision();
    const r = await watch(`path=/w/quiet&after=${now}&timeoutMs=150`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ events: [], revision: now, reset: false });
  });

  it('says reset when the cursor is older than the kept history', async () => {
    const start = await s.revision();
    await s.createFile('/w/churn', '');
    for (let i = 0; i < TEST_LIMITS.eventRetention + 5; i++) await s.call('PUT', '/v1/files/w/churn', { body: { contents: String(i) } });
    const r = await watch(`path=/w/churn&after=${start}&timeoutMs=0`);
    expect(r.body).toEqual({ events: [], revision: await s.revision(), reset: true });
  });

  it('ends a long poll early when the server closes', async () => {
    const own = await TestServer.start();
    const polling = own.call('GET', `/v1/watch?path=/x&timeoutMs=60000`);
    await sleep(100);
    await own.app.close();
    const r = await polling;
    expect(r.status).toBe(200);
    expect(r.body.events).toEqual([]);
    await own.close();
  });

  describe('refuses bad input', () => {
    it.each([
      ['no path', 'timeoutMs=0', /query\.path/],
      ['a relative path', 'path=w/one&timeoutMs=0', /must start with '\/'/],
      ['a .. segment', 'path=/w/../one&timeoutMs=0', /'\.\.' segment/],
      ['the root without recursive', 'path=/&timeoutMs=0', /the root '\/' is a directory/],
      ['a trailing slash', 'path=/w/&recursive=true&timeoutMs=0', /must not end with '\/'/],
      ['recursive not true/false', 'path=/w&recursive=yes', /query\.recursive/],
      ['a negative cursor', 'path=/w/one&after=-1', /query\.after/],
      ['a non-numeric cursor', 'path=/w/one&after=abc', /query\.after/],
      ['a fractional cursor', 'path=/w/one&after=1.5', /query\.after/],
      ['a timeout over a minute', 'path=/w/one&timeoutMs=60001', /query\.timeoutMs/],
      ['an unknown parameter', 'path=/w/one&since=3', /unknown field "since"/],
      ['two paths', 'path=/a&path=/b', /query\.path/],
    ])('%s → INVALID_ARGUMENT', async (_name, query, message) => {
      await s.expectRefused(() => watch(query), { status: 400, code: 'INVALID_ARGUMENT', message });
    });
  });
});
