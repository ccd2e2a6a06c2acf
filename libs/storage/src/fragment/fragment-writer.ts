// Writes one immutable disk fragment (format in fragment-format.ts).
//
// Contract:
//  - add() is synchronous and takes cells in strictly increasing key order
//    (row asc, column asc, timestamp desc); an equal or earlier key is
//    StorageError('invalid-argument') and leaves the writer usable.
//  - Full data blocks are compressed and appended in the background, in
//    order, on one promise chain; a failed append is reported by the next
//    add(), drain() or finish(). add() never waits, so a caller producing
//    cells without awaiting anything should `await drain()` whenever
//    `pendingBytes` grows past its budget — that is what bounds memory.
//  - finish() appends index, bloom filter and footer, syncs, closes and
//    returns the fragment's totals; a fragment holds at least one cell.
//  - abort() stops, closes and unlinks the file (also after a failure).
//  - The file is written at `path` as given (created, or truncated if it
//    exists): writing to a temporary name and renaming it into place is the
//    caller's job.
import { compareBytes, type Cell } from '@kdi/primitives';
import type { BlockCodec } from '../codec/block-codec.js';
import { UNCOMPRESSED_CODEC_ID } from '../codec/codec-registry.js';
import { closed, invalidArgument, isStorageError, StorageError } from '../errors.js';
import type { FileSystem, WritableFile } from '../fs/file-system.js';
import { BloomFilterBuilder, DEFAULT_BLOOM_BITS_PER_ROW } from './bloom-filter.js';
import { DataBlockBuilder } from './data-block.js';
import { familyBitOfColumn, maskFromHalves } from './family-mask.js';
import { DEFAULT_BLOCK_SIZE, encodeFooter, sealBlock, TRAILER_SIZE } from './fragment-format.js';
import type { FragmentInfo } from './fragment-info.js';
import { type BlockMeta, encodeIndex } from './index-block.js';

export type { FragmentInfo } from './fragment-info.js';

export interface FragmentWriterOptions {
  /** Target uncompressed size of a data block (default 64 KiB); a block ends after the cell that reaches it. */
  readonly blockSize?: number;
  /** Block codec; null or absent stores blocks uncompressed. A block stays uncompressed when compressing does not shrink it. */
  readonly codec?: BlockCodec | null;
  /** Bloom filter bits per distinct row (default 10, about 1% false positives). */
  readonly bloomBitsPerRow?: number;
}

const MAX_BLOCK_SIZE = 256 * 1024 * 1024;

export class FragmentWriter {
  private block: DataBlockBuilder;
  private readonly blocks: BlockMeta[] = [];
  private readonly bloom = new BloomFilterBuilder();
  private state: 'open' | 'finishing' | 'finished' | 'aborted' = 'open';
  private writes: Promise<void> = Promise.resolve();
  private writeError: unknown;
  private pending = 0;
  /** Bytes handed to the write chain so far: the next block's offset. */
  private offset = 0;
  private cellCount = 0;
  private rowCount = 0;
  private rawBytes = 0;
  private minTimestamp = Number.POSITIVE_INFINITY;
  private maxTimestamp = Number.NEGATIVE_INFINITY;
  private firstRow: Uint8Array | undefined;
  /** The previous cell's key; row and column are immutable views (data-block.ts). */
  private prevRow: Uint8Array | undefined;
  private prevColumn: Uint8Array = new Uint8Array(0);
  private prevTimestamp = 0;
  private prevFamilyBit = 0;

  private constructor(
    private readonly fs: FileSystem,
    private readonly file: WritableFile,
    private readonly blockSize: number,
    private readonly codec: BlockCodec | null,
    private readonly bloomBitsPerRow: number,
  ) {
    this.block = this.newBlock();
  }

  /** Creates (or truncates) `path` and returns a writer for it. */
  static async create(fs: FileSystem, path: string, opts: FragmentWriterOptions = {}): Promise<FragmentWriter> {
    const blockSize = opts.blockSize ?? DEFAULT_BLOCK_SIZE;
    if (!Number.isSafeInteger(blockSize) || blockSize < 1 || blockSize > MAX_BLOCK_SIZE)
      throw invalidArgument(`blockSize must be an integer in [1, ${MAX_BLOCK_SIZE}], got ${blockSize}`);
    const bits = opts.bloomBitsPerRow ?? DEFAULT_BLOOM_BITS_PER_ROW;
    if (!(bits >= 1 && bits <= 64)) throw invalidArgument(`bloomBitsPerRow must be in [1, 64], got ${bits}`);
    const codec = opts.codec ?? null;
    if (codec && (codec.id === UNCOMPRESSED_CODEC_ID || codec.id > 255 || !Number.isInteger(codec.id)))
      throw invalidArgument(`codec ${codec.name} has id ${codec.id}; ids are 1..255`);
    const file = await fs.openWrite(path, 'truncate');
    return new FragmentWriter(fs, file, blockSize, codec, bits);
  }

  get path(): string {
    return this.file.path;
  }

  /** Bytes of finished blocks not yet appended to the file. */
  get pendingBytes(): number {
    return this.pending;
  }

  /** Resolves when every finished block is appended; rejects with a write failure. */
  async drain(): Promise<void> {
    await this.writes;
    this.throwIfFailed();
  }

  add(cell: Cell): void {
    if (this.state !== 'open') throw closed(`fragment writer for ${this.file.path}`);
    this.throwIfFailed();
    const { row, column, timestamp } = cell;
    if (!Number.isSafeInteger(timestamp)) throw invalidArgument(`timestamp ${timestamp} is not a safe integer`);
    const prevRow = this.prevRow;
    let sameRow = false;
    let sameColumn = false;
    if (prevRow !== undefined) {
      const r = row === prevRow ? 0 : compareBytes(row, prevRow);
      const c = column === this.prevColumn ? 0 : compareBytes(column, this.prevColumn);
      if (r < 0 || (r === 0 && (c < 0 || (c === 0 && timestamp >= this.prevTimestamp))))
        throw invalidArgument(`fragment ${this.file.path}: cells must be added in strictly increasing key order`);
      sameRow = r === 0;
      sameColumn = c === 0;
    }
    if (!sameRow) {
      this.rowCount++;
      this.bloom.add(row);
      if (this.firstRow === undefined) this.firstRow = new Uint8Array(row);
    }
    if (!sameColumn) this.prevFamilyBit = familyBitOfColumn(column);
    const block = this.block;
    block.add(cell, sameRow, sameColumn, this.prevFamilyBit);
    this.prevRow = block.lastRow;
    this.prevColumn = block.lastColumn;
    this.prevTimestamp = timestamp;
    this.cellCount++;
    if (timestamp < this.minTimestamp) this.minTimestamp = timestamp;
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
    if (block.length >= this.blockSize) this.endBlock();
  }

  /** Writes index, bloom filter and footer, syncs and closes the file. */
  async finish(): Promise<FragmentInfo> {
    if (this.state !== 'open') throw closed(`fragment writer for ${this.file.path}`);
    this.throwIfFailed();
    if (this.cellCount === 0) throw invalidArgument(`fragment ${this.file.path}: a fragment needs at least one cell (abort() instead)`);
    this.state = 'finishing';
    if (this.block.cellCount > 0) this.endBlock();
    const indexOffset = this.offset;
    const index = encodeIndex({ blocks: this.blocks, firstRow: this.firstRow! }, TRAILER_SIZE);
    sealBlock(index, index.length - TRAILER_SIZE, UNCOMPRESSED_CODEC_ID);
    const bloom = this.bloom.build(this.bloomBitsPerRow, TRAILER_SIZE);
    sealBlock(bloom, bloom.length - TRAILER_SIZE, UNCOMPRESSED_CODEC_ID);
    const footer = encodeFooter({
      indexOffset,
      indexSize: index.length,
      bloomSize: bloom.length,
      blockCount: this.blocks.length,
      cellCount: this.cellCount,
      rowCount: this.rowCount,
      rawBytes: this.rawBytes,
      minTimestamp: this.minTimestamp,
      maxTimestamp: this.maxTimestamp,
    });
    this.enqueue(Buffer.concat([index, bloom, footer]));
    await this.writes;
    this.throwIfFailed();
    await this.file.sync();
    await this.file.close();
    this.state = 'finished';
    const last = this.blocks[this.blocks.length - 1]!;
    return {
      path: this.file.path,
      fileBytes: this.offset,
      cellCount: this.cellCount,
      rowCount: this.rowCount,
      rawBytes: this.rawBytes,
      blockCount: this.blocks.length,
      minTimestamp: this.minTimestamp,
      maxTimestamp: this.maxTimestamp,
      firstRow: this.firstRow!,
      lastRow: last.lastRow,
    };
  }

  /** Stops writing, closes and removes the file. Safe to call more than once and after a failure. */
  async abort(): Promise<void> {
    if (this.state === 'aborted') return;
    const wasFinished = this.state === 'finished';
    this.state = 'aborted';
    await this.writes;
    if (!wasFinished) await this.file.close().catch(() => undefined);
    try {
      await this.fs.unlink(this.file.path);
    } catch (e) {
      if (!isStorageError(e, 'not-found')) throw e;
    }
  }

  private newBlock(): DataBlockBuilder {
    return new DataBlockBuilder(Math.max(1024, this.blockSize + (this.blockSize >>> 4) + 256));
  }

  /** Seals the current block, queues its append and starts a new block. */
  private endBlock(): void {
    const b = this.block;
    const raw = b.finish();
    const rawSize = raw.length - TRAILER_SIZE;
    let stored = raw;
    let codecId = UNCOMPRESSED_CODEC_ID;
    const compressed = this.codec?.compress(raw.subarray(0, rawSize));
    if (compressed && compressed.length < rawSize) {
      stored = new Uint8Array(compressed.length + TRAILER_SIZE);
      stored.set(compressed);
      codecId = this.codec!.id;
    }
    sealBlock(stored, stored.length - TRAILER_SIZE, codecId);
    this.blocks.push({
      // Copies: the index outlives the block buffers, which it must not pin.
      lastRow: b.lastRow.slice(),
      lastColumn: b.lastColumn.slice(),
      lastTimestamp: b.lastTimestamp,
      offset: this.offset,
      storedSize: stored.length,
      rawSize,
      cellCount: b.cellCount,
      minTimestamp: b.minTimestamp,
      maxTimestamp: b.maxTimestamp,
      familyMask: maskFromHalves(b.familyMaskLo, b.familyMaskHi),
    });
    this.rawBytes += rawSize;
    this.enqueue(stored);
    this.block = this.newBlock();
  }

  private enqueue(bytes: Uint8Array): void {
    this.offset += bytes.length;
    this.pending += bytes.length;
    this.writes = this.writes.then(async () => {
      try {
        if (this.writeError === undefined && this.state !== 'aborted') await this.file.append(bytes);
      } catch (e) {
        this.writeError = e;
      } finally {
        this.pending -= bytes.length;
      }
    });
  }

  private throwIfFailed(): void {
    const e = this.writeError;
    if (e === undefined) return;
    if (e instanceof StorageError) throw e;
    throw new StorageError('io', `fragment ${this.file.path}: write failed: ${String(e)}`, this.file.path, { cause: e });
  }
}
