// Server-side scanners: the same pages as the stateless scan, held in a
// bounded LRU with idle expiry; an evicted or expired scanner is NOT_FOUND
// and its last resume token continues the scan statelessly.

import type { JsonCell } from '@kdi/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cell, TestServer } from './harness.js';
import { TableModel } from './model.js';

describe('server-side scanners', () => {
  let s: TestServer;
  let clock = 0;
  const model = new TableModel();
  beforeAll(async () => {
    s = await TestServer.start({ config: { scan: { scannerCacheSize: 2, scannerIdleMs: 1000 } }, now: () => clock });
    await s.load('t', 't1', { upper: 'h' });
    await s.load('t', 't2', { lower: 'h' });
    const batch: JsonCell[] = [];
    for (const row of 'abcdefghijklmnop') for (let ts = 1; ts <= 3; ts++) batch.push(cell(row, 'f:q', ts, `${row}${ts}`));
    await s.apply('t', batch);
    model.apply(batch);
  });
  afterAll(async () => s.close());

  const open = async (body: Record<string, unknown>) => {
    const r = await s.call('POST', '/v1/scanners', { body: { table: 't', ...body } });
    expect(r.status, r.text).toBe(201);
    expect(r.body.idleTimeoutMs).toBe(1000);
    return r.body.scannerId as string;
  };
  const next = (id: string, query = '') => s.call('GET', `/v1/scanners/${id}/next${query}`);

  it('returns the same pages as /scan, then closes itself at the end', async () => {
    const id = await open({ predicate: 'history = 2' });
    const got: JsonCell[] = [];
    let last;
    for (let i = 0; ; i++) {
      last = await next(id, '?maxCells=5');
      expect(last.status, last.text).toBe(200);
      got.push(...last.body.cells);
      if (i === 2) await s.call('POST', '/v1/admin/tablets/t2/split', { body: { row: 'l', lowTabletId: 't2a', highTabletId: 't2b' } });
      if (last.body.end) break;
      expect(typeof last.body.resume).toBe('string');
    }
    expect(got).toEqual(model.scan('history = 2'));
    expect((await next(id)).status).toBe(404);
  });

  it('serves binary pages and accepts a resume token to start from', async () => {
    const first = await s.call('POST', '/v1/tables/t/scan', { body: { maxCells: 10 } });
    const id = await open({ resume: first.body.resume });
    const r = await s.call('GET', `/v1/scanners/${id}/next?maxCells=4`, { headers: { accept: 'application/x-kdi-cells' } });
    expect(r.status).toBe(200);
    expect(r.headers['x-kdi-end']).toBe('false');
    const stateless = await s.call('POST', '/v1/tables/t/scan', { body: { maxCells: 4, resume: first.body.resume } });
    expect(r.headers['x-kdi-resume']).toBe(stateless.body.resume);
    expect((await s.call('DELETE', `/v1/scanners/${id}`)).status).toBe(204);
  });

  it('evicts the least recently used past the limit; its token continues statelessly', async () => {
    const a = await open({});
    const page = await next(a, '?maxCells=7');
    const b = await open({});
    expect((await next(b, '?maxCells=1')).status).toBe(200); // b is now more recent than a
    expect((await next(a, '?maxCells=1')).status).toBe(200); // and a more recent than b
    const c = await open({}); // evicts b
    const gone = await next(b);
    expect(gone.status).toBe(404);
    expect(gone.body.error.message).toMatch(/evicted.*resume token/);
    expect((await next(c, '?maxCells=1')).status).toBe(200);
    // a's own first page token still works without the scanner.
    const rest = await s.call('POST', '/v1/tables/t/scan', { body: { resume: page.body.resume } });
    expect([...page.body.cells, ...rest.body.cells]).toEqual(model.scan(''));
    await s.call('DELETE', `/v1/scanners/${a}`);
    await s.call('DELETE', `/v1/scanners/${c}`);
  });

  it('expires idle scanners', async () => {
    const id = await open({});
    clock += 999;
    expect((await next(id, '?maxCells=1')).status).toBe(200);
    clock += 1000;
    const r = await next(id);
    expect(r.status).toBe(404);
    expect(r.body.error.message).toMatch(/expired after 1000 ms idle/);
  });

  it('refuses bad requests with a message', async () => {
    const cases: Array<[string, string, unknown, number, string, RegExp]> = [
      ['POST', '/v1/scanners', { table: 'nosuch' }, 421, 'WRONG_TABLET', /no tablet of table nosuch/],
      ['POST', '/v1/scanners', { table: 't', predicate: 'row =' }, 400, 'INVALID_ARGUMENT', /at position 5/],
      ['POST', '/v1/scanners', { table: 't', resume: 'AAAA' }, 400, 'INVALID_ARGUMENT', /resume token is not valid/],
      ['POST', '/v1/scanners', { table: 't', maxCells: 3 }, 400, 'INVALID_ARGUMENT', /unknown field "maxCells"/],
      ['POST', '/v1/scanners', { predicate: '' }, 400, 'INVALID_ARGUMENT', /body\.table/],
      ['GET', '/v1/scanners/xyz/next', undefined, 400, 'INVALID_ARGUMENT', /url\.scannerId: must be a scanner id/],
      ['GET', `/v1/scanners/${'0'.repeat(32)}/next`, undefined, 404, 'NOT_FOUND', /does not exist/],
      ['GET', `/v1/scanners/${'0'.repeat(32)}/next?maxCells=0`, undefined, 400, 'INVALID_ARGUMENT', /query\.maxCells: must be a whole number, at least 1/],
      ['GET', `/v1/scanners/${'0'.repeat(32)}/next?maxBytes=abc`, undefined, 400, 'INVALID_ARGUMENT', /query\.maxBytes: must be a whole number/],
      ['DELETE', `/v1/scanners/${'0'.repeat(32)}`, undefined, 404, 'NOT_FOUND', /does not exist/],
    ];
    for (const [method, url, body, status, code, message] of cases) {
      await s.expectRefused(() => s.call(method as 'GET', url, { ...(body !== undefined && { body }) }), { status, code, message }, ['t']);
    }
  });
});

describe('with server-side scanners disabled', () => {
  it('refuses to open one and points at /scan', async () => {
    const s = await TestServer.start({ config: { scan: { scannerCacheSize: 0 } } });
    try {
      await s.load('t', 't1');
      const r = await s.call('POST', '/v1/scanners', { body: { table: 't' } });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringMatching(/disabled.*resume tokens/) });
    } finally {
      await s.close();
    }
  });
});
