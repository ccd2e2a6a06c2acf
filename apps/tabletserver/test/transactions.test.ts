// Row transactions (DESIGN §4): scan the row (scanTxn), then apply with
// commitMaxTxn = scanTxn. Untouched rows commit; a row written after the
// scan aborts the whole batch (409 ABORTED, nothing applied); a counter
// incremented by many concurrent read-modify-write clients ends exact.

import { CELL_BLOCK_MIME_TYPE, encodeCellBlock } from '@kdi/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cell, TestServer } from './harness.js';

describe('row transactions', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await TestServer.start();
    await s.load('t', 't1', { upper: 'm' });
    await s.load('t', 't2', { lower: 'm' });
  });
  afterAll(async () => s.close());

  const read = async (row: string) => {
    const r = await s.call('POST', '/v1/tables/t/scan', { body: { predicate: `row = '${row}' and history = 1` } });
    expect(r.status, r.text).toBe(200);
    return { value: r.body.cells[0]?.value as string | undefined, scanTxn: r.body.scanTxn as number };
  };

  it('commits when the row is untouched since the scan, aborts after another write, applying nothing', async () => {
    await s.apply('t', [cell('acct', 'bal:', 1, '10')]);
    const { value, scanTxn } = await read('acct');
    expect(value).toBe('10');
    const ok = await s.call('POST', '/v1/tables/t/apply', { body: { cells: [cell('acct', 'bal:', 1, '11')], commitMaxTxn: scanTxn } });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.commitTxn).toBeGreaterThan(scanTxn);

    // The same stale read again: the row changed after scanTxn.
    const r = await s.expectRefused(
      () => s.call('POST', '/v1/tables/t/apply', { body: { cells: [cell('acct', 'bal:', 1, '99'), cell('zed', 'bal:', 1, '1')], commitMaxTxn: scanTxn } }),
      { status: 409, code: 'ABORTED', message: /changed at txn \d+, after commitMaxTxn/ },
      ['t'],
    );
    expect(r.body.error.details).toMatchObject({ row: 'acct', rowEncoding: 'utf8', cellIndex: 0, commitMaxTxn: scanTxn, rowTxn: ok.body.commitTxn });
    expect((await read('acct')).value).toBe('11');
    expect((await read('zed')).value).toBeUndefined();
  });

  it('aborts a batch spanning two tablets when a row in either changed', async () => {
    const { scanTxn } = await read('b');
    await s.apply('t', [cell('x', 'f:', 1, 'concurrent')]);
    await s.expectRefused(
      () => s.call('POST', '/v1/tables/t/apply', { body: { cells: [cell('b', 'f:', 1, 'mine'), cell('x', 'f:', 1, 'mine')], commitMaxTxn: scanTxn } }),
      { status: 409, code: 'ABORTED' },
      ['t'],
    );
    const ok = await s.call('POST', '/v1/tables/t/apply', { body: { cells: [cell('b', 'f:', 1, 'mine'), cell('y', 'f:', 1, 'mine')], commitMaxTxn: scanTxn } });
    expect(ok.status, ok.text).toBe(200);
  });

  it('works through the binary encoding: x-kdi-scan-txn in, commitMaxTxn in the query', async () => {
    const { reply } = await s.scanBinary('t', { predicate: "row = 'bin'" });
    const scanTxn = reply.headers['x-kdi-scan-txn'] as string;
    const block = Buffer.from(encodeCellBlock([{ row: Buffer.from('bin'), column: Buffer.from('f:'), timestamp: 1, value: Buffer.from('1') }]));
    const url = `/v1/tables/t/apply?commitMaxTxn=${scanTxn}`;
    expect((await s.call('POST', url, { body: block })).status).toBe(200);
    const again = await s.call('POST', url, { body: block });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ABORTED');
    expect(again.headers['content-type']).toMatch(/application\/json/);
    expect(CELL_BLOCK_MIME_TYPE).toBe('application/x-kdi-cells');
  });

  it('keeps a counter exact under concurrent read-modify-write clients retrying on ABORTED', async () => {
    const CLIENTS = 8;
    const INCREMENTS = 12;
    await s.apply('t', [cell('counter', 'n:', 0, '0')]);
    let aborts = 0;
    const client = async () => {
      for (let i = 0; i < INCREMENTS; i++) {
        for (;;) {
          const { value, scanTxn } = await read('counter');
          const next = String(Number(value) + 1);
          const r = await s.call('POST', '/v1/tables/t/apply', { body: { cells: [cell('counter', 'n:', 0, next)], commitMaxTxn: scanTxn } });
          if (r.status === 200) break;
          expect(r.body.error.code, r.text).toBe('ABORTED');
          aborts++;
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, client));
    expect((await read('counter')).value).toBe(String(CLIENTS * INCREMENTS));
    // Clients that read the same value must have collided; without the check the count would fall short.
    expect(aborts).toBeGreaterThan(0);
  });
});
