// POST /v1/tables/{t}/scan: pages, resume tokens, JSON and binary replies
// with the same cells, page caps, scans that start or continue elsewhere,
// and every bad input (4xx naming the problem, nothing stored changed).

import { CELL_BLOCK_MIME_TYPE, type JsonCell } from '@kdi/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cell, TestServer } from './harness.js';

const SCAN = '/v1/tables/t/scan';
const rows = (cells: JsonCell[]) => cells.map((c) => c.row);

describe('scan', () => {
  let s: TestServer;
  const data: JsonCell[] = [];
  beforeAll(async () => {
    s = await TestServer.start({ config: { scan: { maxPageCells: 50, maxPageBytes: 4096 } } });
    await s.load('t', 't1', { upper: 'k' });
    await s.load('t', 't2', { lower: 'k', upper: 'r' });
    await s.load('t', 't3', { lower: 'r' });
    for (let i = 0; i < 26; i++) {
      const row = String.fromCharCode(0x61 + i);
      for (let ts = 1; ts <= 3; ts++) data.push(cell(row, 'f:q', ts, `${row}${ts}`));
    }
    await s.apply('t', data);
    await s.call('POST', '/v1/admin/serialize', { body: {} });
    await s.apply('t', [cell('c', 'f:q', 4, 'c4'), cell('m', 'g:z', 1, 'm-g')]);
  });
  afterAll(async () => s.close());

  it('pages through every tablet in key order with resume tokens, never repeating or skipping', async () => {
    const whole = await s.scanAll('t', '', { maxCells: 1000 });
    expect(whole.pages).toBe(2); // capped at 50 cells per page
    for (const maxCells of [1, 2, 7]) {
      const paged = await s.scanAll('t', '', { maxCells });
      expect(paged.cells).toEqual(whole.cells);
      expect(paged.pages).toBe(Math.ceil(whole.cells.length / maxCells) + (whole.cells.length % maxCells === 0 ? 1 : 0));
    }
    expect(whole.cells.length).toBe(80);
    expect(whole.cells.slice(6, 10)).toEqual([cell('c', 'f:q', 4, 'c4'), cell('c', 'f:q', 3, 'c3'), cell('c', 'f:q', 2, 'c2'), cell('c', 'f:q', 1, 'c1')]);
  });

  it('bounds pages by bytes too', async () => {
    const r = await s.call('POST', SCAN, { body: { maxBytes: 100 } });
    expect(r.body.cells.length).toBeGreaterThan(0);
    expect(r.body.cells.length).toBeLessThan(10);
    expect(r.body.end).toBe(false);
    const paged = await s.scanAll('t', '', { maxBytes: 60 });
    expect(paged.cells).toEqual((await s.scanAll('t')).cells);
  });

  it('clamps maxCells and maxBytes to the server caps', async () => {
    const r = await s.call('POST', SCAN, { body: { maxCells: 1_000_000_000, maxBytes: 1_000_000_000_000 } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.cells.length).toBe(50);
  });

  it('applies the predicate, history included, across pages', async () => {
    const cases: Array<[string, (c: JsonCell) => boolean]> = [
      ["row ~= 'c'", (c) => c.row === 'c'],
      ["'j' <= row <= 'l' and history = 1", (c) => ['j', 'k', 'l'].includes(c.row) && c.timestamp === 3],
      ["history = -2 and row > 'x'", (c) => c.row > 'x' && c.timestamp === 1],
      ["column = 'g:z'", (c) => c.column === 'g:z'],
      ['time >= @3', (c) => c.timestamp >= 3],
    ];
    const all = (await s.scanAll('t')).cells;
    for (const [predicate, keep] of cases) {
      const expected = all.filter(keep).filter((c) => !(predicate.includes('history = 1') && c.row === 'c'));
      expect((await s.scanAll('t', predicate, { maxCells: 1 })).cells, predicate).toEqual(expected);
    }
  });

  it('takes the structured predicate, whose tokens work with the text form and back', async () => {
    const structured = { rows: [{ lower: { value: 'b', inclusive: true }, upper: { value: 'd', inclusive: false } }], history: 2 };
    const text = "'b' <= row < 'd' and history = 2";
    const first = await s.call('POST', SCAN, { body: { predicate: structured, maxCells: 3 } });
    expect(first.status, first.text).toBe(200);
    const rest = await s.call('POST', SCAN, { body: { predicate: text, resume: first.body.resume } });
    expect(rest.status, rest.text).toBe(200);
    expect([...first.body.cells, ...rest.body.cells].map((c: JsonCell) => `${c.row}${c.timestamp}`)).toEqual(['b3', 'b2', 'c4', 'c3']);
    const b64 = { rows: [{ lower: { value: Buffer.from('b').toString('base64'), inclusive: true }, upper: { value: 'ZA==', inclusive: false } }], history: 2 };
    const again = await s.call('POST', SCAN, { body: { predicate: b64, encoding: 'base64', resume: first.body.resume } });
    expect(again.status, again.text).toBe(200);
    expect(again.body.cells.map((c: JsonCell) => Buffer.from(c.row, 'base64').toString())).toEqual(['c']);
  });

  it('gives the same cells, scanTxn and tokens as a binary cell block', async () => {
    let resume: string | undefined;
    const json: JsonCell[] = [];
    const binary: JsonCell[] = [];
    for (;;) {
      const body = { maxCells: 13, ...(resume !== undefined && { resume }) };
      const j = await s.call('POST', SCAN, { body });
      const { reply, cells } = await s.scanBinary('t', body);
      json.push(...j.body.cells);
      binary.push(
        ...cells.map((c) => ({ row: Buffer.from(c.row).toString(), column: Buffer.from(c.column).toString(), timestamp: c.timestamp, value: Buffer.from(c.value!).toString() })),
      );
      expect(reply.headers['x-kdi-scan-txn']).toBe(String(j.body.scanTxn));
      expect(reply.headers['x-kdi-end']).toBe(String(j.body.end));
      expect(reply.headers['x-kdi-resume']).toBe(j.body.resume);
      if (j.body.end) break;
      resume = j.body.resume;
    }
    expect(binary).toEqual(json);
    expect(json).toEqual((await s.scanAll('t')).cells);
  });

  it('answers base64 when a cell is not UTF-8, and an empty scan ends at once', async () => {
    await s.apply('t', [{ row: Buffer.from([0x7a, 0xff]).toString('base64'), column: 'Zjpx', timestamp: 1, value: 'AA==' }], { encoding: 'base64' });
    const r = await s.call('POST', SCAN, { body: { predicate: "row > 'z'" } });
    expect(r.body).toEqual({ cells: [{ row: 'ev8=', column: 'Zjpx', timestamp: 1, value: 'AA==' }], encoding: 'base64', scanTxn: expect.any(Number), end: true });
    const none = await s.call('POST', SCAN, { body: { predicate: "'b' < row < 'b\\x00'" } });
    expect(none.body).toEqual({ cells: [], encoding: 'utf8', scanTxn: s.server.currentTxn, end: true });
  });

  describe('refuses, changing nothing', () => {
    const refuse = (body: unknown, message: RegExp, opts: { url?: string; status?: number; code?: string; headers?: Record<string, string> } = {}) =>
      s.expectRefused(
        () => s.call('POST', opts.url ?? SCAN, { body, ...(opts.headers && { headers: opts.headers }) }),
        {
          status: opts.status ?? 400,
          code: opts.code ?? 'INVALID_ARGUMENT',
          message,
        },
        ['t'],
      );

    it('bad predicates, naming the position', async () => {
      const r = await refuse({ predicate: "row = 'a' and" }, /body\.predicate: bad predicate: at position 13: expected/);
      expect(r.body.error.details).toMatchObject({ position: 13, field: 'body.predicate' });
      await refuse({ predicate: "row = 'a" }, /at position/);
      await refuse({ predicate: "'a' < row" }, /must be two-sided/);
      await refuse({ predicate: 'history = 0' }, /at position/);
      await refuse({ predicate: "row = 'a' and row = 'b'" }, /at position/);
      await refuse({ predicate: { rows: [] } }, /body\.predicate\.rows is an empty list/);
      await refuse({ predicate: { rows: [{}] } }, /neither a lower nor an upper bound/);
      await refuse({ predicate: { history: 0 } }, /history must not be 0/);
      await refuse({ predicate: { rows: [{ lower: { value: 'a' } }] } }, /body\.predicate/);
      await refuse({ predicate: { rowz: [] } }, /body\.predicate/);
      await refuse({ predicate: { rows: [{ lower: { value: '!!', inclusive: true } }] }, encoding: 'base64' }, /body\.predicate\.rows\[0\]\.lower\.value is not valid base64/);
      await refuse({ predicate: 42 }, /body\.predicate/);
    });

    it('bad resume tokens', async () => {
      const first = await s.call('POST', SCAN, { body: { predicate: "row ~= 'c'", maxCells: 1 } });
      const token = first.body.resume as string;
      await refuse({ predicate: "row ~= 'c'", resume: `${token}!` }, /resume token is not valid: "!"/);
      await refuse({ predicate: "row ~= 'c'", resume: token.slice(0, -4) }, /resume token is not valid/);
      await refuse({ predicate: "row ~= 'd'", resume: token }, /another predicate or table/);
      await refuse({ predicate: "row ~= 'c'", resume: '' }, /resume token is not valid: it is 0 bytes/);
      await refuse({ predicate: "row ~= 'c'", resume: 'x'.repeat(70_000) }, /body\.resume/);
    });

    it('bad fields, page sizes, JSON and tables', async () => {
      await refuse({ predicate: '', maxCells: 0 }, /body\.maxCells: Too small/);
      await refuse({ maxBytes: -1 }, /body\.maxBytes/);
      await refuse({ maxCells: 1.5 }, /body\.maxCells/);
      await refuse({ limit: 5 }, /body: unknown field "limit"/);
      await refuse({ encoding: 'latin1' }, /body\.encoding/);
      await refuse('{', /not valid JSON/);
      await refuse({}, /url\.table/, { url: '/v1/tables/a%2Fb/scan' });
      await refuse({}, /query: unknown field "x"/, { url: `${SCAN}?x=1` });
      await refuse(Buffer.from('KDIC'), /unsupported Content-Type|body/);
      const unknown = await refuse({}, /no tablet of table nosuch/, { url: '/v1/tables/nosuch/scan', status: 421, code: 'WRONG_TABLET' });
      expect(unknown.body.error.details).toMatchObject({ table: 'nosuch', row: '', rowEncoding: 'utf8' });
    });
  });
});

describe('a scan that crosses into rows served elsewhere', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    [a, b] = await Promise.all([TestServer.start(), TestServer.start()]);
    // Table t: ('', 'f'] and ('p', …) on a, ('f', 'p'] on b.
    await a.load('t', 'a1', { upper: 'f' });
    await a.load('t', 'a2', { lower: 'p' });
    await b.load('t', 'b1', { lower: 'f', upper: 'p' });
    const rowsOf = (from: string, to: string) => [...'abcdefghijklmnopqrstuvwxyz'].filter((r) => r > from && (to === '' || r <= to));
    await a.apply(
      't',
      [...rowsOf('', 'f'), ...rowsOf('p', '')].map((r) => cell(r, 'f:q', 1, r)),
    );
    await b.apply(
      't',
      rowsOf('f', 'p').map((r) => cell(r, 'f:q', 1, r)),
    );
  });
  afterAll(async () => Promise.all([a.close(), b.close()]));

  /** Follows resume tokens and nextRow hints like the SDK: nextRow 'f\0'..'p' → b, else a. */
  async function scanAcross(predicate: string, maxCells: number): Promise<{ rows: string[]; hops: number }> {
    const out: string[] = [];
    let resume: string | undefined;
    let server = a;
    let hops = 0;
    for (;;) {
      const r = await server.call('POST', '/v1/tables/t/scan', { body: { predicate, maxCells, ...(resume !== undefined && { resume }) } });
      if (r.status === 421) {
        // The SDK would ask the master; here the other server is the answer.
        expect(r.body.error.code).toBe('WRONG_TABLET');
        server = server === a ? b : a;
        hops++;
        continue;
      }
      expect(r.status, r.text).toBe(200);
      out.push(...rows(r.body.cells));
      if (r.body.end) return { rows: out, hops };
      resume = r.body.resume;
      if (r.body.nextRow !== undefined) {
        const next = r.body.nextRow as string;
        server = next > 'f' && next <= 'p' ? b : a;
        hops++;
      }
    }
  }

  it('ends the page at the boundary with nextRow, and the token continues on the other server', async () => {
    const first = await a.call('POST', '/v1/tables/t/scan', { body: {} });
    expect(first.body).toMatchObject({ end: false, nextRow: 'f\u0000' });
    expect(rows(first.body.cells)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    const onB = await b.call('POST', '/v1/tables/t/scan', { body: { resume: first.body.resume } });
    expect(rows(onB.body.cells)).toEqual([...'ghijklmnop']);
    expect(onB.body).toMatchObject({ end: false, nextRow: 'p\u0000' });
    const wrong = await b.call('POST', '/v1/tables/t/scan', { body: { resume: onB.body.resume } });
    expect(wrong.status).toBe(421);
    expect(wrong.body.error.details).toMatchObject({ table: 't', row: 'p\u0000' });
    const back = await a.call('POST', '/v1/tables/t/scan', { body: { resume: onB.body.resume } });
    expect(rows(back.body.cells)).toEqual([...'qrstuvwxyz']);
    expect(back.body.end).toBe(true);
  });

  it('returns every row once whatever the page size, and skips servers the predicate does not need', async () => {
    for (const maxCells of [1, 3, 100]) expect((await scanAcross('', maxCells)).rows).toEqual([...'abcdefghijklmnopqrstuvwxyz']);
    expect(await scanAcross("row <= 'c' or row >= 'x'", 100)).toEqual({ rows: ['a', 'b', 'c', 'x', 'y', 'z'], hops: 0 });
    expect(await scanAcross("row ~= 'k'", 100)).toEqual({ rows: ['k'], hops: 1 });
  });

  it('names the nextRow as base64 in binary replies', async () => {
    const { reply, cells } = await a.scanBinary('t', {});
    expect(cells.length).toBe(6);
    expect(Buffer.from(reply.headers['x-kdi-next-row'] as string, 'base64')).toEqual(Buffer.from('f\0'));
    expect(reply.headers['content-type']).toBe(CELL_BLOCK_MIME_TYPE);
  });
});
