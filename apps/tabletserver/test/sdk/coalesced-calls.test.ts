// Coalesced calls (libs/client-sdk call-coalescer.ts, apply-group.ts) against
// one real tablet server with two tablets (split at 'm'): concurrent sets
// ride in one apply (one txn) and each is readable; one refused cell among
// good ones fails only its own call; concurrent gets of many rows (across
// both tablets, some missing, some named twice, with different shapes) each
// get exactly their row's cells, the same as uncoalesced gets. The server's
// point-rows path (scan/point-rows.ts) answers a multi-row point predicate
// with the cells a scan of the same rows returns, page budget and all.

import { connect, type KdiClient } from '@kdi/client-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer } from '../harness.js';

let ts: TestServer;
let kdi: KdiClient;
let plain: KdiClient;

beforeAll(async () => {
  ts = await TestServer.start();
  await ts.load('t', 't-low', { upper: 'm' });
  await ts.load('t', 't-high', { lower: 'm' });
  const url = await ts.app.listen({ port: 0, host: '127.0.0.1' });
  kdi = await connect({ servers: [url], singleServer: true });
  plain = await connect({ servers: [url], singleServer: true, coalesceCalls: false });
});
afterAll(async () => {
  await kdi?.close();
  await plain?.close();
  await ts?.close();
});

const text = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString());
const rowName = (i: number) => `${i % 2 === 0 ? 'a' : 'q'}${String(i).padStart(4, '0')}`;

describe('coalesced applies', () => {
  it('sends concurrent sets as a pipeline of two applies (two txns), each readable afterwards', async () => {
    const t = kdi.table('t');
    // Single-server mode knows no tablet bounds (one range per table), so both tablets' rows share the groups.
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => t.set(rowName(i), 'f:v', `v${i}`, { timestamp: 7 })));
    const txns = [...new Set(results.map((r) => r.commitTxn))];
    expect(txns).toHaveLength(2);
    for (const r of results) expect(r.parts).toEqual([expect.objectContaining({ cells: 1, commitTxn: expect.toBeOneOf(txns) })]);
    for (let i = 0; i < 200; i++) expect((await t.get(rowName(i))).map((c) => text(c.value))).toEqual([`v${i}`]);
  });

  it('keeps calls apart with their own options: a conditional apply and a non-durable one are not merged with durable ones', async () => {
    const t = kdi.table('t');
    const [durable, nosync] = await Promise.all([t.set('c1', 'f:v', 'x', { timestamp: 1 }), t.set('c2', 'f:v', 'y', { timestamp: 1, waitForSync: false })]);
    expect(durable.commitTxn).not.toBe(nosync.commitTxn);
    await t.sync();
    const before = (await t.readRow(Buffer.from('c1'), {})).scanTxn;
    await t.set('c1', 'f:v', 'z', { timestamp: 2 });
    await expect(t.set('c1', 'f:v', 'w', { timestamp: 3, commitMaxTxn: before })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('fails only the call whose cell the server refuses; its neighbours are applied', async () => {
    const t = kdi.table('t');
    const calls = [t.set('g1', 'f:v', 'ok1', { timestamp: 1 }), t.set('x'.repeat(5000), 'f:v', 'too long a row', { timestamp: 1 }), t.set('g2', 'f:v', 'ok2', { timestamp: 1 })];
    const settled = await Promise.allSettled(calls);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('row') });
    expect((await t.get('g1')).map((c) => text(c.value))).toEqual(['ok1']);
    expect((await t.get('g2')).map((c) => text(c.value))).toEqual(['ok2']);
  });

  it('fails only the call whose row the server does not serve: WRONG_TABLET is not retried in single-server mode, so it must not spill onto its neighbours', async () => {
    // Table 'half' is served up to 'm' only: a row above it is WRONG_TABLET here, for good.
    await ts.load('half', 'half-low', { upper: 'm' });
    const t = kdi.table('half');
    const calls = [t.set('a1', 'f:v', 'ok1', { timestamp: 1 }), t.set('z1', 'f:v', 'nobody serves this', { timestamp: 1 }), t.set('a2', 'f:v', 'ok2', { timestamp: 1 })];
    const settled = await Promise.allSettled(calls);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'WRONG_TABLET' });
    expect((await t.get('a1')).map((c) => text(c.value))).toEqual(['ok1']);
    expect((await t.get('a2')).map((c) => text(c.value))).toEqual(['ok2']);
  });

  it('lets the last of two calls naming the same key win, as sending them in turn would', async () => {
    const t = kdi.table('t');
    // Two calls alone are pipelined as two requests (their order at the server is a race): with two
    // calls ahead of them, the burst splits in halves and the same-key pair rides in one apply.
    const [, , first, second] = await Promise.all([
      t.set('same-0', 'f:v', 'x', { timestamp: 9 }),
      t.set('same-1', 'f:v', 'x', { timestamp: 9 }),
      t.set('same', 'f:v', 'first', { timestamp: 9 }),
      t.set('same', 'f:v', 'second', { timestamp: 9 }),
    ]);
    expect(first!.commitTxn).toBe(second!.commitTxn);
    expect((await t.get('same')).map((c) => text(c.value))).toEqual(['second']);
  });

  it('ends a cancelled call with CANCELLED and applies the rest', async () => {
    const t = kdi.table('t');
    const ac = new AbortController();
    const gone = t.set('k1', 'f:v', 'never', { timestamp: 1, signal: ac.signal });
    const kept = t.set('k2', 'f:v', 'kept', { timestamp: 1 });
    ac.abort();
    await expect(gone).rejects.toMatchObject({ code: 'CANCELLED' });
    await kept;
    expect(await t.get('k1')).toEqual([]);
    expect((await t.get('k2')).map((c) => text(c.value))).toEqual(['kept']);
  });
});

describe('coalesced gets', () => {
  it('gives each concurrent get its own row, across both tablets, missing rows and rows named twice, as plain gets do', async () => {
    const t = kdi.table('t');
    await t.apply(Array.from({ length: 50 }, (_, i) => ({ row: `r${rowName(i)}`, column: 'f:v', timestamp: 3, value: `r${i}` })));
    await t.apply(Array.from({ length: 50 }, (_, i) => ({ row: `r${rowName(i)}`, column: 'f:w', timestamp: 4, value: `w${i}` })));
    await t.apply([{ row: 'ra0000', column: 'f:v', timestamp: 2, value: 'older' }]);
    const rows = [...Array.from({ length: 60 }, (_, i) => `r${rowName(i)}`), 'ra0000', 'rq0001', 'nothing-here', 'zzz'];
    const shapes = [{}, { history: 2 }, { columns: ['f:w'] }];
    const calls = shapes.flatMap((shape) => rows.map((row) => ({ row, shape })));
    const together = await Promise.all(calls.map(({ row, shape }) => t.get(row, shape)));
    const alone: unknown[] = [];
    for (const { row, shape } of calls) alone.push(await plain.table('t').get(row, shape));
    expect(together).toEqual(alone);
    expect(together[0]!.map((c) => text(c.value))).toEqual(['r0', 'w0']);
    expect(together[rows.length]!.map((c) => text(c.value))).toEqual(['r0', 'older', 'w0']);
    expect(together[2 * rows.length]!.map((c) => text(c.value))).toEqual(['w0']);
    expect(together[rows.indexOf('nothing-here')]).toEqual([]);
    // A row named twice: equal answers, not one shared array.
    const twice = [rows.lastIndexOf('ra0000'), rows.indexOf('ra0000')];
    expect(twice[0]).not.toBe(twice[1]);
    expect(together[twice[0]!]).toEqual(together[twice[1]!]);
    expect(together[twice[0]!]).not.toBe(together[twice[1]!]);
  });
});

describe('coalesced gets, one of a row nobody serves', () => {
  it('fails only that get (WRONG_TABLET, not retried in single-server mode); the others get their rows, as plain gets do', async () => {
    await ts.load('half2', 'half2-low', { upper: 'm' });
    const t = kdi.table('half2');
    await t.set('a1', 'f:v', 'ok1', { timestamp: 1 });
    const settled = await Promise.allSettled([t.get('a1'), t.get('z1'), t.get('a2')]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'WRONG_TABLET' });
    expect((settled[0] as PromiseFulfilledResult<Array<{ value: Uint8Array | null }>>).value.map((c) => text(c.value))).toEqual(['ok1']);
    expect((settled[2] as PromiseFulfilledResult<unknown[]>).value).toEqual([]);
  });
});

describe('coalesced gets of long rows', () => {
  it('keeps a group under the server predicate caps: 300 concurrent gets of 4000-byte rows that print as escapes', async () => {
    const t = kdi.table('t');
    // Bytes below 0x20 print as \xHH: 4000 of them are 16,000 characters of predicate each.
    const row = (i: number) => Buffer.concat([Buffer.from('a'), Buffer.alloc(3995, 1), Buffer.from(String(i).padStart(4, '0'))]);
    await t.apply(Array.from({ length: 30 }, (_, i) => ({ row: row(i), column: 'f:v', timestamp: 1, value: `long${i}` })));
    // 300 different rows (30 of them written): a group of 128 would be ~2 MB of predicate text.
    const got = await Promise.all(Array.from({ length: 300 }, (_, k) => t.get(row(k))));
    got.forEach((cells, k) =>
      expect(
        cells.map((c) => text(c.value)),
        `get ${k}`,
      ).toEqual(k < 30 ? [`long${k}`] : []),
    );
  });
});

describe('the point-rows path of a scan page', () => {
  it('answers a multi-row point predicate like a scan of the same rows, in any page size, after a split', async () => {
    // One tablet, written on disk and in memory, then split at 'pm': both halves read the parent's files.
    await ts.load('s', 's-all');
    const t = kdi.table('s');
    await t.apply(Array.from({ length: 20 }, (_, i) => ({ row: `p${rowName(i)}`, column: `f:${i % 3}`, timestamp: 5, value: 'x'.repeat(i * 10) })));
    expect((await ts.call('POST', '/v1/admin/serialize', { body: {} })).status).toBe(200);
    await t.apply(Array.from({ length: 20 }, (_, i) => ({ row: `p${rowName(i + 20)}`, column: `f:${i % 3}`, timestamp: 5, value: 'x'.repeat(i * 10) })));
    const split = await ts.call('POST', '/v1/admin/tablets/s-all/split', { body: { row: 'pm', lowTabletId: 's-low', highTabletId: 's-high' } });
    expect(split.status, split.text).toBe(200);
    const rows = ['pa0000', 'pq0001', 'pa0010', 'pq0011', 'pa0012', 'pmissing', 'pq0039', 'pa0038'].sort();
    const points = rows.map((r) => `row = '${r}'`).join(' or ');
    // `column ~= ''` (every column) takes the engine's scan: the reference.
    const reference = await ts.scanAll('s', `${points} and column ~= ''`);
    expect(reference.cells.length).toBeGreaterThan(5);
    const pages: Array<{ maxCells?: number; maxBytes?: number }> = [{}, { maxCells: 1 }, { maxCells: 2 }, { maxBytes: 150 }];
    for (const page of pages) {
      const got = await ts.scanAll('s', points, page);
      expect(got.cells, JSON.stringify(page)).toEqual(reference.cells);
      // The budget holds: maxCells n needs at least cells/n pages.
      if (page.maxCells !== undefined) expect(got.pages).toBeGreaterThanOrEqual(Math.ceil(reference.cells.length / page.maxCells));
    }
  });
});
