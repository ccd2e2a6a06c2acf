import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rng } from '../../test/kit.js';
import { crc32c, writeU32, type Cell } from '@kdi/primitives';
import { lz4Codec } from '../codec/lz4-codec.js';
import { isStorageError } from '../errors.js';
import type { FileSystem } from '../fs/file-system.js';
import { MemoryFileSystem } from '../fs/memory-file-system.js';
import { FOOTER_SIZE, TRAILER_SIZE } from './fragment-format.js';
import { FragmentReader } from './fragment-reader.js';
import { FragmentWriter, type FragmentWriterOptions } from './fragment-writer.js';
import { randomCells } from './test-cells.js';
import { type FsFixture, fileSystemsUnderTest } from './test-file-systems.js';

async function write(fs: FileSystem, path: string, cells: readonly Cell[], opts?: FragmentWriterOptions): Promise<void> {
  const w = await FragmentWriter.create(fs, path, opts);
  for (const c of cells) w.add(c);
  await w.finish();
}

/** Opens `path` and reads every block; returns the error, or undefined if all went well. */
async function openAndReadAll(fs: FileSystem, path: string): Promise<unknown> {
  let r: FragmentReader | undefined;
  try {
    r = await FragmentReader.open(fs, path);
    for (let i = 0; i < r.blockCount; i++) await r.readBlock(i);
    return undefined;
  } catch (e) {
    return e;
  } finally {
    await r?.close();
  }
}

function expectCorruption(e: unknown, path: string, what: RegExp): void {
  expect(isStorageError(e, 'corruption'), String(e)).toBe(true);
  const err = e as Error & { path?: string };
  expect(err.message).toContain(path);
  expect(err.path).toBe(path);
  expect(err.message).toMatch(what);
}

describe.each(fileSystemsUnderTest)('fragment corruption on $name', (fsut) => {
  let fx: FsFixture;
  let good: Uint8Array;
  let blocks: { offset: number; storedSize: number }[];
  const cells = randomCells(rng(42), { cells: 800 });
  beforeEach(async () => {
    fx = await fsut.make();
    await write(fx.fs, `${fx.root}/good.frag`, cells, { blockSize: 2048, codec: lz4Codec });
    good = await fx.fs.readFile(`${fx.root}/good.frag`);
    const r = await FragmentReader.open(fx.fs, `${fx.root}/good.frag`);
    blocks = Array.from({ length: r.blockCount }, (_, i) => r.blockMeta(i));
    await r.close();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  async function variant(name: string, edit: (b: Uint8Array) => Uint8Array | void): Promise<string> {
    const copy = Uint8Array.from(good);
    const out = edit(copy) ?? copy;
    const path = `${fx.root}/${name}.frag`;
    await fx.fs.writeFileAtomic(path, out);
    return path;
  }

  it('a flipped bit in a data block fails that block, naming file and block; other blocks still read', async () => {
    const target = Math.floor(blocks.length / 2);
    const m = blocks[target]!;
    for (const at of [m.offset, m.offset + Math.floor(m.storedSize / 2), m.offset + m.storedSize - TRAILER_SIZE, m.offset + m.storedSize - 1]) {
      const path = await variant(`flip-${at}`, (b) => {
        b[at]! ^= 0x10;
      });
      const r = await FragmentReader.open(fx.fs, path);
      await expect(r.readBlock(target - 1)).resolves.toBeDefined();
      const e = await r.readBlock(target).then(
        () => undefined,
        (x: unknown) => x,
      );
      expectCorruption(e, path, new RegExp(`block ${target}\\b.*checksum`));
      await r.close();
    }
  });

  it('a block with a valid checksum but an unknown codec or malformed cells is corruption too', async () => {
    const m = blocks[1]!;
    const reseal = (b: Uint8Array) => writeU32(b, m.offset + m.storedSize - 4, crc32c(b, 0, m.offset, m.offset + m.storedSize - 4));
    const codecPath = await variant('codec', (b) => {
      b[m.offset + m.storedSize - TRAILER_SIZE] = 99;
      reseal(b);
    });
    expectCorruption(await openAndReadAll(fx.fs, codecPath), codecPath, /block 1: unknown codec id 99/);
    const lz4Path = await variant('lz4', (b) => {
      b.fill(0xff, m.offset, m.offset + 8);
      reseal(b);
    });
    expectCorruption(await openAndReadAll(fx.fs, lz4Path), lz4Path, /block 1: lz4 decompression failed/);

    // Uncompressed blocks: bad cell encodings behind a valid checksum.
    await write(fx.fs, `${fx.root}/raw.frag`, cells, { blockSize: 2048, codec: null });
    const raw = await fx.fs.readFile(`${fx.root}/raw.frag`);
    const r = await FragmentReader.open(fx.fs, `${fx.root}/raw.frag`);
    const b1 = r.blockMeta(1);
    await r.close();
    const edits: [string, (b: Uint8Array) => void][] = [
      ['unknown flags', (b) => (b[b1.offset] = 0xf0)],
      ['first cell repeats a row', (b) => (b[b1.offset] = 2)],
      ['row overruns', (b) => (b[b1.offset + 1] = 0x7f)],
    ];
    for (const [name, edit] of edits) {
      const copy = Uint8Array.from(raw);
      edit(copy);
      writeU32(copy, b1.offset + b1.storedSize - 4, crc32c(copy, 0, b1.offset, b1.offset + b1.storedSize - 4));
      const path = `${fx.root}/cells-${name.replace(/ /g, '-')}.frag`;
      await fx.fs.writeFileAtomic(path, copy);
      expectCorruption(await openAndReadAll(fx.fs, path), path, /block 1: malformed cells/);
    }
  });

  it('flipped bits in index, bloom or footer fail open', async () => {
    const end = good.length;
    const indexStart = blocks[blocks.length - 1]!.offset + blocks[blocks.length - 1]!.storedSize;
    const cases: [number, RegExp][] = [
      [indexStart + 3, /index block checksum/],
      [end - FOOTER_SIZE - 10, /bloom block checksum/],
      [end - FOOTER_SIZE + 2, /footer checksum/],
      [end - 16, /unsupported format version/],
      [end - 3, /bad magic/],
    ];
    for (const [at, what] of cases) {
      const path = await variant(`meta-${at}`, (b) => {
        b[at]! ^= 0x01;
      });
      expectCorruption(await openAndReadAll(fx.fs, path), path, what);
    }
  });

  it('a truncated or empty file fails open as corruption', async () => {
    for (const keep of [0, 10, FOOTER_SIZE - 1, FOOTER_SIZE, good.length - FOOTER_SIZE, good.length - 1]) {
      const path = await variant(`trunc-${keep}`, (b) => b.subarray(0, keep));
      expectCorruption(await openAndReadAll(fx.fs, path), path, /.+/);
    }
    // Footer intact but the data blocks cut away: the footer no longer fits the file.
    const path = await variant('headless', (b) => b.subarray(blocks[0]!.storedSize));
    expectCorruption(await openAndReadAll(fx.fs, path), path, /inconsistent/);
  });
});

describe('single bit flips anywhere', () => {
  it('every single-bit flip in a small fragment is reported as corruption, never returned as data', async () => {
    const fs = new MemoryFileSystem();
    const cells = randomCells(rng(7), { cells: 60 });
    await write(fs, '/small.frag', cells, { blockSize: 200, codec: lz4Codec });
    const good = await fs.readFile('/small.frag');
    expect(await openAndReadAll(fs, '/small.frag')).toBeUndefined();
    for (let at = 0; at < good.length; at++) {
      const copy = Uint8Array.from(good);
      copy[at]! ^= 1 << (at % 8);
      await fs.writeFileAtomic('/bad.frag', copy);
      const e = await openAndReadAll(fs, '/bad.frag');
      expect(isStorageError(e, 'corruption'), `flip at byte ${at} of ${good.length}: ${String(e)}`).toBe(true);
    }
  });
});
