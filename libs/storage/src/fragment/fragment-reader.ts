// Reads one immutable disk fragment (format in fragment-format.ts).
//
// open() reads and checks the footer, the index and the bloom filter; any
// damage there — short file, wrong magic, unknown version, checksum or
// consistency failure — is StorageError('corruption') naming the file.
// Data blocks are checked when read: a bad checksum, an unknown codec, a
// failed decompression or a malformed cell encoding is a corruption error
// naming the file and the block. Nothing is ever skipped or replaced by an
// empty result (DESIGN §5).
//
// Each block is read with one read() of exactly its stored bytes and
// decoded once; with a BlockCache the decoded block is shared by every
// reader of the same fileId.
import type { BlockCache, CachePriority } from '../cache/block-cache.js';
import type { BlockCodec } from '../codec/block-codec.js';
import { codecById, UNCOMPRESSED_CODEC_ID } from '../codec/codec-registry.js';
import { closed, corruption, invalidArgument, StorageError } from '../errors.js';
import type { FileSystem, ReadableFile } from '../fs/file-system.js';
import { BloomFilter } from './bloom-filter.js';
import { type DecodedBlock, decodeDataBlock, MalformedBlockError } from './data-block.js';
import { blockChecksumOk, blockCodecId, blockPayload, decodeFooter, FOOTER_SIZE, type Footer } from './fragment-format.js';
import type { FragmentInfo } from './fragment-info.js';
import { type BlockMeta, decodeIndex } from './index-block.js';
import { compareToSearchKey } from './key-search.js';

export { DecodedBlock } from './data-block.js';
export type { BlockMeta } from './index-block.js';

export interface FragmentReaderOptions {
  /** Shared decoded-block cache; without one every readBlock reads and decodes. */
  readonly cache?: BlockCache;
  /** This file's key in the cache (default: its path). Must change whenever the file's contents could. */
  readonly fileId?: number | string;
  /** Cache blocks at in-memory priority (locality groups marked inMemory); see also preload(). */
  readonly inMemory?: boolean;
  /** Codecs besides the built-in ones (lz4), by the id stored in block trailers. */
  readonly codecs?: readonly BlockCodec[];
}

export class FragmentReader {
  private isClosed = false;

  private constructor(
    private readonly file: ReadableFile,
    readonly info: FragmentInfo,
    private readonly blocks: readonly BlockMeta[],
    private readonly bloom: BloomFilter,
    private readonly cache: BlockCache | undefined,
    readonly fileId: number | string,
    private readonly priority: CachePriority,
    private readonly codecs: readonly BlockCodec[] | undefined,
  ) {}

  static async open(fs: FileSystem, path: string, opts: FragmentReaderOptions = {}): Promise<FragmentReader> {
    const file = await fs.openRead(path);
    try {
      const size = file.size;
      if (size < FOOTER_SIZE) throw corruption(`fragment ${path}: file too short (${size} bytes)`, path);
      const footer = decodeFooter(await file.read(size - FOOTER_SIZE, FOOTER_SIZE), size, path);
      const tail = await file.read(footer.indexOffset, footer.indexSize + footer.bloomSize);
      if (tail.length !== footer.indexSize + footer.bloomSize) throw corruption(`fragment ${path}: file shrank while opened`, path);
      const { blocks, firstRow } = readIndex(tail.subarray(0, footer.indexSize), footer, path);
      const bloom = readBloom(tail.subarray(footer.indexSize), path);
      checkTotals(blocks, footer, path);
      const info: FragmentInfo = {
        path,
        fileBytes: size,
        cellCount: footer.cellCount,
        rowCount: footer.rowCount,
        rawBytes: footer.rawBytes,
        blockCount: footer.blockCount,
        minTimestamp: footer.minTimestamp,
        maxTimestamp: footer.maxTimestamp,
        firstRow,
        lastRow: blocks[blocks.length - 1]!.lastRow,
      };
      const priority: CachePriority = opts.inMemory ? 'in-memory' : 'normal';
      return new FragmentReader(file, info, blocks, bloom, opts.cache, opts.fileId ?? path, priority, opts.codecs);
    } catch (e) {
      await file.close().catch(() => undefined);
      throw e;
    }
  }

  get path(): string {
    return this.info.path;
  }

  get blockCount(): number {
    return this.blocks.length;
  }

  blockMeta(i: number): BlockMeta {
    const m = this.blocks[i];
    if (m === undefined) throw invalidArgument(`fragment ${this.path}: no block ${i} (it has ${this.blocks.length})`);
    return m;
  }

  /** False only when no cell of `row` is in this fragment (bloom filter; about 1% false positives). */
  mayContainRow(row: Uint8Array): boolean {
    return this.bloom.mayContain(row);
  }

  /**
   * Index of the first block whose last key is ≥ the search key, i.e. the
   * only block that can hold the first cell ≥ the key; blockCount when the
   * key is past the fragment. Without a column the key means "the row's
   * first cell", without a timestamp "the column's newest cell".
   */
  seekBlock(row: Uint8Array, column?: Uint8Array, timestamp?: number): number {
    const blocks = this.blocks;
    let lo = 0;
    let hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = blocks[mid]!;
      if (compareToSearchKey(m.lastRow, m.lastColumn, m.lastTimestamp, row, column, timestamp) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first cell ≥ the search key in a decoded block; cells.length when none. */
  findInBlock(block: DecodedBlock, row: Uint8Array, column?: Uint8Array, timestamp?: number): number {
    return block.lowerBound(row, column, timestamp);
  }

  /**
   * Block `i` if the cache holds it, without waiting (undefined otherwise);
   * lets scans walk cached blocks with no promise per block.
   */
  cachedBlock(i: number): DecodedBlock | undefined {
    if (this.isClosed || this.cache === undefined) return undefined;
    return this.cache.get({ fileId: this.fileId, blockIndex: i });
  }

  /** Block `i`, decoded, through the cache when there is one. */
  readBlock(i: number): Promise<DecodedBlock> {
    if (this.isClosed) return Promise.reject(closed(`fragment ${this.path}`));
    if (!(i >= 0 && i < this.blocks.length)) return Promise.reject(invalidArgument(`fragment ${this.path}: no block ${i} (it has ${this.blocks.length})`));
    const cache = this.cache;
    if (cache === undefined) return this.loadBlock(i);
    return cache.getOrLoad({ fileId: this.fileId, blockIndex: i }, this.priority, () => this.loadBlock(i));
  }

  /** Loads every block into the cache at in-memory priority (no-op without a cache). */
  async preload(): Promise<void> {
    const cache = this.cache;
    if (cache === undefined) return;
    for (let i = 0; i < this.blocks.length; i++) {
      await cache.getOrLoad({ fileId: this.fileId, blockIndex: i }, 'in-memory', () => this.loadBlock(i));
    }
  }

  /**
   * The approximate median row, from the index only: the last row of the
   * block where the cumulative uncompressed size reaches half the total.
   */
  approximateMedianRow(): Uint8Array | undefined {
    const half = this.info.rawBytes / 2;
    let sum = 0;
    for (const m of this.blocks) {
      sum += m.rawSize;
      if (sum >= half) return m.lastRow;
    }
    return this.blocks[this.blocks.length - 1]?.lastRow;
  }

  /** Closes the file and drops this file's blocks from the cache. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.cache?.evictFile(this.fileId);
    await this.file.close();
  }

  private async loadBlock(i: number): Promise<DecodedBlock> {
    const m = this.blocks[i]!;
    const stored = await this.file.read(m.offset, m.storedSize);
    const bad = (why: string, cause?: unknown) => new StorageError('corruption', `fragment ${this.path}: block ${i}: ${why}`, this.path, { cause });
    if (stored.length !== m.storedSize) throw bad(`file ends inside the block (${stored.length} of ${m.storedSize} bytes)`);
    if (!blockChecksumOk(stored)) throw bad('checksum mismatch');
    const codecId = blockCodecId(stored);
    let payload = blockPayload(stored);
    if (codecId !== UNCOMPRESSED_CODEC_ID) {
      const codec = codecById(codecId, this.codecs);
      if (codec === undefined) throw bad(`unknown codec id ${codecId}`);
      try {
        payload = codec.decompress(payload, m.rawSize);
      } catch (e) {
        throw bad(`${codec.name} decompression failed: ${e instanceof Error ? e.message : String(e)}`, e);
      }
    }
    if (payload.length !== m.rawSize) throw bad(`${payload.length} uncompressed bytes, index says ${m.rawSize}`);
    try {
      return decodeDataBlock(payload, m.cellCount);
    } catch (e) {
      if (e instanceof MalformedBlockError) throw bad(`malformed cells: ${e.message}`, e);
      throw e;
    }
  }
}

function readIndex(stored: Uint8Array, footer: Footer, path: string) {
  if (!blockChecksumOk(stored)) throw corruption(`fragment ${path}: index block checksum mismatch`, path);
  if (blockCodecId(stored) !== UNCOMPRESSED_CODEC_ID) throw corruption(`fragment ${path}: index block has codec ${blockCodecId(stored)}`, path);
  const index = decodeIndex(blockPayload(stored), footer.indexOffset, footer.blockCount);
  if (typeof index === 'string') throw corruption(`fragment ${path}: ${index}`, path);
  return index;
}

function readBloom(stored: Uint8Array, path: string): BloomFilter {
  if (!blockChecksumOk(stored)) throw corruption(`fragment ${path}: bloom block checksum mismatch`, path);
  const bloom = blockCodecId(stored) === UNCOMPRESSED_CODEC_ID ? BloomFilter.decode(blockPayload(stored)) : undefined;
  if (bloom === undefined) throw corruption(`fragment ${path}: malformed bloom block`, path);
  return bloom;
}

/** The index must agree with the footer's totals. */
function checkTotals(blocks: readonly BlockMeta[], f: Footer, path: string): void {
  let cells = 0;
  let raw = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const m of blocks) {
    cells += m.cellCount;
    raw += m.rawSize;
    if (m.minTimestamp < min) min = m.minTimestamp;
    if (m.maxTimestamp > max) max = m.maxTimestamp;
  }
  if (blocks.length === 0 || cells !== f.cellCount || raw !== f.rawBytes || min !== f.minTimestamp || max !== f.maxTimestamp)
    throw corruption(`fragment ${path}: index totals disagree with the footer`, path);
}
