import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rng } from '../../test/kit.js';
import { BlockCache } from '../cache/block-cache.js';
import { compareBytes, familyOf, type Cell } from '@kdi/primitives';
import { lz4Codec } from '../codec/lz4-codec.js';
import { isStorageError } from '../errors.js';
import type { FileSystem, ReadableFile } from '../fs/file-system.js';
import { FaultyFileSystem } from '../fs/faulty-file-system.js';
import { familyMaskOf } from './family-mask.js';
import { TRAILER_SIZE } from './fragment-format.js';
import { FragmentReader } from './fragment-reader.js';
import { FragmentWriter, type FragmentWriterOptions } from './fragment-writer.js';
import { cellStrings, randomCells } from './test-cells.js';
import { type FsFixture, fileSystemsUnderTest } from './test-file-systems.js';

async function write(fs: FileSystem, path: string, cells: readonly Cell[], opts?: FragmentWriterOptions) {
  const w = await FragmentWriter.create(fs, path, opts);
  for (const c of cells) w.add(c);
  return w.finish();
}

async function readAll(r: FragmentReader): Promise<Cell[]> {
  const out: Cell[] = [];
  for (let i = 0; i < r.blockCount; i++) out.push(...(await r.readBlock(i)).cells);
  return out;
}

const distinctRows = (cells: readonly Cell[]) => cells.filter((c, i) => i === 0 || compareBytes(c.row, cells[i - 1]!.row) !== 0).length;

describe.each(fileSystemsUnderTest)('fragment round trip on $name', (fsut) => {
  let fx: FsFixture;
  beforeEach(async () => {
    fx = await fsut.make();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  const configs: { name: string; opts: FragmentWriterOptions; cells: number; seed: number }[] = [
    { name: 'default 64 KiB blocks, uncompressed', opts: {}, cells: 3000, seed: 1 },
    { name: 'default 64 KiB blocks, lz4', opts: { codec: lz4Codec }, cells: 3000, seed: 2 },
    { name: 'tiny blocks (one cell each), lz4', opts: { blockSize: 1, codec: lz4Codec }, cells: 300, seed: 3 },
    { name: '512-byte blocks, uncompressed', opts: { blockSize: 512, codec: null }, cells: 2000, seed: 4 },
  ];

  it.each(configs)('reads back exactly what was written: $name', async ({ opts, cells: n, seed }) => {
    const cells = randomCells(rng(seed), { cells: n, hugeFraction: 0.003, hugeValue: 150_000 });
    const path = `${fx.root}/a.frag`;
    const info = await write(fx.fs, path, cells, opts);
    const r = await FragmentReader.open(fx.fs, path);
    try {
      expect(cellStrings(await readAll(r))).toEqual(cellStrings(cells));
      const expected = {
        path,
        fileBytes: (await fx.fs.stat(path)).size,
        cellCount: cells.length,
        rowCount: distinctRows(cells),
        minTimestamp: Math.min(...cells.map((c) => c.timestamp)),
        maxTimestamp: Math.max(...cells.map((c) => c.timestamp)),
      };
      expect(info).toMatchObject(expected);
      expect(r.info).toMatchObject(expected);
      expect(r.info.rawBytes).toBe(info.rawBytes);
      expect(r.blockCount).toBe(info.blockCount);
      expect(Buffer.from(r.info.firstRow).equals(cells[0]!.row)).toBe(true);
      expect(Buffer.from(r.info.lastRow).equals(cells[cells.length - 1]!.row)).toBe(true);
      expect(Buffer.from(info.lastRow).equals(cells[cells.length - 1]!.row)).toBe(true);
      if (opts.blockSize === 1) expect(r.blockCount).toBe(cells.length);
    } finally {
      await r.close();
    }
  });

  it('block metadata describes each block: last key, counts, time range, family mask', async () => {
    const cells = randomCells(rng(11), { cells: 2500 });
    const path = `${fx.root}/m.frag`;
    await write(fx.fs, path, cells, { blockSize: 1024, codec: lz4Codec });
    const r = await FragmentReader.open(fx.fs, path);
    let raw = 0;
    for (let i = 0; i < r.blockCount; i++) {
      const m = r.blockMeta(i);
      const block = (await r.readBlock(i)).cells;
      const last = block[block.length - 1]!;
      expect(m.cellCount).toBe(block.length);
      expect(Buffer.from(m.lastRow).equals(last.row) && Buffer.from(m.lastColumn).equals(last.column)).toBe(true);
      expect(m.lastTimestamp).toBe(last.timestamp);
      expect(m.minTimestamp).toBe(Math.min(...block.map((c) => c.timestamp)));
      expect(m.maxTimestamp).toBe(Math.max(...block.map((c) => c.timestamp)));
      let mask = 0n;
      for (const c of block) mask |= familyMaskOf(familyOf(c.column));
      expect(m.familyMask).toBe(mask);
      raw += m.rawSize;
    }
    expect(raw).toBe(r.info.rawBytes);
    await r.close();
  });

  it('compresses compressible blocks and stores incompressible ones raw', async () => {
    const text = randomCells(rng(5), { cells: 2000, maxValue: 400 });
    const noise = randomCells(rng(6), { cells: 2000, maxValue: 400, randomValues: true, erasures: 0 });
    await write(fx.fs, `${fx.root}/text.frag`, text, { blockSize: 4096, codec: lz4Codec });
    await write(fx.fs, `${fx.root}/noise.frag`, noise, { blockSize: 4096, codec: lz4Codec });
    const t = await FragmentReader.open(fx.fs, `${fx.root}/text.frag`);
    const n = await FragmentReader.open(fx.fs, `${fx.root}/noise.frag`);
    let compressed = 0;
    for (let i = 0; i < t.blockCount; i++) if (t.blockMeta(i).storedSize < t.blockMeta(i).rawSize) compressed++;
    expect(compressed).toBe(t.blockCount);
    expect(t.info.fileBytes).toBeLessThan(t.info.rawBytes * 0.6);
    // Random values dominate the noise blocks: never stored bigger than raw + trailer.
    for (let i = 0; i < n.blockCount; i++) expect(n.blockMeta(i).storedSize).toBeLessThanOrEqual(n.blockMeta(i).rawSize + TRAILER_SIZE);
    expect(cellStrings(await readAll(n))).toEqual(cellStrings(noise));
    expect(cellStrings(await readAll(t))).toEqual(cellStrings(text));
    await t.close();
    await n.close();
  });

  it('keeps a value larger than the block size whole, in its own block', async () => {
    const big = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
    const cells: Cell[] = [
      { row: Buffer.from('a'), column: Buffer.from('f:1'), timestamp: 5, value: Buffer.from('small') },
      { row: Buffer.from('b'), column: Buffer.from('f:1'), timestamp: 5, value: big },
      { row: Buffer.from('c'), column: Buffer.from('f:1'), timestamp: 5, value: Buffer.from('after') },
    ];
    await write(fx.fs, `${fx.root}/big.frag`, cells, { blockSize: 4096, codec: lz4Codec });
    const r = await FragmentReader.open(fx.fs, `${fx.root}/big.frag`);
    expect(r.blockCount).toBe(2);
    expect(r.blockMeta(0).cellCount).toBe(2);
    expect(r.blockMeta(0).rawSize).toBeGreaterThan(300_000);
    expect(cellStrings(await readAll(r))).toEqual(cellStrings(cells));
    await r.close();
  });

  it('every written row passes the bloom filter; most absent rows do not', async () => {
    const cells = randomCells(rng(8), { cells: 6000, rows: 3000 });
    await write(fx.fs, `${fx.root}/bloom.frag`, cells);
    const r = await FragmentReader.open(fx.fs, `${fx.root}/bloom.frag`);
    expect(cells.filter((c) => !r.mayContainRow(c.row)).length).toBe(0);
    let fp = 0;
    for (let i = 0; i < 5000; i++) if (r.mayContainRow(Buffer.from(`absent-row-${i}`))) fp++;
    expect(fp / 5000).toBeLessThan(0.03);
    await r.close();
  });

  it('rejects keys out of order, equal keys and unsafe timestamps, and stays usable', async () => {
    const c = (row: string, column: string, ts: number): Cell => ({ row: Buffer.from(row), column: Buffer.from(column), timestamp: ts, value: Buffer.from('v') });
    const w = await FragmentWriter.create(fx.fs, `${fx.root}/order.frag`);
    w.add(c('b', 'f:2', 10));
    for (const bad of [c('b', 'f:2', 10), c('b', 'f:2', 11), c('b', 'f:1', 1), c('a', 'z', 1), c('b', 'f:2', 1.5), c('b', 'f:3', Number.MAX_SAFE_INTEGER + 2)]) {
      let err: unknown;
      try {
        w.add(bad);
      } catch (e) {
        err = e;
      }
      expect(isStorageError(err, 'invalid-argument'), `${String(bad.row)} ${String(bad.column)} ${bad.timestamp}`).toBe(true);
    }
    w.add(c('b', 'f:2', 9));
    w.add(c('b', 'f:3', 100));
    w.add(c('c', '', 0));
    const info = await w.finish();
    expect(info.cellCount).toBe(4);
    expect(info.rowCount).toBe(2);
    expect(() => w.add(c('d', 'x', 1))).toThrow(/closed/);
  });

  it('refuses to finish an empty fragment; abort removes the file', async () => {
    const path = `${fx.root}/empty.frag`;
    const w = await FragmentWriter.create(fx.fs, path);
    await expect(w.finish()).rejects.toSatisfy((e) => isStorageError(e, 'invalid-argument'));
    expect(await fx.fs.exists(path)).toBe(true);
    await w.abort();
    await w.abort();
    expect(await fx.fs.exists(path)).toBe(false);
  });

  it('abort in the middle of a write leaves no file', async () => {
    const path = `${fx.root}/partial.frag`;
    const w = await FragmentWriter.create(fx.fs, path, { blockSize: 256 });
    for (const c of randomCells(rng(9), { cells: 500 })) w.add(c);
    await w.abort();
    expect(await fx.fs.exists(path)).toBe(false);
    expect(() => w.add(randomCells(rng(1), { cells: 1 })[0]!)).toThrow(/closed/);
  });
});

describe('fragment reader I/O and cache', () => {
  /** Records every read on the wrapped file system. */
  function recording(inner: FileSystem): { fs: FileSystem; reads: { path: string; position: number; length: number }[] } {
    const reads: { path: string; position: number; length: number }[] = [];
    const fs: FileSystem = Object.create(inner);
    fs.openRead = async (path) => {
      const f = await inner.openRead(path);
      const wrapped: ReadableFile = {
        path: f.path,
        size: f.size,
        read: (position, length) => {
          reads.push({ path, position, length });
          return f.read(position, length);
        },
        close: () => f.close(),
      };
      return wrapped;
    };
    return { fs, reads };
  }

  it('reads a block with one read of exactly its stored bytes; the cache serves repeats', async () => {
    const fx = await fileSystemsUnderTest[0]!.make();
    const cells = randomCells(rng(21), { cells: 3000 });
    await write(fx.fs, `${fx.root}/io.frag`, cells, { blockSize: 2048, codec: lz4Codec });
    const { fs, reads } = recording(fx.fs);
    const cache = new BlockCache({ capacityBytes: 64 << 20 });
    const r = await FragmentReader.open(fs, `${fx.root}/io.frag`, { cache, fileId: 7 });
    expect(reads.length).toBe(2); // footer, then index + bloom together
    reads.length = 0;
    const b3 = await r.readBlock(3);
    expect(reads).toEqual([{ path: `${fx.root}/io.frag`, position: r.blockMeta(3).offset, length: r.blockMeta(3).storedSize }]);
    const again = await Promise.all([r.readBlock(3), r.readBlock(3)]);
    expect(again[0]).toBe(b3);
    expect(again[1]).toBe(b3);
    expect(reads.length).toBe(1);
    // Concurrent first reads of one block share a single load.
    const [x, y] = await Promise.all([r.readBlock(5), r.readBlock(5)]);
    expect(x).toBe(y);
    expect(reads.length).toBe(2);
    expect(cache.stats.entries).toBe(2);
    await r.close();
    expect(cache.stats.entries).toBe(0);
    await expect(r.readBlock(0)).rejects.toSatisfy((e) => isStorageError(e, 'closed'));
  });

  it('preload keeps an in-memory fragment resident while normal blocks churn', async () => {
    const fx = await fileSystemsUnderTest[0]!.make();
    await write(fx.fs, `${fx.root}/hot.frag`, randomCells(rng(22), { cells: 400 }), { blockSize: 1024 });
    await write(fx.fs, `${fx.root}/cold.frag`, randomCells(rng(23), { cells: 4000 }), { blockSize: 1024 });
    const hot = await FragmentReader.open(fx.fs, `${fx.root}/hot.frag`, { cache: undefined });
    let hotBytes = 0;
    for (let i = 0; i < hot.blockCount; i++) hotBytes += (await hot.readBlock(i)).byteSize;
    const cache = new BlockCache({ capacityBytes: hotBytes + 100_000 });
    const hotCached = await FragmentReader.open(fx.fs, `${fx.root}/hot.frag`, { cache, fileId: 'hot', inMemory: true });
    const cold = await FragmentReader.open(fx.fs, `${fx.root}/cold.frag`, { cache, fileId: 'cold' });
    await hotCached.preload();
    for (let i = 0; i < cold.blockCount; i++) await cold.readBlock(i);
    for (let i = 0; i < hotCached.blockCount; i++) expect(cache.has({ fileId: 'hot', blockIndex: i })).toBe(true);
    expect(cache.stats.bytes).toBeLessThanOrEqual(cache.capacityBytes);
    expect(cache.stats.inMemoryBytes).toBe(hotBytes);
  });

  it('approximateMedianRow splits the data near its middle', async () => {
    const fx = await fileSystemsUnderTest[0]!.make();
    const cells: Cell[] = [];
    for (let i = 0; i < 10_000; i++) cells.push({ row: Buffer.from(`row${String(i).padStart(6, '0')}`), column: Buffer.from('f:q'), timestamp: 1, value: Buffer.alloc(50, 1) });
    await write(fx.fs, `${fx.root}/median.frag`, cells, { blockSize: 4096 });
    const r = await FragmentReader.open(fx.fs, `${fx.root}/median.frag`);
    const median = Number(Buffer.from(r.approximateMedianRow()!).toString().slice(3));
    expect(median).toBeGreaterThan(4500);
    expect(median).toBeLessThan(5500);
  });

  it('a failed background append is reported by the next add or finish, and abort cleans up', async () => {
    const fx = await fileSystemsUnderTest[0]!.make();
    const fs = new FaultyFileSystem(fx.fs);
    fs.addRule({ op: 'append', nth: 2, error: 'ENOSPC' });
    const path = `${fx.root}/fail.frag`;
    const w = await FragmentWriter.create(fs, path, { blockSize: 256 });
    const cells = randomCells(rng(31), { cells: 2000 });
    let failure: unknown;
    try {
      for (const c of cells.slice(0, 1000)) w.add(c);
      await w.drain();
    } catch (e) {
      failure = e;
    }
    expect(isStorageError(failure, 'io')).toBe(true);
    expect(() => w.add(cells[1500]!)).toThrow(/ENOSPC|no space/i);
    await expect(w.finish()).rejects.toSatisfy((e) => isStorageError(e, 'io'));
    await w.abort();
    expect(await fx.fs.exists(path)).toBe(false);
  });
});

describe('decode throughput (logged, not asserted)', () => {
  it('measures write and decode speed of 100-byte values', async () => {
    const fx = await fileSystemsUnderTest[0]!.make();
    const n = 200_000;
    const cells: Cell[] = [];
    const value = Buffer.alloc(100, 'x');
    for (let i = 0; i < n; i++) cells.push({ row: Buffer.from(`user${String(i).padStart(10, '0')}`), column: Buffer.from('f:v'), timestamp: 1_700_000_000_000_000 + i, value });
    for (const codec of [null, lz4Codec]) {
      const t0 = performance.now();
      await write(fx.fs, `${fx.root}/bench-${codec?.name ?? 'raw'}.frag`, cells, { codec });
      const t1 = performance.now();
      const r = await FragmentReader.open(fx.fs, `${fx.root}/bench-${codec?.name ?? 'raw'}.frag`);
      let count = 0;
      const t2 = performance.now();
      for (let i = 0; i < r.blockCount; i++) count += (await r.readBlock(i)).cells.length;
      const t3 = performance.now();
      expect(count).toBe(n);
      console.log(
        `[fragment ${codec?.name ?? 'raw'}] write ${Math.round(n / ((t1 - t0) / 1000))} cells/s, ` +
          `read+decode ${Math.round(n / ((t3 - t2) / 1000))} cells/s, ${r.blockCount} blocks, ${r.info.fileBytes} bytes`,
      );
    }
  });
});
