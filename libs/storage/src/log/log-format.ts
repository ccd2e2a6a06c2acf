// Write-ahead log record format (the analogue of LevelDB's db/log_format.h).
//
// A segment file is a plain sequence of records, no file header, no padding:
//
//   offset  size  field
//   0       4     len         u32 LE  payload length in bytes
//   4       4     crc         u32 LE  CRC-32C of bytes [0,4) then [8, 24+len)
//   8       8     segment id  u64 LE  the id in the file's name
//   16      8     seq         u64 LE  record sequence number, > every earlier one
//   24      len   payload
//
// The crc covers the length too (everything but itself): a torn or flipped
// length makes the record fail its check rather than frame garbage. The
// segment id ties a record to its file, so bytes copied or left over from
// another segment never parse as this one's records; it is also what a
// forward scan for "is there a valid record after this damage?" keys on.
// Ids and seqs are written as u64 but must be safe integers (< 2^53).
// All-zero bytes never parse (the CRC of zeros is not zero), so a zero-filled
// tail reads as torn.
import { crc32c, readU64, writeU64 } from '@kdi/primitives';
import { blockCrc32c } from '../util/block-checksum.js';

export const RECORD_HEADER_BYTES = 24;
/** Largest payload one record may carry. */
export const MAX_RECORD_PAYLOAD = 256 * 1024 * 1024;

/** Encoded size of a record with a `payloadLength`-byte payload. */
export function recordSize(payloadLength: number): number {
  return RECORD_HEADER_BYTES + payloadLength;
}

/**
 * Writes one record at `offset` of `buf` (which must have room for
 * recordSize(payload.length) bytes); returns the offset after it.
 */
export function encodeRecord(buf: Uint8Array, view: DataView, offset: number, segmentId: number, seq: number, payload: Uint8Array): number {
  const end = offset + RECORD_HEADER_BYTES + payload.length;
  view.setUint32(offset, payload.length, true);
  writeU64(buf, offset + 8, segmentId);
  writeU64(buf, offset + 16, seq);
  buf.set(payload, offset + RECORD_HEADER_BYTES);
  view.setUint32(offset + 4, recordCrc(buf, offset, end), true);
  return end;
}

export type ParsedRecord =
  | { kind: 'ok'; seq: number; payloadStart: number; end: number }
  /** The header or the payload runs past the end of the data. */
  | { kind: 'incomplete'; reason: string }
  /** Bytes are present but are not a valid record of this segment. */
  | { kind: 'bad'; reason: string };

/** Parses the record at `offset` of `buf[0, size)` in segment `segmentId`. */
export function parseRecord(buf: Uint8Array, view: DataView, offset: number, size: number, segmentId: number): ParsedRecord {
  if (size - offset < RECORD_HEADER_BYTES) {
    return { kind: 'incomplete', reason: `${size - offset} bytes left, less than a record header` };
  }
  const len = view.getUint32(offset, true);
  const end = offset + RECORD_HEADER_BYTES + len;
  if (len > MAX_RECORD_PAYLOAD) return { kind: 'bad', reason: `record length ${len} exceeds the maximum` };
  if (end > size) return { kind: 'incomplete', reason: `record of length ${len} runs past the end of the file` };
  const stored = view.getUint32(offset + 4, true);
  if (recordCrc(buf, offset, end) !== stored) return { kind: 'bad', reason: 'checksum mismatch' };
  const id = readU64(buf, offset + 8);
  if (id !== segmentId) return { kind: 'bad', reason: `record names segment ${id}, not ${segmentId}` };
  const seq = readU64(buf, offset + 16);
  if (seq === undefined) return { kind: 'bad', reason: 'sequence number beyond 2^53' };
  return { kind: 'ok', seq, payloadStart: offset + RECORD_HEADER_BYTES, end };
}

/**
 * Offset of the first record of segment `segmentId` that starts in
 * (from, size) and passes its checks, or -1. Candidates are found by a native
 * search for the segment id bytes, so scanning megabytes of damage is cheap.
 */
export function findNextValidRecord(buf: Uint8Array, view: DataView, from: number, size: number, segmentId: number): number {
  const hay = Buffer.from(buf.buffer, buf.byteOffset, size);
  const needle = Buffer.alloc(8);
  writeU64(needle, 0, segmentId);
  for (let at = hay.indexOf(needle, from + 1 + 8); at >= 0; at = hay.indexOf(needle, at + 1)) {
    const start = at - 8;
    if (parseRecord(buf, view, start, size, segmentId).kind === 'ok') return start;
  }
  return -1;
}

function recordCrc(buf: Uint8Array, offset: number, end: number): number {
  return blockCrc32c(buf, crc32c(buf, 0, offset, offset + 4), offset + 8, end);
}
