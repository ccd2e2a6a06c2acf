// JSON bodies must be UTF-8: an invalid sequence inside a string (ff fe in a
// row, an overlong c0 80 in a value) used to be stored as U+FFFD, changing
// the data silently. It is 400 INVALID_ARGUMENT naming the field and the
// byte offset and saying to use "encoding":"base64"; nothing is written.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cell, TestServer } from './harness.js';

const json = (...parts: (string | number[])[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

describe('invalid UTF-8 in JSON bodies', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await TestServer.start();
    await s.load('u', 'u1');
    await s.apply('u', [cell('kept', 'f:', 1, 'x')]);
  });
  afterAll(async () => s.close());

  const send = (url: string, body: Buffer, contentType = 'application/json') => s.call('POST', url, { body, headers: { 'content-type': contentType } });

  it('refuses ff fe in a row and c0 80 in a value, naming the cell and the byte, and stores nothing', async () => {
    const cases: Array<[Buffer, RegExp]> = [
      [
        json('{"cells":[{"row":"ok","column":"f:","timestamp":1,"value":"v"},{"row":"a', [0xff, 0xfe], '","column":"f:","timestamp":1,"value":"v"}]}'),
        /^body\.cells\[1\]\.row: invalid UTF-8 at byte 72 of the body \(ff fe .*"encoding":"base64"/,
      ],
      [json('{"cells":[{"row":"r","column":"f:","timestamp":1,"value":"', [0xc0, 0x80], '"}]}'), /^body\.cells\[0\]\.value: invalid UTF-8 at byte \d+ .*\(c0 80/],
      [json('{"cells":[{"row":"r","column":"f:', [0xed, 0xa0, 0x80], '","timestamp":1,"erase":true}]}'), /^body\.cells\[0\]\.column: .*\(ed a0 80/],
    ];
    for (const [body, message] of cases) {
      for (const contentType of ['application/json', 'application/json; charset=utf-8']) {
        const r = await s.expectRefused(() => send('/v1/tables/u/apply', body, contentType), { status: 400, code: 'INVALID_ARGUMENT', message }, ['u']);
        expect(r.body.error.details).toMatchObject({ field: expect.stringMatching(/^body\.cells\[\d\]\./), byteOffset: expect.any(Number) });
      }
    }
    expect((await s.scanAll('u')).cells).toEqual([cell('kept', 'f:', 1, 'x')]);
  });

  it('refuses it in a predicate and in a load bound', async () => {
    const scan = await send('/v1/tables/u/scan', json('{"predicate":"row = \'', [0xff], '\'"}'));
    expect(scan.status, scan.text).toBe(400);
    expect(scan.body.error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^body\.predicate: invalid UTF-8/) });
    const load = await s.call('POST', '/v1/admin/tablets', {
      body: json('{"table":"u2","tabletId":"u2a","upperInclusive":"m', [0x80], '"}'),
      headers: { 'content-type': 'application/json' },
    });
    expect(load.status, load.text).toBe(400);
    expect(load.body.error.message).toMatch(/^body\.upperInclusive: invalid UTF-8/);
    expect(s.server.tablets('u2')).toEqual([]);
  });

  it('keeps valid UTF-8 byte for byte, and base64 carries the bytes that are not text', async () => {
    await s.apply('u', [cell('é€😀', 'f:', 2, '\u{10ffff}')]);
    const sent = Buffer.from([0x61, 0xff, 0xfe]);
    const ok = await s.call('POST', '/v1/tables/u/apply', {
      body: { encoding: 'base64', cells: [{ row: sent.toString('base64'), column: 'Zjo=', timestamp: 3, value: Buffer.from([0xc0, 0x80]).toString('base64') }] },
    });
    expect(ok.status, ok.text).toBe(200);
    const page = await s.call('POST', '/v1/tables/u/scan', { body: { encoding: 'base64' } });
    const rows = (page.body.cells as { row: string; value: string }[]).map((c) => [Buffer.from(c.row, 'base64').toString('hex'), Buffer.from(c.value, 'base64').toString('hex')]);
    expect(rows).toEqual([
      ['61fffe', 'c080'],
      [Buffer.from('kept').toString('hex'), '78'],
      [Buffer.from('é€😀').toString('hex'), Buffer.from('\u{10ffff}').toString('hex')],
    ]);
  });

  it('still answers malformed and empty JSON as before', async () => {
    const bad = await send('/v1/tables/u/scan', json('{"predicate":'));
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_ARGUMENT');
    const empty = await send('/v1/tables/u/scan', json(''));
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe('INVALID_ARGUMENT');
  });
});
