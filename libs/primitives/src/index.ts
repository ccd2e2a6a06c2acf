// @kdi/primitives — the leaf every KDI package shares (DESIGN §16): the
// cell model and key order, byte intervals, CRC-32C, little-endian ints and
// varints, the LZ4 block codec and the codec port, the clock port, byte
// counts for people. It
// imports nothing: no package, no other library of ours; Node's Buffer and
// timers only.

export { cellSize, compareBytes, compareCellKeys, familyOf, sameBytes, sameKey, type Cell, type CellKey } from './cells/cell.js';
export {
  aboveLowerBound,
  belowUpperBound,
  compareNumbers,
  intersectIntervals,
  intervalContains,
  isEmptyInterval,
  normalizedSetContains,
  normalizeIntervals,
  type Bound,
  type Compare,
  type Interval,
} from './intervals/intervals.js';
export { crc32c } from './checksum/crc32c.js';
export {
  ByteReader,
  ByteWriter,
  readI64,
  readU32,
  readU64,
  readVarint,
  TWO_POW_32,
  varintSize,
  writeI64,
  writeU32,
  writeU64,
  writeVarint,
  type VarintRead,
  type VarintStatus,
} from './bytes/byte-io.js';
export { lz4CompressBlock, lz4CompressBlockInto, lz4CompressBound, lz4DecompressBlock, Lz4FormatError } from './compression/lz4-block.js';
export { LZ4_CODEC_ID, tsLz4Codec, UNCOMPRESSED_CODEC_ID, type BlockCodec } from './compression/block-codec.js';
export { clockFromMonotonic, systemClock, type Clock } from './time/clock.js';
export { MANUAL_CLOCK_DEFAULT_WALL_MICROS, ManualClock, type ManualClockStart } from './time/manual-clock.js';
export { formatBytes } from './text/format-bytes.js';
