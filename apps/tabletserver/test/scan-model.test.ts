// Scans compared with a model (the protocol's reference evaluator over the
// cells written): pages of random sizes, JSON and binary pages mixed, with
// splits, compactions and serializations between pages, a restart between
// pages, and an automatic split. Every scan must return exactly the
// model's cells — none twice, none skipped.

import { decodeCellBlock, NO_LIMITS, CELL_BLOCK_MIME_TYPE, type JsonCell } from '@kdi/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer } from './harness.js';
import { prng, randomBatch, TableModel } from './model.js';

const PREDICATES = [
  '',
  "row ~= 'r1'",
  "'r05' <= row < 'r40'",
  "column = 'f:1' or column >= 'g:'",
  'history = 1',
  'history = -1',
  'time >= @3 and history = 2',
  "'r02' < row <= 'r55' and time <= @4 and history = 1",
];

async function fill(s: TestServer, model: TableModel, seed: number, batches: number): Promise<void> {
  const rand = prng(seed);
  const written: JsonCell[] = [];
  for (let i = 0; i < batches; i++) {
    const batch = randomBatch(rand, 40, written);
    await s.apply('m', batch, { waitForSync: false });
    model.apply(batch);
    written.push(...batch.filter((c) => 'value' in c));
    // Spread the data over memory and several disk fragments per tablet.
    if (i % 3 === 2) expect((await s.call('POST', '/v1/admin/serialize', { body: {} })).status).toBe(200);
  }
}

/** One page, JSON or binary, as JSON cells plus the page facts. */
async function page(s: TestServer, body: Record<string, unknown>, binary: boolean): Promise<{ cells: JsonCell[]; end: boolean; resume?: string }> {
  if (!binary) {
    const r = await s.call('POST', '/v1/tables/m/scan', { body });
    expect(r.status, r.text).toBe(200);
    expect(r.body.nextRow).toBeUndefined();
    return r.body;
  }
  const r = await s.call('POST', '/v1/tables/m/scan', { body, headers: { accept: CELL_BLOCK_MIME_TYPE } });
  expect(r.status, r.text).toBe(200);
  const cells = decodeCellBlock(r.raw, { limits: NO_LIMITS, requireSorted: true }).map((c) => ({
    row: Buffer.from(c.row).toString(),
    column: Buffer.from(c.column).toString(),
    timestamp: c.timestamp,
    value: Buffer.from(c.value!).toString(),
  }));
  const resume = r.headers['x-kdi-resume'] as string | undefined;
  return { cells, end: r.headers['x-kdi-end'] === 'true', ...(resume !== undefined && { resume }) };
}

describe('scans against a model, with the tablets changing between pages', () => {
  let s: TestServer;
  const model = new TableModel();
  let splits = 0;
  beforeAll(async () => {
    s = await TestServer.start({ config: { scan: { maxPageCells: 1000, maxPageBytes: 1 << 20 } } });
    await s.load('m', 'm1', { upper: 'r20' });
    await s.load('m', 'm2', { lower: 'r20', upper: 'r45' });
    await s.load('m', 'm3', { lower: 'r45' });
    await fill(s, model, 7, 12);
  });
  afterAll(async () => s.close());

  /** Something that changes where the data lives but not what it is. */
  async function disturb(rand: ReturnType<typeof prng>): Promise<void> {
    const tablets = s.server.tablets('m');
    const t = rand.pick(tablets);
    switch (rand.int(4)) {
      case 0: {
        const inside = model
          .rows()
          .filter(
            (r) =>
              (t.lowerExclusive === undefined || r > Buffer.from(t.lowerExclusive).toString()) && (t.upperInclusive === undefined || r < Buffer.from(t.upperInclusive).toString()),
          );
        if (inside.length === 0) return;
        const r = await s.call('POST', `/v1/admin/tablets/${t.tabletId}/split`, { body: { row: rand.pick(inside) } });
        expect(r.status, r.text).toBe(200);
        splits++;
        return;
      }
      case 1:
        expect((await s.call('POST', `/v1/admin/tablets/${t.tabletId}/compact`, { body: { full: rand.int(2) === 0 } })).status).toBe(200);
        return;
      case 2:
        expect((await s.call('POST', '/v1/admin/serialize', { body: {} })).status).toBe(200);
        return;
      default:
        return;
    }
  }

  it('returns exactly the model for every predicate and page size', async () => {
    const rand = prng(99);
    for (const predicate of PREDICATES) {
      for (let round = 0; round < 3; round++) {
        const got: JsonCell[] = [];
        let resume: string | undefined;
        let pages = 0;
        for (;;) {
          const maxCells = 1 + rand.int(9);
          const body = { predicate, maxCells, ...(rand.int(3) === 0 && { maxBytes: 1 + rand.int(300) }), ...(resume !== undefined && { resume }) };
          const p = await page(s, body, rand.int(2) === 0);
          got.push(...p.cells);
          pages++;
          if (p.end) break;
          resume = p.resume;
          if (rand.int(4) === 0) await disturb(rand);
        }
        expect(got, `${predicate} (round ${round}, ${pages} pages)`).toEqual(model.scan(predicate));
      }
    }
    expect(splits).toBeGreaterThan(2);
    expect(s.server.tablets('m').length).toBe(3 + splits);
  });
});

describe('a scan resumed after a restart', () => {
  it('continues from the token on the reopened server', async () => {
    const model = new TableModel();
    let s = await TestServer.start();
    await s.load('m', 'm1', { upper: 'r30' });
    await s.load('m', 'm2', { lower: 'r30' });
    await fill(s, model, 3, 6);
    const first = await s.call('POST', '/v1/tables/m/scan', { body: { predicate: 'history = 2', maxCells: 37 } });
    expect(first.body.end).toBe(false);
    const dataDir = s.dataDir;
    await s.close({ keepData: true });

    s = await TestServer.start({ dataDir });
    try {
      // The master loads the same tablets again; the engine kept them.
      await s.load('m', 'm1', { upper: 'r30' });
      await s.load('m', 'm2', { lower: 'r30' });
      const got: JsonCell[] = [...first.body.cells];
      let resume = first.body.resume as string;
      for (;;) {
        const r = await s.call('POST', '/v1/tables/m/scan', { body: { predicate: 'history = 2', maxCells: 23, resume } });
        expect(r.status, r.text).toBe(200);
        got.push(...r.body.cells);
        if (r.body.end) break;
        resume = r.body.resume;
      }
      expect(got).toEqual(model.scan('history = 2'));
    } finally {
      await s.close();
    }
  });
});

describe('automatic split', () => {
  it('splits a tablet past the threshold at its median, serving the same data, and separates the halves', async () => {
    const s = await TestServer.start({ config: { splitThresholdBytes: 64 * 1024 } });
    try {
      await s.load('m', 'm1');
      const model = new TableModel();
      const rand = prng(5);
      // Values that do not compress, so the fragment is as big as the data.
      const noise = () => Array.from({ length: 2000 }, () => String.fromCharCode(0x21 + rand.int(90))).join('');
      for (let i = 0; i < 10; i++) {
        const batch = Array.from({ length: 20 }, (_, j) => ({ row: `row${String(i * 20 + j).padStart(4, '0')}`, column: 'f:q', timestamp: 1, value: noise() }));
        await s.apply('m', batch, { waitForSync: false });
        model.apply(batch);
      }
      expect(await s.server.checkSplits()).toEqual([]); // all in memory: no disk size yet
      await s.call('POST', '/v1/admin/serialize', { body: {} });
      const before = s.server.tablets('m')[0]!;
      expect(before.diskBytes).toBeGreaterThan(64 * 1024);

      const [split, ...more] = await s.server.checkSplits();
      expect(more).toEqual([]);
      expect(split!.parent).toBe('m1');
      const row = Buffer.from(split!.row).toString();
      expect(row > 'row0040' && row < 'row0160', row).toBe(true);
      const tablets = s.server.tablets('m');
      expect(tablets.map((t) => [t.tabletId, t.lowerExclusive && Buffer.from(t.lowerExclusive).toString(), t.upperInclusive && Buffer.from(t.upperInclusive).toString()])).toEqual([
        [split!.low.tabletId, undefined, row],
        [split!.high.tabletId, row, undefined],
      ]);
      expect((await s.scanAll('m', '', { maxCells: 17 })).cells).toEqual(model.scan(''));

      await s.server.splitsSettled();
      const halves = s.server.tablets('m');
      for (const h of halves) expect(h.diskBytes).toBeLessThan(before.diskBytes * 0.75);
      expect((await s.scanAll('m', '', { maxCells: 17 })).cells).toEqual(model.scan(''));
      // Writes land in the right half.
      await s.apply('m', [
        { row: 'row0000', column: 'f:new', timestamp: 2, value: 'low' },
        { row: 'row0199', column: 'f:new', timestamp: 2, value: 'high' },
      ]);
      expect((await s.scanAll('m', "column = 'f:new'")).cells.map((c) => c.row)).toEqual(['row0000', 'row0199']);
    } finally {
      await s.close();
    }
  });
});
