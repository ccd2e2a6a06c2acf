// stat (approximate, from block indexes), table info, and sync.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cell, TestServer } from './harness.js';

describe('stat, table info and sync', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await TestServer.start();
    await s.load('t', 't1', { upper: 'm', schema: { groups: [{ name: 'default', families: '*' }] } });
    await s.load('t', 't2', { lower: 'm' });
    await s.apply(
      't',
      Array.from({ length: 100 }, (_, i) => cell(String.fromCharCode(0x61 + (i % 26)) + String(i), 'f:q', 1, 'v'.repeat(50))),
    );
    await s.call('POST', '/v1/admin/serialize', { body: {} });
    await s.apply('t', [cell('a-mem', 'f:q', 1, 'in memory')]);
  });
  afterAll(async () => s.close());

  it('estimates cells and bytes per tablet the predicate meets', async () => {
    const all = await s.call('POST', '/v1/tables/t/stat', { body: {} });
    expect(all.status, all.text).toBe(200);
    expect(all.body.tablets.map((t: { tabletId: string }) => t.tabletId)).toEqual(['t1', 't2']);
    expect(all.body.cells).toBeGreaterThanOrEqual(101);
    expect(all.body.bytes).toBeGreaterThan(100 * 50);
    expect(all.body.cells).toBe(all.body.tablets.reduce((n: number, t: { cells: number }) => n + t.cells, 0));
    const low = await s.call('POST', '/v1/tables/t/stat', { body: { predicate: "row < 'c'" } });
    expect(low.body.tablets.map((t: { tabletId: string }) => t.tabletId)).toEqual(['t1']);
    expect(low.body.cells).toBeGreaterThanOrEqual(9); // a*, b*, a-mem
    expect(low.body.cells).toBeLessThanOrEqual(all.body.cells);
    const structured = await s.call('POST', '/v1/tables/t/stat', { body: { predicate: { rows: [{ upper: { value: 'Yw==', inclusive: false } }] }, encoding: 'base64' } });
    expect(structured.body).toEqual(low.body);
  });

  it('refuses bad stat requests', async () => {
    const cases: Array<[string, unknown, number, string, RegExp]> = [
      ['/v1/tables/t/stat', { predicate: "row = 'a' or" }, 400, 'INVALID_ARGUMENT', /body\.predicate: bad predicate: at position 12/],
      ['/v1/tables/t/stat', { predicate: '', maxCells: 1 }, 400, 'INVALID_ARGUMENT', /unknown field "maxCells"/],
      ['/v1/tables/nosuch/stat', {}, 421, 'WRONG_TABLET', /no tablet of table nosuch/],
      ['/v1/tables/b@d/stat', {}, 400, 'INVALID_ARGUMENT', /url\.table/],
    ];
    for (const [url, body, status, code, message] of cases) {
      await s.expectRefused(() => s.call('POST', url, { body }), { status, code, message }, ['t']);
    }
  });

  it('describes the table as served here', async () => {
    const r = await s.call('GET', '/v1/tables/t');
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({
      table: 't',
      serverId: 'ts-test',
      encoding: 'utf8',
      schema: { groups: [{ name: 'default', families: '*', compression: 'lz4', blockSize: 65536, inMemory: false, purge: { combine: 'or' } }] },
      tablets: [
        { tabletId: 't1', table: 't', upperInclusive: 'm', state: 'serving', fragments: 1 },
        { tabletId: 't2', table: 't', lowerExclusive: 'm', state: 'serving', fragments: 1 },
      ],
    });
    expect(r.body.memoryBytes).toBeGreaterThan(0);
    expect(r.body.tablets[0].diskCells + r.body.tablets[1].diskCells).toBe(100);
    const b64 = await s.call('GET', '/v1/tables/t?encoding=base64');
    expect(b64.body.tablets[0].upperInclusive).toBe('bQ==');
    expect((await s.call('GET', '/v1/tables/nosuch')).body.error).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/no tablet of table nosuch is on server ts-test/),
    });
    expect((await s.call('GET', '/v1/tables/t?encoding=hex')).status).toBe(400);
    expect((await s.call('GET', '/v1/tables/t?x=1')).status).toBe(400);
  });

  it('syncs up to a txn, refusing txns never handed out', async () => {
    const txn = await s.apply('t', [cell('s', 'f:', 1, 'v')], { waitForSync: false });
    const r = await s.call('POST', '/v1/tables/t/sync', { body: { atLeastTxn: txn } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.syncTxn).toBeGreaterThanOrEqual(txn);
    expect((await s.call('POST', '/v1/tables/t/sync', { body: { atLeastTxn: 0 } })).status).toBe(200);
    const cases: Array<[unknown, RegExp]> = [
      [{ atLeastTxn: s.server.currentTxn + 1_000_000 }, /has not been handed out yet/],
      [{ atLeastTxn: -1 }, /body\.atLeastTxn/],
      [{ atLeastTxn: 'x' }, /body\.atLeastTxn/],
      [{}, /body\.atLeastTxn/],
      [{ atLeastTxn: 1, wait: true }, /unknown field "wait"/],
    ];
    for (const [body, message] of cases) {
      await s.expectRefused(() => s.call('POST', '/v1/tables/t/sync', { body }), { status: 400, code: 'INVALID_ARGUMENT', message }, ['t']);
    }
  });
});
