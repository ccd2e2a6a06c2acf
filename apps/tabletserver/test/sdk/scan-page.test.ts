// Table.scanPage (libs/client-sdk, DESIGN §4, §12) against real processes:
// a table of three tablets on two servers, read page by page with a small
// maxCells where each page is asked with nothing but the previous page's
// token — alternately by two clients, as two gateways would — while a
// tablet splits and another moves between pages. Every cell comes back
// exactly once, in order; a token from another predicate or a mangled one
// is INVALID_ARGUMENT naming resume.

import { connect, type KdiClient } from '@kdi/client-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SdkCluster } from './sdk-cluster.js';

const TABLE = 'pages';
const N = 600;
const rowOf = (i: number) => `p${String(i).padStart(4, '0')}`;
const text = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString('utf8'));

let cluster: SdkCluster;
let clients: KdiClient[] = [];

beforeAll(async () => {
  cluster = await SdkCluster.start(2);
  await cluster.createTable(TABLE, [
    { id: 'p0', upper: rowOf(200), server: 0 },
    { id: 'p1', lower: rowOf(200), upper: rowOf(400), server: 1 },
    { id: 'p2', lower: rowOf(400), server: 0 },
  ]);
  clients = await Promise.all([connect({ servers: [cluster.urls[0]!], timeoutMs: 60_000 }), connect({ servers: [cluster.urls[1]!], timeoutMs: 60_000 })]);
  await clients[0]!.table(TABLE).apply(Array.from({ length: N }, (_, i) => ({ row: rowOf(i), column: 'f:q', timestamp: 1, value: `v${i}` })));
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await cluster?.close();
});

describe('Table.scanPage', () => {
  it('pages across tablets on two servers from tokens alone, through a split and a move between pages, each cell once', async () => {
    const [s0, s1] = cluster.servers as [(typeof cluster.servers)[0], (typeof cluster.servers)[0]];
    const seen = new Uint8Array(N);
    const servers = new Set<string>();
    let previous = '';
    let resume: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await clients[pages % 2]!.table(TABLE).scanPage(undefined, { resume, maxCells: 17 });
      for (const c of page.cells) {
        const row = text(c.row)!;
        expect(row > previous, `${row} after ${previous}`).toBe(true);
        previous = row;
        const i = Number(row.slice(1));
        expect(text(c.value)).toBe(`v${i}`);
        seen[i]!++;
      }
      servers.add(page.url);
      pages++;
      if (page.end) {
        expect(page.resume).toBeUndefined();
        break;
      }
      expect(page.resume).toMatch(/^[A-Za-z0-9_-]+$/);
      resume = page.resume;
      // Between pages: the tablet being read splits (the token's row is now in one half), then the next tablet moves.
      if (pages === 3) await cluster.split(s0, 'p0', rowOf(100), 'p0lo', 'p0hi');
      if (pages === 5) await cluster.move(TABLE, 'p1', rowOf(400), s1, s0, 'p1b');
      if (pages === 20) await cluster.move(TABLE, 'p1b', rowOf(400), s0, s1, 'p1c'); // the tablet being read
    }
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(N / 17));
    expect([...servers].sort()).toEqual([...cluster.urls].sort());
    const missing = [...seen.keys()].filter((i) => seen[i] === 0);
    const twice = [...seen.keys()].filter((i) => seen[i]! > 1);
    expect(missing, 'rows missing').toEqual([]);
    expect(twice, 'rows returned twice').toEqual([]);
  });

  it('binds a token to its predicate, refuses a mangled one, and ends a bounded scan with no token', async () => {
    const t = clients[0]!.table(TABLE);
    const first = await t.scanPage(`row >= '${rowOf(390)}'`, { maxCells: 5 });
    expect(first.cells.map((c) => text(c.row))).toEqual([390, 391, 392, 393, 394].map(rowOf));
    await expect(t.scanPage(`row >= '${rowOf(391)}'`, { resume: first.resume })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { field: 'resume' },
      message: expect.stringMatching(/another predicate/),
    });
    await expect(t.scanPage(`row >= '${rowOf(390)}'`, { resume: `${first.resume!}!` })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'resume' } });
    // The same predicate in its structured form is the same scan.
    const next = await t.scanPage({ rows: [{ lower: { value: Buffer.from(rowOf(390)), inclusive: true } }] }, { resume: first.resume, maxCells: 5 });
    expect(next.cells.map((c) => text(c.row))).toEqual([395, 396, 397, 398, 399].map(rowOf));
    const small = await t.scanPage(`'${rowOf(10)}' <= row < '${rowOf(13)}'`);
    expect([small.cells.length, small.end, small.resume]).toEqual([3, true, undefined]);
  });
});
