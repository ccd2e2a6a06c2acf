import { describe, expect, it } from 'vitest';
import { rng } from '../../test/kit.js';
import type { Cell } from '@kdi/primitives';
import { lz4Codec } from '../codec/lz4-codec.js';
import { MemoryFileSystem } from '../fs/memory-file-system.js';
import { FragmentReader } from './fragment-reader.js';
import { FragmentWriter } from './fragment-writer.js';
import { randomCells } from './test-cells.js';

interface SearchKey {
  row: Uint8Array;
  column?: Uint8Array;
  timestamp?: number;
}

/** The model: is `c` at or after the search key? Written out from DESIGN §2, independently of key-search.ts. */
function atOrAfter(c: Cell, k: SearchKey): boolean {
  const r = Buffer.compare(c.row, k.row);
  if (r !== 0) return r > 0;
  if (k.column === undefined) return true;
  const col = Buffer.compare(c.column, k.column);
  if (col !== 0) return col > 0;
  if (k.timestamp === undefined) return true;
  return c.timestamp <= k.timestamp;
}

function randomKey(rand: () => number, cells: readonly Cell[]): SearchKey {
  const base = cells[Math.floor(rand() * cells.length)]!;
  const kind = rand();
  if (kind < 0.2) return { row: base.row };
  if (kind < 0.4) return { row: base.row, column: base.column };
  if (kind < 0.6) return { row: base.row, column: base.column, timestamp: base.timestamp };
  if (kind < 0.7) return { row: base.row, column: base.column, timestamp: base.timestamp + (rand() < 0.5 ? 1 : -1) };
  if (kind < 0.8) return { row: Buffer.concat([base.row, Buffer.from([0])]) };
  if (kind < 0.9) return { row: base.row, column: Buffer.concat([base.column, Buffer.from([0xff])]) };
  return { row: Uint8Array.from([Math.floor(rand() * 256), Math.floor(rand() * 256)]) };
}

describe('seekBlock and findInBlock', () => {
  it.each([
    { blockSize: 300, codec: null, seed: 1 },
    { blockSize: 2048, codec: lz4Codec, seed: 2 },
    { blockSize: 1, codec: null, seed: 3 },
  ])('find the first cell ≥ a key like a sorted array does (blockSize $blockSize)', async ({ blockSize, codec, seed }) => {
    const rand = rng(seed);
    const cells = randomCells(rand, { cells: 2500, rows: 400 });
    const fs = new MemoryFileSystem();
    const w = await FragmentWriter.create(fs, '/s.frag', { blockSize, codec });
    for (const c of cells) w.add(c);
    await w.finish();
    const r = await FragmentReader.open(fs, '/s.frag');
    const blockStart: number[] = [];
    let n = 0;
    for (let i = 0; i < r.blockCount; i++) {
      blockStart.push(n);
      n += r.blockMeta(i).cellCount;
    }
    const keys: SearchKey[] = [{ row: new Uint8Array(0) }, { row: Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff]) }];
    for (let i = 0; i < 1500; i++) keys.push(randomKey(rand, cells));
    for (const k of keys) {
      const expected = cells.findIndex((c) => atOrAfter(c, k));
      const b = r.seekBlock(k.row, k.column, k.timestamp);
      if (expected < 0) {
        expect(b).toBe(r.blockCount);
        continue;
      }
      expect(b).toBeLessThan(r.blockCount);
      expect(expected).toBeGreaterThanOrEqual(blockStart[b]!);
      expect(expected).toBeLessThan(blockStart[b]! + r.blockMeta(b).cellCount);
      const block = await r.readBlock(b);
      expect(r.findInBlock(block, k.row, k.column, k.timestamp)).toBe(expected - blockStart[b]!);
    }
    await r.close();
  });

  it.each([
    { blockSize: 300, seed: 4 },
    { blockSize: 65536, seed: 5 },
  ])("rowStart finds a row's first cell in a block exactly where lowerBound does, and −1 for rows not in it (blockSize $blockSize)", async ({ blockSize, seed }) => {
    const rand = rng(seed);
    const cells = randomCells(rand, { cells: 3000, rows: 500 });
    const fs = new MemoryFileSystem();
    const w = await FragmentWriter.create(fs, '/h.frag', { blockSize, codec: lz4Codec });
    for (const c of cells) w.add(c);
    await w.finish();
    const r = await FragmentReader.open(fs, '/h.frag');
    let found = 0;
    const wrong: string[] = [];
    for (let b = 0; b < r.blockCount; b++) {
      const block = await r.readBlock(b);
      const own = block.cells.map((c) => c.row);
      const rows = new Set(own.map((row) => Buffer.from(row).toString('latin1')));
      // Its own rows, rows of other blocks, and rows of no block.
      const others = Array.from({ length: 20 }, () => cells[Math.floor(rand() * cells.length)]!.row);
      for (const row of [...own, ...others, Buffer.from('not-a-row'), new Uint8Array(0)]) {
        const i = block.rowStart(row);
        const want = rows.has(Buffer.from(row).toString('latin1')) ? block.lowerBound(row) : -1;
        if (want >= 0) found++;
        if (i !== want) wrong.push(`block ${b} row ${Buffer.from(row).toString('hex')}: ${i}, not ${want}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(found).toBeGreaterThan(500);
    await r.close();
  });

  it('findInBlock returns the block length when every cell is before the key', async () => {
    const fs = new MemoryFileSystem();
    const w = await FragmentWriter.create(fs, '/e.frag');
    w.add({ row: Buffer.from('a'), column: Buffer.from('c'), timestamp: 3, value: null });
    await w.finish();
    const r = await FragmentReader.open(fs, '/e.frag');
    const block = await r.readBlock(0);
    expect(r.findInBlock(block, Buffer.from('a'), Buffer.from('c'), 2)).toBe(1);
    expect(r.findInBlock(block, Buffer.from('a'), Buffer.from('c'), 3)).toBe(0);
    expect(r.findInBlock(block, Buffer.from('a'))).toBe(0);
    expect(r.seekBlock(Buffer.from('a'), Buffer.from('c'), 2)).toBe(1);
    expect(block.cells[0]!.value).toBeNull();
  });
});
