// The admin API (cluster secret): load, unload, split, compact, serialize,
// status; back-pressure (RESOURCE_EXHAUSTED with retryAfterMs) when memory
// cannot drain.

import { FaultyFileSystem } from '@kdi/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cell, TEST_SECRET, TestServer } from './harness.js';

/** One call per admin route, with a valid shape. */
const ADMIN_CALLS = [
  ['POST', '/v1/admin/tablets', { table: 'sec', tabletId: 'sec2', lowerExclusive: 'm' }],
  ['DELETE', '/v1/admin/tablets/sec1', undefined],
  ['POST', '/v1/admin/tablets/sec1/split', { row: 'c' }],
  ['POST', '/v1/admin/tablets/sec1/compact', {}],
  ['POST', '/v1/admin/serialize', {}],
  ['GET', '/v1/admin/status', undefined],
  ['GET', '/v1/admin/nosuch', undefined],
] as const;

describe('admin API', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await TestServer.start();
    await s.load('sec', 'sec1');
    await s.apply('sec', [cell('a', 'f:', 1, 'a'), cell('e', 'f:', 1, 'e'), cell('k', 'f:', 1, 'k')]);
  });
  afterAll(async () => s.close());

  it.each(ADMIN_CALLS)('%s %s needs the cluster secret', async (method, url, body) => {
    const wrong: Array<Record<string, string>> = [
      {},
      { authorization: `Bearer ${TEST_SECRET}x` },
      { authorization: TEST_SECRET },
      { authorization: `Basic ${TEST_SECRET}` },
      { authorization: 'Bearer ' },
    ];
    for (const headers of wrong) {
      const r = await s.expectRefused(() => s.call(method, url, { ...(body !== undefined && { body }), auth: false, headers }), { status: 401, code: 'UNAUTHENTICATED' }, ['sec']);
      expect(r.headers['www-authenticate']).toBe('Bearer');
      expect(r.text).not.toContain(TEST_SECRET);
    }
    expect(s.server.tablets('sec').map((t) => t.tabletId)).toEqual(['sec1']);
  });

  it('leaves the Table API, probes and docs open', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']) expect((await s.call('GET', url, { auth: false })).status, url).toBe(200);
    expect((await s.call('POST', '/v1/tables/sec/scan', { body: {}, auth: false })).status).toBe(200);
  });

  it('loads, refusing duplicates, overlaps, empty ranges and bad fields', async () => {
    const load = (body: unknown) => s.call('POST', '/v1/admin/tablets', { body });
    const ok = await load({ table: 'adm', tabletId: 'adm1', lowerExclusive: 'AA==', upperInclusive: '/w==', encoding: 'base64' });
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body).toEqual({ tabletId: 'adm1', table: 'adm', lowerExclusive: 'AA==', upperInclusive: '/w==', state: 'serving', fragments: 0, diskBytes: 0, diskCells: 0 });
    const cases: Array<[unknown, number, string, RegExp]> = [
      [{ table: 'adm', tabletId: 'adm1', lowerExclusive: 'x' }, 409, 'ALREADY_EXISTS', /already on this server/],
      [{ table: 'adm', tabletId: 'adm2', lowerExclusive: 'c', upperInclusive: 'd' }, 400, 'FAILED_PRECONDITION', /overlaps tablet adm1/],
      [{ table: 'adm', tabletId: 'adm3', lowerExclusive: 'z', upperInclusive: 'q' }, 400, 'INVALID_ARGUMENT', /must sort before/],
      [{ table: 'adm', tabletId: 'adm4', lowerExclusive: 'q', upperInclusive: 'q' }, 400, 'INVALID_ARGUMENT', /must sort before/],
      [{ table: 'a/b', tabletId: 'x' }, 400, 'INVALID_ARGUMENT', /body\.table: must be 1-128 characters/],
      [{ table: 'adm', tabletId: '..'.repeat(100) }, 400, 'INVALID_ARGUMENT', /body\.tabletId/],
      [{ table: 'adm', tabletId: 'adm5', lowerExclusive: '!!!', encoding: 'base64' }, 400, 'INVALID_ARGUMENT', /lowerExclusive is not valid base64/],
      [{ table: 'adm', tabletId: 'adm6', upperInclusive: 'r'.repeat(5000) }, 400, 'INVALID_ARGUMENT', /upperInclusive is 5000 bytes; the limit is 4096/],
      [{ table: 'adm', tabletId: 'adm7', size: 1 }, 400, 'INVALID_ARGUMENT', /unknown field "size"/],
      [{ table: 'adm', tabletId: 'adm8', schema: { groups: [] } }, 400, 'INVALID_ARGUMENT', /at least one locality group/],
      [{ tabletId: 'adm9' }, 400, 'INVALID_ARGUMENT', /body\.table/],
    ];
    for (const [body, status, code, message] of cases) {
      const r = await s.expectRefused(() => load(body), { status, code, message }, ['sec']);
      expect(r.status).toBe(status);
    }
    expect(s.server.tablets('adm').map((t) => t.tabletId)).toEqual(['adm1']);
  });

  it('splits at a given row or the median, refusing rows not strictly inside', async () => {
    await s.load('sp', 'sp1');
    await s.apply(
      'sp',
      ['a', 'c', 'e', 'g', 'i', 'k'].map((r) => cell(r, 'f:', 1, r)),
    );
    const before = (await s.scanAll('sp')).cells;
    const noDisk = await s.call('POST', '/v1/admin/tablets/sp1/split', { body: {} });
    expect(noDisk.status).toBe(400);
    expect(noDisk.body.error).toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringMatching(/give the split row/) });
    const r = await s.call('POST', '/v1/admin/tablets/sp1/split', { body: { row: 'e', lowTabletId: 'sp-low', highTabletId: 'sp-high' } });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({
      parent: 'sp1',
      row: 'e',
      encoding: 'utf8',
      low: { tabletId: 'sp-low', upperInclusive: 'e' },
      high: { tabletId: 'sp-high', lowerExclusive: 'e' },
    });
    expect((await s.scanAll('sp')).cells).toEqual(before);
    const refuse = (url: string, body: unknown, status: number, code: string, message: RegExp) =>
      s.expectRefused(() => s.call('POST', url, { body }), { status, code, message }, ['sp']);
    await refuse('/v1/admin/tablets/sp-low/split', { row: 'e' }, 400, 'INVALID_ARGUMENT', /strictly inside/);
    await refuse('/v1/admin/tablets/sp-high/split', { row: 'e' }, 400, 'INVALID_ARGUMENT', /strictly inside/);
    await refuse('/v1/admin/tablets/sp-low/split', { row: 'b', lowTabletId: 'sp-high' }, 409, 'ALREADY_EXISTS', /lowTabletId: tablet sp-high already exists/);
    await refuse('/v1/admin/tablets/sp-low/split', { row: 'b', lowTabletId: 'x1', highTabletId: 'x1' }, 400, 'INVALID_ARGUMENT', /must differ/);
    await refuse('/v1/admin/tablets/nosuch/split', { row: 'b' }, 404, 'NOT_FOUND', /tablet nosuch is not on this server/);
    await refuse('/v1/admin/tablets/sp-low/split', { row: 'b', at: 1 }, 400, 'INVALID_ARGUMENT', /unknown field "at"/);
    expect((await s.call('POST', '/v1/admin/serialize')).status).toBe(200);
    const median = await s.call('POST', '/v1/admin/tablets/sp-high/split');
    expect(median.status, median.text).toBe(200);
    // Approximate: from the block index of a one-block fragment, a row of the tablet's data.
    expect(['g', 'i', 'k']).toContain(median.body.row);
    expect((await s.scanAll('sp')).cells).toEqual(before);
  });

  it('compacts a chain into one fragment and serializes memory data', async () => {
    await s.load('cp', 'cp1');
    for (let i = 0; i < 3; i++) {
      await s.apply('cp', [cell(`r${i}`, 'f:', 1, `v${i}`)]);
      const ser = await s.call('POST', '/v1/admin/serialize', { body: {} });
      expect(ser.status).toBe(200);
      expect(ser.body.memoryBytes).toBe(0);
    }
    expect(s.server.tablets('cp')[0]!.fragments).toBeGreaterThanOrEqual(1);
    const r = await s.call('POST', '/v1/admin/tablets/cp1/compact', { body: { full: true } });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ tabletId: 'cp1', fragments: 1, diskCells: 3 });
    expect((await s.scanAll('cp')).cells.map((c) => ('value' in c ? c.value : null))).toEqual(['v0', 'v1', 'v2']);
    expect((await s.call('POST', '/v1/admin/tablets/nosuch/compact')).status).toBe(404);
    expect((await s.call('POST', '/v1/admin/tablets/cp1/compact', { body: { full: 'yes' } })).status).toBe(400);
  });

  it('unloads: writes and reads go elsewhere, scanners close, a second unload is NOT_FOUND', async () => {
    await s.load('un', 'un1');
    await s.apply('un', [cell('a', 'f:', 1, 'a')]);
    const scanner = await s.call('POST', '/v1/scanners', { body: { table: 'un' } });
    expect(scanner.status).toBe(201);
    const r = await s.call('DELETE', '/v1/admin/tablets/un1');
    expect(r.status, r.text).toBe(204);
    expect((await s.call('POST', '/v1/tables/un/apply', { body: { cells: [cell('a', 'f:', 2, 'b')] } })).body.error.code).toBe('WRONG_TABLET');
    expect((await s.call('POST', '/v1/tables/un/scan', { body: {} })).body.error.code).toBe('WRONG_TABLET');
    expect((await s.call('GET', `/v1/scanners/${scanner.body.scannerId}/next`)).status).toBe(404);
    expect((await s.call('GET', '/v1/tables/un')).status).toBe(404);
    const again = await s.call('DELETE', '/v1/admin/tablets/un1');
    expect(again.status).toBe(404);
    expect((await s.call('DELETE', '/v1/admin/tablets/bad%20id')).status).toBe(400);
  });

  it('reports status', async () => {
    const r = await s.call('GET', '/v1/admin/status');
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({
      serverId: 'ts-test',
      encoding: 'base64', // adm1's lower bound is not UTF-8
      memoryBudgetBytes: s.config.memoryBudgetBytes,
      currentTxn: s.server.currentTxn,
      appliesInFlight: 0,
      busyRejections: 0,
      scanners: expect.any(Number),
    });
    expect(r.body.tablets.map((t: { tabletId: string }) => t.tabletId)).toEqual(expect.arrayContaining(['sec1', 'adm1', 'cp1']));
    expect((await s.call('GET', '/v1/admin/status?verbose=1')).status).toBe(400);
  });
});

describe('back-pressure', () => {
  it('answers RESOURCE_EXHAUSTED with retryAfterMs when memory cannot drain, applying nothing', async () => {
    let faulty!: FaultyFileSystem;
    const s = await TestServer.start({
      config: { memoryBudgetBytes: 64 * 1024, backPressureWaitMs: 50 },
      wrapFs: (fs) => (faulty = new FaultyFileSystem(fs)),
      engine: { onBackgroundError: () => {} },
    });
    try {
      await s.load('bp', 'bp1');
      // Serializations cannot write fragments, so memory stays full.
      const heal = faulty.addRule({ op: 'open', path: /\.frag/, times: Number.POSITIVE_INFINITY, error: 'EIO' });
      const big = Array.from({ length: 20 }, (_, i) => cell(`r${i}`, 'f:', 1, 'x'.repeat(8000)));
      await s.apply('bp', big);
      const r = await s.expectRefused(
        () => s.call('POST', '/v1/tables/bp/apply', { body: { cells: [cell('late', 'f:', 1, 'v')] } }),
        { status: 429, code: 'RESOURCE_EXHAUSTED', message: /did not drain/ },
        ['bp'],
      );
      expect(r.body.error.retryAfterMs).toBeGreaterThan(0);
      expect(r.headers['retry-after']).toBe(String(Math.ceil(r.body.error.retryAfterMs / 1000)));
      expect((await s.call('GET', '/v1/admin/status')).body.busyRejections).toBe(1);
      heal();
      expect((await s.call('POST', '/v1/admin/serialize', { body: {} })).status).toBe(200);
      await s.apply('bp', [cell('late', 'f:', 1, 'v')]);
      expect((await s.scanAll('bp')).cells.length).toBe(21);
    } finally {
      await s.close();
    }
  });
});
