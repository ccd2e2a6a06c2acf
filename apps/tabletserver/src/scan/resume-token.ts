// The stateless scan continuation (DESIGN §4): a resume token names where
// the previous page stopped, so the next page can be asked of any server
// that now serves the range — after a split, a move or a restart — with
// no cell returned twice and none skipped. No server state stands behind
// it.
//
// Token: base64url (RFC 4648 §5, no padding) of, integers little-endian,
//
//   offset size
//   0      1    version = 1
//   1      1    kind: 1 = after the key below, 2 = after every cell of the row below
//   2      8    first 8 bytes of SHA-256(table "\n" canonical predicate text)
//   10     4    row length R, then R row bytes
//   kind 1 only:
//          4    column length C, then C column bytes
//          8    timestamp, int64 within ±(2^53-1)
//   the token ends exactly there.
//
// The digest binds a token to its table and predicate: a token is refused
// (INVALID_ARGUMENT) with another predicate, since its position would not
// mean "where that scan stopped". The canonical text is the same for the
// text and the structured form of a predicate, so either may be used.
// Tokens carry user data (a row and a column) in the clear: they are not
// secret, only opaque.

import { createHash } from 'node:crypto';
import { KdiError, type CellLimits } from '@kdi/protocol';
import type { ScanPosition } from './scan-position.js';

const VERSION = 1;
const KIND_KEY = 1;
const KIND_AFTER_ROW = 2;
const DIGEST_BYTES = 8;
const HEADER_BYTES = 2 + DIGEST_BYTES;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** SHA-256(table "\n" canonical predicate), truncated: what a token is bound to. */
export function predicateDigest(table: string, canonicalPredicate: string): Buffer {
  return createHash('sha256').update(`${table}\n${canonicalPredicate}`, 'utf8').digest().subarray(0, DIGEST_BYTES);
}

export function encodeResumeToken(position: ScanPosition, digest: Uint8Array): string {
  const isKey = position.kind === 'key';
  const size = HEADER_BYTES + 4 + position.row.length + (isKey ? 4 + position.column.length + 8 : 0);
  const out = Buffer.alloc(size);
  out[0] = VERSION;
  out[1] = isKey ? KIND_KEY : KIND_AFTER_ROW;
  out.set(digest.subarray(0, DIGEST_BYTES), 2);
  let p = HEADER_BYTES;
  out.writeUInt32LE(position.row.length, p);
  out.set(position.row, p + 4);
  p += 4 + position.row.length;
  if (isKey) {
    out.writeUInt32LE(position.column.length, p);
    out.set(position.column, p + 4);
    p += 4 + position.column.length;
    out.writeBigInt64LE(BigInt(position.timestamp), p);
  }
  return out.toString('base64url');
}

/**
 * The position in `token`; INVALID_ARGUMENT saying what is wrong when it is
 * malformed, from another predicate or table, or breaks the cell limits.
 */
export function decodeResumeToken(token: string, digest: Uint8Array, limits: CellLimits): ScanPosition {
  if (!BASE64URL.test(token)) {
    const bad = /[^A-Za-z0-9_-]/.exec(token)!;
    throw invalid(`${JSON.stringify(bad[0])} at character ${bad.index} is not base64url (A-Z a-z 0-9 - _, no padding)`);
  }
  const bytes = Buffer.from(token, 'base64url');
  // Node ignores trailing bits that do not make a byte; refuse such spellings, so a token has one.
  if (bytes.toString('base64url') !== token) throw invalid('it is not canonical base64url (cut short or with extra characters?)');
  if (bytes.length < HEADER_BYTES + 4) throw invalid(`it is ${bytes.length} bytes, too short to hold a position`);
  if (bytes[0] !== VERSION) throw invalid(`version ${bytes[0]} is not known (this server reads version ${VERSION})`);
  const kind = bytes[1];
  if (kind !== KIND_KEY && kind !== KIND_AFTER_ROW) throw invalid(`position kind ${kind} is not known`);
  if (!bytes.subarray(2, HEADER_BYTES).equals(Buffer.from(digest.subarray(0, DIGEST_BYTES)))) {
    throw invalid('it was made for another predicate or table; send the same predicate (text or structure) as the scan that returned it');
  }
  let p = HEADER_BYTES;
  const rowLength = bytes.readUInt32LE(p);
  p += 4;
  if (rowLength > limits.maxRowBytes) throw invalid(`its row is ${rowLength} bytes, over the ${limits.maxRowBytes}-byte row limit`);
  if (rowLength > bytes.length - p) throw invalid('its row runs past the end of the token');
  const row = bytes.subarray(p, p + rowLength);
  p += rowLength;
  if (kind === KIND_AFTER_ROW) {
    if (p !== bytes.length) throw invalid(`${bytes.length - p} bytes of garbage follow the position`);
    return { kind: 'after-row', row };
  }
  if (bytes.length - p < 4) throw invalid('it ends before the column length');
  const columnLength = bytes.readUInt32LE(p);
  p += 4;
  if (columnLength > limits.maxColumnBytes) throw invalid(`its column is ${columnLength} bytes, over the ${limits.maxColumnBytes}-byte column limit`);
  if (columnLength > bytes.length - p) throw invalid('its column runs past the end of the token');
  const column = bytes.subarray(p, p + columnLength);
  p += columnLength;
  if (bytes.length - p !== 8) throw invalid(bytes.length - p < 8 ? 'it ends inside the timestamp' : `${bytes.length - p - 8} bytes of garbage follow the position`);
  const timestamp = bytes.readBigInt64LE(p);
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER) || timestamp < BigInt(-Number.MAX_SAFE_INTEGER)) {
    throw invalid(`its timestamp ${timestamp} is outside ±(2^53-1)`);
  }
  return { kind: 'key', row, column, timestamp: Number(timestamp) };
}

function invalid(problem: string): KdiError {
  return new KdiError('INVALID_ARGUMENT', `the resume token is not valid: ${problem}. Use the token of the previous page unchanged, or start the scan again without one`, {
    details: { field: 'resume' },
  });
}
