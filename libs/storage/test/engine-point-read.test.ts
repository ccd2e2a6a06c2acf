// The point-read short path (point-read.ts) must answer exactly what a scan
// of the one row answers. Random histories — sets, erasures, several
// versions, rows in memory and on disk, serializations and compactions at
// random, schemas with several groups and purge policies (where the short
// path must step aside) — and every row read both ways, present or not.

import { describe, expect, it } from 'vitest';
import type { Cell } from '@kdi/primitives';
import { BlockCache } from '../src/cache/block-cache.js';
import { lz4Codec } from '../src/codec/lz4-codec.js';
import { Engine } from '../src/engine/engine.js';
import { FaultyFileSystem } from '../src/fs/faulty-file-system.js';
import { MemoryFileSystem } from '../src/fs/memory-file-system.js';
import { b, cell, erase, rng, show } from './kit.js';

async function scanRow(engine: Engine, id: string, row: string, history?: number): Promise<Cell[]> {
  const bound = { value: b(row), inclusive: true };
  return (await engine.scan(id, { rows: [{ lower: bound, upper: bound }], ...(history !== undefined && { history }) }, { maxCells: 100_000 })).cells;
}

const HISTORIES = [undefined, 1, 2, -1];

const SCHEMAS = {
  plain: undefined,
  groups: [
    { name: 'a', families: ['f'] },
    { name: 'rest', families: '*' as const },
  ],
  purge: [{ name: 'default', families: '*' as const, purge: { maxHistory: 2 } }],
};

describe('readRow', () => {
  for (const [schema, groups] of Object.entries(SCHEMAS)) {
    for (const seed of [1, 2, 3, 4]) {
      it(`answers like a scan of the row (${schema} schema, seed ${seed})`, async () => {
        const random = rng(seed * 101 + schema.length);
        const engine = await Engine.open({
          fs: new MemoryFileSystem(),
          dir: '/kdi',
          codec: lz4Codec,
          blockSize: 256,
          autoCompact: false,
          cache: new BlockCache({ capacityBytes: 1 << 20 }),
        });
        await engine.createTablet({ id: 't', table: 'tb', lowerExclusive: b('r010'), ...(groups && { groups }) });
        const rowName = (i: number) => `r${String(i).padStart(3, '0')}`;
        const columns = ['f:a', 'f:b', 'g:c'];
        let fastPaths = 0;
        let cachedAnswers = 0;
        for (let step = 0; step < 60; step++) {
          const batch: Cell[] = [];
          for (let k = 0; k < 20; k++) {
            const row = rowName(11 + Math.floor(random() * 40));
            const col = columns[Math.floor(random() * columns.length)]!;
            const ts = 1 + Math.floor(random() * 4);
            batch.push(random() < 0.15 ? erase(row, col, ts) : cell(row, col, ts, `v${step}-${k}`));
          }
          await engine.apply('tb', batch, { sync: false });
          const r = random();
          if (r < 0.3) await engine.serialize();
          else if (r < 0.4) await engine.compactTablet('t', { full: random() < 0.5 });
          if (step % 10 === 9) {
            for (let i = 11; i < 55; i++) {
              const row = rowName(i);
              for (const history of HISTORIES) {
                const want = show(await scanRow(engine, 't', row, history));
                expect(show(await engine.readRow('t', b(row), { history })), `row ${row} history ${history} at step ${step}`).toEqual(want);
              }
            }
          }
        }
        // Settled: everything on disk in one fragment — the short path's case.
        await engine.serialize();
        await engine.compactTablet('t', { full: true });
        for (let i = 11; i < 55; i++) {
          const row = rowName(i);
          for (const history of HISTORIES) {
            const got = show(await engine.readRow('t', b(row), { history }));
            expect(got, `row ${row} history ${history}`).toEqual(show(await scanRow(engine, 't', row, history)));
            if (got.length > 0) fastPaths++;
            // readRow warmed the row's blocks: the synchronous read answers the same, or not at all.
            const cached = engine.readRowIfCached('t', b(row), { history });
            if (cached !== undefined) {
              expect(show(cached), `cached row ${row} history ${history}`).toEqual(got);
              cachedAnswers++;
            }
          }
        }
        expect(fastPaths).toBeGreaterThan(0);
        // Only one wildcard group without purge takes the short path that can answer from the cache.
        if (groups === undefined) expect(cachedAnswers).toBeGreaterThan(0);
        else expect(cachedAnswers).toBe(0);
        await engine.close();
      });
    }
  }

  it('answers like a scan for rows only in memory (just written), and for rows in memory and on disk', async () => {
    const random = rng(77);
    const engine = await Engine.open({ fs: new MemoryFileSystem(), dir: '/kdi', codec: lz4Codec, blockSize: 256, autoCompact: false });
    await engine.createTablet({ id: 't', table: 'tb' });
    const rowName = (i: number) => `m${String(i).padStart(3, '0')}`;
    let mergedAnswers = 0;
    for (let round = 0; round < 3; round++) {
      const batch: Cell[] = [];
      for (let k = 0; k < 300; k++) {
        const row = rowName(Math.floor(random() * 30));
        const col = ['f:a', 'f:b', 'g:c'][Math.floor(random() * 3)]!;
        const ts = 1 + Math.floor(random() * 5);
        batch.push(random() < 0.1 ? erase(row, col, ts) : cell(row, col, ts, `v${round}-${k}`));
      }
      await engine.apply('tb', batch, { sync: false });
      for (let i = 0; i < 32; i++) {
        for (const history of HISTORIES) {
          const row = rowName(i);
          const want = show(await scanRow(engine, 't', row, history));
          expect(show(await engine.readRow('t', b(row), { history })), `round ${round} row ${row} history ${history}`).toEqual(want);
          const cached = engine.readRowIfCached('t', b(row), { history });
          if (cached !== undefined) {
            expect(show(cached), `cached: round ${round} row ${row} history ${history}`).toEqual(want);
            if (round > 0) mergedAnswers++; // rows in memory and on disk: merged on the short path
          }
        }
      }
      if (round === 0) await engine.serialize(); // round 1: memory and disk; round 2: memory, disk and a second memory write
    }
    expect(mergedAnswers).toBeGreaterThan(0);
    await engine.close();
  });

  it('merges several disk fragments and memory newest first on equal keys, across block boundaries and after a split', async () => {
    // No erasures, so every read takes the short path: the same keys rewritten in every round, each round a fragment of the chain.
    const engine = await Engine.open({
      fs: new MemoryFileSystem(),
      dir: '/kdi',
      codec: lz4Codec,
      blockSize: 128,
      autoCompact: false,
      cache: new BlockCache({ capacityBytes: 1 << 20 }),
    });
    await engine.createTablet({ id: 't', table: 'tb' });
    const rowName = (i: number) => `s${String(i).padStart(3, '0')}`;
    const write = async (round: number) => {
      const batch: Cell[] = [];
      for (let i = 0; i < 20; i++) {
        // Row s005 is long (spans blocks); the others take a few columns and versions.
        const columns = i === 5 ? 30 : 1 + (i % 3);
        for (let c = 0; c < columns; c++)
          for (let ts = 1; ts <= 2; ts++) if ((i + c + ts + round) % 4 !== 0) batch.push(cell(rowName(i), `f:c${c}`, ts, `r${round}-${i}-${c}-${ts}`));
      }
      await engine.apply('tb', batch, { sync: false });
    };
    const check = async (id: string, label: string) => {
      let short = 0;
      for (let i = 0; i < 20; i++) {
        for (const history of HISTORIES) {
          const row = rowName(i);
          const want = show(await scanRow(engine, id, row, history));
          expect(show(await engine.readRow(id, b(row), { history })), `${label} ${id} row ${row} history ${history}`).toEqual(want);
          const cached = engine.readRowIfCached(id, b(row), { history });
          if (cached !== undefined) {
            expect(show(cached), `${label} cached ${id} row ${row} history ${history}`).toEqual(want);
            short++;
          }
        }
      }
      return short;
    };
    for (let round = 0; round < 3; round++) {
      await write(round);
      await engine.serialize();
    }
    await write(3); // and newer cells of the same keys in memory
    expect(await check('t', 'chain of 3 and memory')).toBeGreaterThan(0);
    await engine.splitTablet('t', b(rowName(9)), 't-low', 't-high');
    await write(4);
    for (const id of ['t-low', 't-high']) expect(await check(id, 'after the split')).toBeGreaterThan(0);
    // While a serialization runs, round 4 is a frozen memory fragment and round 5 the active one.
    const serializing = engine.serialize();
    await write(5);
    for (const id of ['t-low', 't-high']) await check(id, 'while serializing');
    await serializing;
    await engine.close();
  });

  it('a block read it started and then gave up on (an erasure in an older fragment) fails no one: its error is not an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const fs = new FaultyFileSystem(new MemoryFileSystem());
      const engine = await Engine.open({ fs, dir: '/kdi', codec: lz4Codec, blockSize: 256, autoCompact: false, cache: new BlockCache({ capacityBytes: 1 << 20 }) });
      await engine.createTablet({ id: 't', table: 'tb' });
      // The older fragment holds an erasure of the row (its block is then read and cached); the newer one a cell, its block not read yet.
      await engine.apply('tb', [cell('r', 'f:a', 1, 'old'), erase('r', 'f:b', 1)]);
      await engine.serialize();
      await engine.readRow('t', b('r'));
      await engine.apply('tb', [cell('r', 'f:c', 1, 'new')]);
      await engine.serialize();
      // Every read from disk now fails: the short path starts the newer fragment's block read, then meets the erasure and leaves for the scan.
      fs.addRule({ op: 'read', times: Infinity, error: 'EIO' });
      await expect(engine.readRow('t', b('r'))).rejects.toMatchObject({ kind: 'io' });
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
      fs.clearRules();
      await engine.close();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a row outside the tablet is refused like a scan refuses it, and an unknown tablet is not found', async () => {
    const engine = await Engine.open({ fs: new MemoryFileSystem(), dir: '/kdi', autoCompact: false });
    await engine.createTablet({ id: 't', table: 'tb', lowerExclusive: b('m') });
    await engine.apply('tb', [cell('n', 'f:q', 1, 'x')]);
    expect(show(await engine.readRow('t', b('a')))).toEqual(show(await scanRow(engine, 't', 'a')));
    await expect(engine.readRow('nope', b('a'))).rejects.toMatchObject({ kind: 'not-found' });
    await engine.close();
  });
});
