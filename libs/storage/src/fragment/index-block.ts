// The index block (layout in fragment-format.ts): one entry per data block,
// read once when a fragment is opened and kept in memory for seeks, block
// skipping (time range, family mask) and split points.
import { ByteReader, ByteWriter } from '@kdi/primitives';
import { maskFromHalves, maskHalves } from './family-mask.js';
import { TRAILER_SIZE } from './fragment-format.js';

export interface BlockMeta {
  /** The block's last key. */
  readonly lastRow: Uint8Array;
  readonly lastColumn: Uint8Array;
  readonly lastTimestamp: number;
  /** Where the stored block starts in the file, and its stored size (trailer included). */
  readonly offset: number;
  readonly storedSize: number;
  /** Uncompressed payload bytes. */
  readonly rawSize: number;
  readonly cellCount: number;
  readonly minTimestamp: number;
  readonly maxTimestamp: number;
  /** Bit familyBit(f) set for every family f with a cell in the block (family-mask.ts). */
  readonly familyMask: bigint;
}

export interface IndexContents {
  readonly blocks: readonly BlockMeta[];
  /** The first row of the file. */
  readonly firstRow: Uint8Array;
}

/** The index payload, with `spare` writable bytes after it (room for the block trailer). */
export function encodeIndex(index: IndexContents, spare = 0): Uint8Array {
  const w = new ByteWriter(64 + index.blocks.length * 64);
  w.varint(index.blocks.length);
  for (const m of index.blocks) {
    const [lo, hi] = maskHalves(m.familyMask);
    w.lengthPrefixed(m.lastRow).lengthPrefixed(m.lastColumn).i64(m.lastTimestamp);
    w.varint(m.offset).varint(m.storedSize).varint(m.rawSize).varint(m.cellCount);
    w.i64(m.minTimestamp).i64(m.maxTimestamp).u32(lo).u32(hi);
  }
  w.lengthPrefixed(index.firstRow);
  return w.finish(spare);
}

/**
 * Parses an index payload; returns a reason string when it is malformed or
 * inconsistent (blocks not contiguous from 0 up to `dataEnd`, bad counts).
 * Row and column fields are views of `payload`.
 */
export function decodeIndex(payload: Uint8Array, dataEnd: number, blockCount: number): IndexContents | string {
  const r = new ByteReader(payload);
  const n = r.varint();
  if (!r.ok || n !== blockCount) return `index holds ${n} blocks, footer says ${blockCount}`;
  const blocks: BlockMeta[] = [];
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const lastRow = r.lengthPrefixed();
    const lastColumn = r.lengthPrefixed();
    const lastTimestamp = r.i64();
    const m: BlockMeta = {
      lastRow,
      lastColumn,
      lastTimestamp,
      offset: r.varint(),
      storedSize: r.varint(),
      rawSize: r.varint(),
      cellCount: r.varint(),
      minTimestamp: r.i64(),
      maxTimestamp: r.i64(),
      familyMask: maskFromHalves(r.u32(), r.u32()),
    };
    if (!r.ok) return `index entry ${i} is truncated or malformed`;
    if (m.offset !== offset) return `index entry ${i}: block offset ${m.offset}, expected ${offset}`;
    if (m.storedSize <= TRAILER_SIZE || m.cellCount < 1 || m.minTimestamp > m.maxTimestamp) return `index entry ${i} is inconsistent`;
    if (m.lastTimestamp < m.minTimestamp || m.lastTimestamp > m.maxTimestamp) return `index entry ${i} is inconsistent`;
    offset += m.storedSize;
    blocks.push(m);
  }
  const firstRow = r.lengthPrefixed();
  if (!r.ok || !r.atEnd) return 'index block has trailing or missing bytes';
  if (offset !== dataEnd) return `data blocks end at ${offset}, index starts at ${dataEnd}`;
  return { blocks, firstRow };
}
