// Structured predicates: bounded like the text form (a body of 400k
// intervals used to block the event loop for seconds and take 700 MiB),
// and their errors name the field and what to send instead of the union's
// bare "body.predicate: Invalid input".

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PREDICATE_BODY_BYTES, MAX_PREDICATE_BOUND_CHARS, MAX_PREDICATE_INTERVALS, MAX_PREDICATE_TEXT } from '@kdi/protocol';
import { cell, TestServer } from './harness.js';

describe('structured predicates', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await TestServer.start();
    await s.load('p', 'p1');
    await s.apply('p', [cell('a', 'f:', 1, 'x'), cell('b', 'f:', 1, 'y')]);
  });
  afterAll(async () => s.close());

  const scan = (predicate: unknown) => s.call('POST', '/v1/tables/p/scan', { body: { predicate } });
  const stat = (predicate: unknown) => s.call('POST', '/v1/tables/p/stat', { body: { predicate } });
  const refused = async (predicate: unknown, message: RegExp) => {
    for (const call of [scan, stat]) {
      const r = await call(predicate);
      expect(r.status, r.text).toBe(400);
      expect(r.body.error.code).toBe('INVALID_ARGUMENT');
      expect(r.body.error.message).toMatch(message);
      expect(r.body.error.message).not.toMatch(/Invalid input$/);
    }
  };
  const point = (i: number) => ({ lower: { value: `r${i}`, inclusive: true }, upper: { value: `r${i}`, inclusive: true } });

  it('accepts up to the interval limit and refuses one more, per field and in total', async () => {
    const atLimit = [
      ...Array.from({ length: MAX_PREDICATE_INTERVALS - 1 }, (_, i) => point(i)),
      { lower: { value: 'a', inclusive: true }, upper: { value: 'a', inclusive: true } },
    ];
    expect(atLimit).toHaveLength(MAX_PREDICATE_INTERVALS);
    const ok = await scan({ rows: atLimit });
    expect(ok.status, ok.text.slice(0, 300)).toBe(200);
    expect(ok.body.cells.map((c: { row: string }) => c.row)).toEqual(['a']);
    await refused(
      { rows: Array.from({ length: MAX_PREDICATE_INTERVALS + 1 }, (_, i) => point(i)) },
      /^body\.predicate: has 10001 intervals over rows, columns and times; the limit is 10000: merge them or scan in parts$/,
    );
    const third = Math.ceil((MAX_PREDICATE_INTERVALS + 1) / 3);
    const time = (i: number) => ({ lower: { value: i, inclusive: true } });
    await refused(
      {
        rows: Array.from({ length: third }, (_, i) => point(i)),
        columns: Array.from({ length: third }, (_, i) => point(i)),
        times: Array.from({ length: third }, (_, i) => time(i)),
      },
      new RegExp(`^body\\.predicate: has ${3 * third} intervals over rows, columns and times; the limit is 10000`),
    );
  });

  it('refuses bounds of more than 1 MiB in total, and text of more than 1 MiB', async () => {
    const big = 'x'.repeat(4000);
    const count = Math.floor(MAX_PREDICATE_BOUND_CHARS / 4000 / 2) + 1;
    await refused(
      { rows: Array.from({ length: count }, (_, i) => ({ lower: { value: `${i}${big}`, inclusive: true }, upper: { value: `${i}${big}z`, inclusive: true } })) },
      /^body\.predicate: row and column bounds total \d+ characters; the limit is 1048576/,
    );
    await refused(`row = '${'a'.repeat(MAX_PREDICATE_TEXT)}'`, /^body\.predicate: predicate text is longer than 1048576 characters/);
  });

  it('refuses a body of more than 8 MiB before parsing it', async () => {
    const body = JSON.stringify({ predicate: ' '.repeat(MAX_PREDICATE_BODY_BYTES) });
    for (const url of ['/v1/tables/p/scan', '/v1/tables/p/stat', '/v1/scanners']) {
      const r = await s.call('POST', url, { body: url === '/v1/scanners' ? body.replace('{', '{"table":"p",') : body });
      expect(r.status, r.text.slice(0, 200)).toBe(400);
      expect(r.body.error).toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/^the body is \d+ bytes; \/v1\/(tables\/:table\/(scan|stat)|scanners) accepts at most 8388608 bytes of JSON$/),
        details: { limit: MAX_PREDICATE_BODY_BYTES },
      });
    }
  });

  it('names the field inside the structure and what to send', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ rows: [{ lower: 'a' }] }, /^body\.predicate: rows\[0\]\.lower: expected a bound \{"value": …, "inclusive": true\|false\}$/],
      [{ rows: [point(0), { lower: { value: 'a' } }] }, /^body\.predicate: rows\[1\]\.lower\.inclusive: expected true or false$/],
      [{ columns: [{ upper: { value: 7, inclusive: true } }] }, /^body\.predicate: columns\[0\]\.upper\.value: expected the bytes as a string/],
      [{ times: [{ lower: { value: 'yesterday', inclusive: true } }] }, /^body\.predicate: times\[0\]\.lower\.value: expected an integer number of microseconds/],
      [{ rows: 'a' }, /^body\.predicate: rows: expected a list of intervals/],
      [{ rows: ['a'] }, /^body\.predicate: rows\[0\]: expected an interval \{"lower"\?/],
      [{ history: 0 }, /^body\.predicate\.history: history must not be 0/],
      [{ rowz: [] }, /^body\.predicate: .*rowz/],
      [5, /^body\.predicate: expected predicate text \(a string, e\.g\. "row ~= 'com\.foo'"\) or the parsed structure \{"rows"\?.*received number$/],
      [['row'], /^body\.predicate: expected predicate text .*received a list$/],
      [null, /^body\.predicate: expected predicate text .*received null$/],
    ];
    for (const [predicate, message] of cases) await refused(predicate, message);
  });
});
