// The table SDK (libs/client-sdk, DESIGN §12) against real processes: a
// lock server, three tablet servers, a table of four tablets spread over
// them, and a FakeMaster moving and splitting tablets.
//
//  - 100k cells through the buffered writer, scanned back page by page
//    while tablets split (one of them the tablet being read) and tablets
//    are unloaded and loaded on other servers: every cell exactly once, in
//    order;
//  - WRONG_TABLET after a move is followed transparently;
//  - AbortSignal and deadlines end calls with CANCELLED / DEADLINE_EXCEEDED;
//  - eight clients doing read-modify-write on one counter keep it exact.

import { connect, TabletServerClient, type KdiClient } from '@kdi/client-sdk';
import { isKdiError, type KdiError } from '@kdi/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SdkCluster } from './sdk-cluster.js';

const TABLE = 'web';
const N = 100_000;
const rowOf = (i: number) => `r${String(i).padStart(6, '0')}`;
const text = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString('utf8'));

let cluster: SdkCluster;
let kdi: KdiClient;

beforeAll(async () => {
  cluster = await SdkCluster.start(3);
  await cluster.createTable(TABLE, [
    { id: 'w0', upper: rowOf(25_000), server: 0 },
    { id: 'w1', lower: rowOf(25_000), upper: rowOf(50_000), server: 1 },
    { id: 'w2', lower: rowOf(50_000), upper: rowOf(75_000), server: 2 },
    { id: 'w3', lower: rowOf(75_000), server: 1 },
  ]);
  // Bootstrap from a server that does not serve META: it reads the root.
  kdi = await connect({ servers: [cluster.urls[2]!], timeoutMs: 60_000 });
}, 120_000);

afterAll(async () => {
  await kdi?.close();
  await cluster?.close();
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (!isKdiError(e)) throw e;
    return (e as KdiError).code;
  }
  return 'OK';
}

describe('the table SDK on a three-server cluster', () => {
  it('writes 100k cells through the writer and scans each back exactly once while tablets split and move', async () => {
    const t = kdi.table(TABLE);
    const w = t.writer({ maxBytes: 64 * 1024, maxInFlight: 4, flushIntervalMs: 20 });
    for (let i = 0; i < N; i += 500) {
      await w.add(Array.from({ length: 500 }, (_, j) => ({ row: rowOf(i + j), column: 'f:q', timestamp: 1, value: `v${i + j}` })));
    }
    await w.close();
    expect(w.written).toBe(N);

    const [s0, s1, s2] = cluster.servers as [(typeof cluster.servers)[0], (typeof cluster.servers)[0], (typeof cluster.servers)[0]];
    const seen = new Uint8Array(N);
    let previous = '';
    let pages = 0;
    for await (const page of t.scanPages(`row >= '${rowOf(0)}'`, { pageCells: 1000 })) {
      for (const c of page.cells) {
        const row = text(c.row)!;
        expect(row > previous, `${row} after ${previous}`).toBe(true);
        previous = row;
        const i = Number(row.slice(1));
        expect(text(c.value)).toBe(`v${i}`);
        seen[i]!++;
      }
      pages++;
      // Changes ahead of the scan, and under it.
      if (pages === 10) await cluster.split(s1, 'w1', rowOf(40_000), 'w1lo', 'w1hi');
      if (pages === 20) await cluster.move(TABLE, 'w2', rowOf(75_000), s2, s0, 'w2b');
      if (pages === 45) await cluster.split(s1, 'w1hi', rowOf(47_000), 'w1hia', 'w1hib'); // the tablet being read
      if (pages === 60) await cluster.move(TABLE, 'w2b', rowOf(75_000), s0, s2, 'w2c'); // the tablet being read
    }
    expect(pages).toBeGreaterThan(60);
    const missing = [...seen.keys()].filter((i) => seen[i] === 0);
    const twice = [...seen.keys()].filter((i) => seen[i]! > 1);
    expect(missing.slice(0, 5), `${missing.length} rows missing`).toEqual([]);
    expect(twice.slice(0, 5), `${twice.length} rows returned twice`).toEqual([]);

    // The writer's cells are durable and readable one by one, and stat sums every server.
    expect((await t.get(rowOf(47_001))).map((c) => text(c.value))).toEqual(['v47001']);
    const stat = await t.stat();
    expect(stat.tablets.length).toBeGreaterThanOrEqual(6);
  });

  it('follows WRONG_TABLET after a tablet moves, for writes and reads', async () => {
    const t = kdi.table(TABLE);
    await t.set('zz-1', 'f:q', 'before', { timestamp: 1 }); // caches w3 on ts-1
    const [, s1, s2] = cluster.servers;
    await cluster.move(TABLE, 'w3', undefined, s1!, s2!, 'w3b');
    // What the SDK meets at the old server: WRONG_TABLET with META's location hint.
    const old = new TabletServerClient({ url: s1!.url });
    try {
      await expect(old.apply(TABLE, [{ row: 'zz-0', column: 'f:q', timestamp: 1, value: 'x' }])).rejects.toMatchObject({
        code: 'WRONG_TABLET',
        details: { row: 'zz-0', locationHint: { serverId: 'ts-2', url: s2!.url } },
      });
    } finally {
      await old.close();
    }
    const r = await t.set('zz-2', 'f:q', 'after', { timestamp: 1 });
    expect(r.parts.map((p) => p.serverId)).toEqual(['ts-2']);
    const cells = [];
    for await (const c of t.scan("row ~= 'zz-'")) cells.push(`${text(c.row)}=${text(c.value)}`);
    expect(cells).toEqual(['zz-1=before', 'zz-2=after']);
  });

  it('ends calls with CANCELLED or DEADLINE_EXCEEDED when the signal aborts or the deadline passes', async () => {
    // A tablet META places on a server nobody listens on: every attempt is refused and retried.
    const meta = await cluster.master.meta();
    const { txn } = await meta.readTablet('ghost', undefined);
    await meta.writeTablet(
      {
        table: 'ghost',
        lowerExclusive: undefined,
        upperInclusive: undefined,
        location: { serverId: 'nobody', url: 'http://127.0.0.1:9', epoch: 1 },
        logs: [],
        fragments: {},
        state: undefined,
      },
      undefined,
      txn,
    );
    const ghost = kdi.table('ghost');
    expect(await codeOf(ghost.get('x', { timeoutMs: 300 }))).toBe('DEADLINE_EXCEEDED');
    expect(await codeOf(ghost.set('x', 'f:q', 'v', { timeoutMs: 300 }))).toBe('DEADLINE_EXCEEDED');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    expect(await codeOf(ghost.apply([{ row: 'x', column: 'f:q', value: 'v' }], { signal: controller.signal }))).toBe('CANCELLED');
    expect(await codeOf(kdi.table(TABLE).get('r000001', { signal: AbortSignal.abort() }))).toBe('CANCELLED');
    const scan = (async () => {
      for await (const _ of ghost.scan(undefined, { timeoutMs: 300 })) void _;
    })();
    expect(await codeOf(scan)).toBe('DEADLINE_EXCEEDED');
    const w = ghost.writer({ timeoutMs: 300 });
    await w.add({ row: 'x', column: 'f:q', value: 'v' });
    expect(await codeOf(w.flush())).toBe('DEADLINE_EXCEEDED');
    expect(await codeOf(w.add({ row: 'y', column: 'f:q', value: 'v' }))).toBe('DEADLINE_EXCEEDED');
    // A table META does not know is NOT_FOUND at once, not retried.
    expect(await codeOf(kdi.table('no-such-table').get('x'))).toBe('NOT_FOUND');
  });

  it('keeps a counter exact under eight concurrent read-modify-write clients', async () => {
    const CLIENTS = 8;
    const EACH = 15;
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connect({ servers: cluster.urls, timeoutMs: 60_000 })));
    try {
      await Promise.all(
        clients.map(async (c) => {
          const t = c.table(TABLE);
          for (let i = 0; i < EACH; i++) {
            await t.readModifyWrite('counter', (cells) => {
              const now = cells.length === 0 ? 0 : Number(text(cells[0]!.value));
              return [{ row: 'counter', column: 'f:n', timestamp: 1, value: String(now + 1) }];
            });
          }
        }),
      );
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
    expect((await kdi.table(TABLE).get('counter')).map((c) => text(c.value))).toEqual([String(CLIENTS * EACH)]);
  });
});
