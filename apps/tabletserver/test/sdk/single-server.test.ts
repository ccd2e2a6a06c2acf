// The table SDK against one tablet server outside a cluster (in-process,
// listening on 127.0.0.1): single-server mode, binary values both ways,
// erasures, sync after non-durable applies, stat, the writer, and typed
// errors carrying the server's requestId. connect() without single-server
// mode refuses such a server with the reason (no META outside a cluster).

import { connect, type KdiClient } from '@kdi/client-sdk';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestServer } from '../harness.js';

let ts: TestServer;
let url: string;
let kdi: KdiClient;

beforeAll(async () => {
  ts = await TestServer.start();
  await ts.load('t', 't-1');
  url = await ts.app.listen({ port: 0, host: '127.0.0.1' });
  kdi = await connect({ servers: [url], singleServer: true });
});
afterAll(async () => {
  await kdi?.close();
  await ts?.close();
});

const bytes = (b: Uint8Array | null) => (b === null ? null : [...b]);

it('writes and reads bytes that are not text, erases, syncs and stats', async () => {
  const t = kdi.table('t');
  const row = Buffer.from([0x00, 0xff, 0xfe]);
  await t.apply([{ row, column: 'f:bin', timestamp: 5, value: Buffer.from([0xc0, 0x80]) }]);
  expect((await t.get(row)).map((c) => bytes(c.value))).toEqual([[0xc0, 0x80]]);
  const r = await t.apply([{ row: 'a', column: 'f:q', timestamp: 1, value: 'one' }], { waitForSync: false });
  await t.sync();
  expect(r.parts).toHaveLength(1);
  await t.erase(row, 'f:bin', 5);
  expect(await t.get(row)).toEqual([]);
  const rows: string[] = [];
  for await (const c of t.scan("row >= 'a'")) rows.push(Buffer.from(c.row).toString());
  expect(rows).toEqual(['a']);
  const stat = await t.stat();
  expect(stat.cells).toBeGreaterThanOrEqual(1);
});

it('writes through the writer and reads back in pages', async () => {
  const t = kdi.table('t');
  const w = t.writer({ maxBytes: 4096, flushIntervalMs: 5 });
  for (let i = 0; i < 2000; i++) await w.set(`w${String(i).padStart(5, '0')}`, 'f:q', `v${i}`, 1);
  await w.close();
  let n = 0;
  for await (const page of t.scanPages("row ~= 'w'", { pageCells: 300 })) {
    expect(page.cells.length).toBeLessThanOrEqual(300);
    n += page.cells.length;
  }
  expect(n).toBe(2000);
});

it('asks for the next page ahead; a caller that stops early cancels it and the client goes on', async () => {
  const t = kdi.table('t');
  await t.apply(Array.from({ length: 50 }, (_, i) => ({ row: `ahead${String(i).padStart(3, '0')}`, column: 'f:q', timestamp: 1, value: `v${i}` })));
  const seen: string[] = [];
  for await (const page of t.scanPages("row ~= 'ahead'", { pageCells: 7 })) {
    seen.push(...page.cells.map((c) => Buffer.from(c.row).toString()));
    if (seen.length >= 14) break;
  }
  expect(seen).toHaveLength(14);
  let all = 0;
  for await (const page of t.scanPages("row ~= 'ahead'", { pageCells: 7 })) all += page.cells.length;
  expect(all).toBe(50);
});

it('surfaces server refusals as KdiError with code, retryable and requestId, and local mistakes before sending', async () => {
  const t = kdi.table('t');
  const e = await t.apply([{ row: 'x'.repeat(5000), column: 'f:q', value: 'v' }]).catch((x: unknown) => x);
  expect(e).toMatchObject({ code: 'INVALID_ARGUMENT', retryable: false });
  expect((e as { requestId?: string }).requestId).toMatch(/./);
  await expect(t.apply([{ row: 'a', column: 'f:q' }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('cells[0]') });
  await expect(t.get('a', { columns: ['f:q'], history: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  await expect(
    (async () => {
      for await (const _ of t.scan('row = ')) void _;
    })(),
  ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('predicate') });
  expect(() => kdi.table('bad/name')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  await expect(kdi.table('missing').get('a')).rejects.toMatchObject({ code: 'WRONG_TABLET' });
});

it('connect without single-server mode refuses a server outside a cluster, saying why', async () => {
  await expect(connect({ servers: [url], timeoutMs: 2000 })).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringContaining('not in a cluster') });
});
