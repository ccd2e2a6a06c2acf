// POST /v1/tables/{t}/apply: JSON and binary bodies, every bad input we
// could think of (each refused with a 4xx naming the problem, nothing
// stored changed), WRONG_TABLET for rows not served here, waitForSync.

import { encodeCellBlock, type Cell } from '@kdi/protocol';
import { FaultyFileSystem } from '@kdi/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cell, TestServer } from './harness.js';

const b = (s: string) => Buffer.from(s);
const bin = (cells: Cell[], compress = false) => Buffer.from(encodeCellBlock(cells, { compress }));
const binCell = (row: string, column: string, timestamp: number, value: string | null): Cell => ({
  row: b(row),
  column: b(column),
  timestamp,
  value: value === null ? null : b(value),
});

describe('apply', () => {
  let s: TestServer;
  let faulty: FaultyFileSystem;
  const APPLY = '/v1/tables/t/apply';
  beforeAll(async () => {
    s = await TestServer.start({
      config: { limits: { maxValueBytes: 1000, maxRequestBytes: 20_000 } },
      wrapFs: (fs) => (faulty = new FaultyFileSystem(fs)),
    });
    // Table t is served here in two tablets; of table g, rows ('m', 'p'] are not.
    await s.load('t', 't-low', { upper: 'm' });
    await s.load('t', 't-high', { lower: 'm' });
    await s.load('g', 'g-low', { upper: 'm' });
    await s.load('g', 'g-high', { lower: 'p' });
    await s.apply('t', [cell('a', 'f:q', 1, 'one'), cell('z', 'f:q', 1, 'last')]);
  });
  afterAll(async () => s.close());

  it('applies a JSON batch atomically as one txn, erasures included', async () => {
    const t1 = await s.apply('t', [cell('b', 'f:q', 5, 'x'), cell('q', 'g:r', 5, 'y')]);
    const t2 = await s.apply('t', [{ row: 'b', column: 'f:q', timestamp: 5, erase: true }]);
    expect(t2).toBeGreaterThan(t1);
    const { cells } = await s.scanAll('t', "row = 'b' or row = 'q'");
    expect(cells).toEqual([cell('q', 'g:r', 5, 'y')]);
  });

  it('takes base64 rows, columns and values', async () => {
    const bytes = Buffer.from([0, 0xff, 0x80]);
    await s.apply('t', [{ row: bytes.toString('base64'), column: b('f:bin').toString('base64'), timestamp: 9, value: bytes.toString('base64') }], { encoding: 'base64' });
    const r = await s.call('POST', '/v1/tables/t/scan', { body: { predicate: "row = '\\x00\\xff\\x80'" } });
    expect(r.body.encoding).toBe('base64');
    expect(r.body.cells).toEqual([{ row: 'AP+A', column: b('f:bin').toString('base64'), timestamp: 9, value: 'AP+A' }]);
  });

  it('applies a binary block (plain and LZ4) with options in the query', async () => {
    const cells = [binCell('c', 'f:a', 3, 'v'.repeat(300)), binCell('c', 'f:b', 3, null), binCell('d', 'f:a', 2, 'w'.repeat(300))];
    for (const compress of [false, true]) {
      const r = await s.call('POST', `${APPLY}?waitForSync=false&commitMaxTxn=${s.server.currentTxn}`, { body: bin(cells, compress) });
      expect(r.status, r.text).toBe(200);
      expect(r.body.commitTxn).toBe(s.server.currentTxn);
      // The reply is exactly the documented JSON (written by hand, not by zod).
      expect(r.text).toBe(`{"commitTxn":${s.server.currentTxn}}`);
      expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    }
    expect((await s.scanAll('t', "row = 'c' or row = 'd'")).cells.map((c) => [c.row, c.column])).toEqual([
      ['c', 'f:a'],
      ['d', 'f:a'],
    ]);
  });

  it('waits for the log sync by default, and not with waitForSync=false', async () => {
    let before = faulty.count('sync');
    await s.apply('t', [cell('s1', 'f:q', 1, 'v')]);
    expect(faulty.count('sync')).toBeGreaterThan(before);
    before = faulty.count('sync');
    await s.apply('t', [cell('s2', 'f:q', 1, 'v')], { waitForSync: false });
    expect(faulty.count('sync')).toBe(before);
    const synced = await s.call('POST', '/v1/tables/t/sync', { body: { atLeastTxn: s.server.currentTxn } });
    expect(synced.status, synced.text).toBe(200);
    expect(synced.body.syncTxn).toBeGreaterThanOrEqual(s.server.currentTxn);
    expect(faulty.count('sync')).toBeGreaterThan(before);
  });

  describe('refuses, changing nothing', () => {
    const refuse = (body: unknown, message: RegExp, opts: { headers?: Record<string, string>; url?: string; status?: number; code?: string } = {}) =>
      s.expectRefused(
        () => s.call('POST', opts.url ?? APPLY, { body, ...(opts.headers && { headers: opts.headers }) }),
        {
          status: opts.status ?? 400,
          code: opts.code ?? 'INVALID_ARGUMENT',
          message,
        },
        ['t'],
      );

    it('malformed and empty JSON, no body, other media types', async () => {
      await refuse('{"cells": [', /not valid JSON/);
      await refuse('', /body is empty/);
      await s.expectRefused(() => s.call('POST', APPLY), { status: 400, code: 'INVALID_ARGUMENT', message: /send the cells as JSON/ }, ['t']);
      await refuse('a,b', /unsupported Content-Type/, { headers: { 'content-type': 'text/plain' } });
      await refuse('[]', /expected object/);
    });

    it('unknown fields, wrong types and impossible cells, naming the field', async () => {
      // The message names the fields the route takes, from its schema.
      await refuse({ cells: [], extra: 1 }, /body: unknown field "extra" \(unknown fields are rejected; the known ones: [a-zA-Z, ]*\bcells\b/);
      await refuse(
        { cells: [{ ...cell('a', 'f', 1, 'v'), colour: 'red' }] },
        /body\.cells\.0: unknown field "colour" \(unknown fields are rejected; the known ones: [a-zA-Z, ]*\bcolumn\b/,
      );
      await refuse({ cells: 'a' }, /body\.cells: .*expected array/);
      await refuse({ cells: [{ row: 'a', column: 'f', timestamp: 1 }] }, /cells\[0\] has neither "value" nor "erase"/);
      await refuse({ cells: [{ row: 'a', column: 'f', timestamp: 1, value: 'v', erase: true }] }, /cells\[0\] has both/);
      await refuse({ cells: [cell('a', 'f', 1.5, 'v')] }, /body\.cells\.0\.timestamp/);
      await refuse({ cells: [cell('a', 'f', 2 ** 53, 'v')] }, /body\.cells\.0\.timestamp/);
      await refuse({ cells: [{ row: 'a', column: 'f', timestamp: '1', value: 'v' }] }, /body\.cells\.0\.timestamp/);
      await refuse({ cells: [cell('a', 'f', 1, 'v')], encoding: 'hex' }, /body\.encoding/);
      await refuse({ cells: [cell('a', 'f', 1, 'v')], commitMaxTxn: -1 }, /body\.commitMaxTxn/);
      await refuse({ cells: [cell('a', 'f', 1, 'v')], waitForSync: 'yes' }, /body\.waitForSync/);
      await refuse({ cells: [] }, /cells is empty/);
    });

    it('bad base64 and text that is not UTF-8', async () => {
      await refuse({ cells: [cell('a!', 'Zg==', 1, 'dg==')], encoding: 'base64' }, /cells\[0\]\.row is not valid base64/);
      await refuse({ cells: [cell('YQ', 'Zg==', 1, 'dg==')], encoding: 'base64' }, /cells\[0\]\.row is not valid base64: its length 2/);
      await refuse({ cells: [cell('YR==', 'Zg==', 1, 'dg==')], encoding: 'base64' }, /not canonical/);
      await refuse({ cells: [cell('a\ud800', 'f', 1, 'v')] }, /cells\[0\]\.row has an unpaired UTF-16 surrogate/);
    });

    it('oversize fields and batches', async () => {
      await refuse({ cells: [cell('r'.repeat(4097), 'f', 1, 'v')] }, /cells\[0\]\.row is 4097 bytes; the limit is 4096/);
      await refuse({ cells: [cell('a', 'f'.repeat(1025), 1, 'v')] }, /cells\[0\]\.column is 1025 bytes; the limit is 1024/);
      await refuse({ cells: [cell('a', 'f', 1, 'v'), cell('a', 'f', 2, 'v'.repeat(1001))] }, /cells\[1\]\.value is 1001 bytes; the limit is 1000/);
      const many = Array.from({ length: 30 }, (_, i) => cell(`a${i}`, 'f', 1, 'v'.repeat(900)));
      await refuse({ cells: many }, /request limit is 20000/);
      await refuse({ cells: [cell('a', 'f', 1, 'v'.repeat(200_000))] }, /request body is larger than the limit/);
    });

    it('binary blocks that are truncated, padded, unsorted, duplicated or corrupt', async () => {
      const good = bin([binCell('a', 'f:1', 2, 'x'), binCell('b', 'f:1', 2, 'y')]);
      await refuse(good.subarray(0, good.length - 1), /truncated cell block/);
      await refuse(good.subarray(0, 10), /shorter than its 24-byte header/);
      await refuse(Buffer.concat([good, Buffer.from([1, 2, 3])]), /3 bytes of trailing garbage/);
      await refuse(bin([binCell('b', 'f:1', 2, 'y'), binCell('a', 'f:1', 2, 'x')]), /cell 1 .* sorts before cell 0/);
      await refuse(bin([binCell('a', 'f:1', 2, 'x'), binCell('a', 'f:1', 2, 'y')]), /repeats the key of cell 0/);
      const flipped = Buffer.from(good);
      flipped[30] = flipped[30]! ^ 0xff;
      await refuse(flipped, /checksum mismatch/);
      const magic = Buffer.from(good);
      magic[0] = 0;
      await refuse(magic, /bad magic/);
      await refuse(Buffer.alloc(0), /shorter than its 24-byte header/);
      await refuse(bin([binCell('r'.repeat(4097), 'f', 1, 'v')]), /cells\[0\]\.row is 4097 bytes/);
      await refuse(good, /query\.waitForSync: must be true or false/, { url: `${APPLY}?waitForSync=yes` });
      await refuse(good, /query\.commitMaxTxn: must be a whole number/, { url: `${APPLY}?commitMaxTxn=-3` });
      await refuse(good, /query: unknown field "sync" \(unknown fields are rejected; the known ones: commitMaxTxn, waitForSync\)/, { url: `${APPLY}?sync=true` });
      await refuse({ cells: [cell('a', 'f', 1, 'v')] }, /go in the JSON body/, { url: `${APPLY}?waitForSync=false` });
    });

    it('bad and unknown tables, rows not served here', async () => {
      await refuse({ cells: [cell('a', 'f', 1, 'v')] }, /url\.table: must be 1-128 characters/, { url: '/v1/tables/bad%20name/apply' });
      const r = await refuse({ cells: [cell('a', 'f', 1, 'v')] }, /no tablet of table nosuch .* is served by server ts-test/, {
        url: '/v1/tables/nosuch/apply',
        status: 421,
        code: 'WRONG_TABLET',
      });
      expect(r.body.error.details).toEqual({ table: 'nosuch', row: 'a', rowEncoding: 'utf8', serverId: 'ts-test' });
      // One row in the gap ('m', 'p'] makes the whole batch fail.
      const G = '/v1/tables/g/apply';
      const gap = await refuse({ cells: [cell('a', 'f', 7, 'v'), cell('n', 'f', 7, 'v')] }, /cells\[1\]\.row "n"/, { url: G, status: 421, code: 'WRONG_TABLET' });
      expect(gap.body.error.details).toMatchObject({ table: 'g', row: 'n' });
      expect(gap.body.error.retryAfterMs).toBeUndefined();
      expect((await s.call('POST', '/v1/tables/g/scan', { body: { predicate: "row = 'a'" } })).body.cells).toEqual([]);
      const binaryGap = await refuse(bin([{ ...binCell('n', 'f', 1, 'v'), row: Buffer.from([0x6e, 0xff]) }]), /base64/, { url: G, status: 421, code: 'WRONG_TABLET' });
      expect(binaryGap.body.error.details).toMatchObject({ row: Buffer.from([0x6e, 0xff]).toString('base64'), rowEncoding: 'base64' });
    });

    it('writes to a tablet being unloaded', async () => {
      await s.load('u', 'u1');
      s.server.map.get('u1')!.state = 'unloading';
      try {
        await s.expectRefused(() => s.call('POST', '/v1/tables/u/apply', { body: { cells: [cell('a', 'f', 1, 'v')] } }), {
          status: 421,
          code: 'WRONG_TABLET',
          message: /being unloaded/,
        });
        expect((await s.call('POST', '/v1/tables/u/scan', { body: {} })).status).toBe(200);
      } finally {
        s.server.map.get('u1')!.state = 'serving';
      }
    });
  });
});

describe('apply with a schema without a wildcard group', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await TestServer.start();
    await s.load('web', 'web1', {
      schema: {
        groups: [
          { name: 'content', families: ['contents', 'anchor'] },
          { name: 'meta', families: ['lang'] },
        ],
      },
    });
  });
  afterAll(async () => s.close());

  it('accepts the named families and refuses others, naming the cell and the family', async () => {
    await s.apply('web', [cell('com.a', 'contents:', 1, '<html>'), cell('com.a', 'lang:', 1, 'en'), cell('com.a', 'anchor:x', 1, 'A')]);
    const r = await s.expectRefused(
      () => s.call('POST', '/v1/tables/web/apply', { body: { cells: [cell('com.b', 'lang:', 1, 'fr'), cell('com.b', 'links:y', 1, 'y')] } }),
      { status: 400, code: 'INVALID_ARGUMENT', message: /cells\[1\]\.column: family "links" is in no locality group of table web/ },
      ['web'],
    );
    expect(r.body.error.details).toEqual({ field: 'cells[1].column', family: 'links', table: 'web' });
  });

  it('refuses an invalid schema at load, loading nothing', async () => {
    const r = await s.call('POST', '/v1/admin/tablets', {
      body: {
        table: 'bad',
        tabletId: 'bad1',
        schema: {
          groups: [
            { name: 'a', families: '*' },
            { name: 'b', families: '*' },
          ],
        },
      },
    });
    expect(r.status, r.text).toBe(400);
    expect(r.body.error.message).toMatch(/wildcard/);
    expect((await s.call('GET', '/v1/tables/bad')).status).toBe(404);
  });
});
