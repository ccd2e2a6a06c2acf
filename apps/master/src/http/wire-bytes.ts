// Byte strings (rows, bounds, predicate literals) as JSON strings, in the
// request's encoding (DESIGN §2): UTF-8 text, or standard padded base64.
// Decoding is strict (protocol's decodeBase64; text with an unpaired
// surrogate is refused), so every byte string has one spelling.

import { isUtf8 } from 'node:buffer';
import { decodeBase64, KdiError, type CellEncoding } from '@kdi/protocol';

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** `text` in `encoding` → bytes; `where` names the field in errors; `limit` caps the decoded size. */
export function decodeWireBytes(text: string, encoding: CellEncoding, where: string, limit = Number.POSITIVE_INFINITY): Buffer {
  let bytes: Buffer;
  if (encoding === 'base64') {
    bytes = decodeBase64(text, where);
  } else {
    if (!(text as unknown as { isWellFormed(): boolean }).isWellFormed()) {
      throw new KdiError('INVALID_ARGUMENT', `${where} has an unpaired UTF-16 surrogate, so it is not text; send it with encoding "base64"`, {
        details: { field: where },
      });
    }
    bytes = Buffer.from(text, 'utf8');
  }
  if (bytes.length > limit) {
    throw new KdiError('INVALID_ARGUMENT', `${where} is ${bytes.length} bytes; the limit is ${limit}`, { details: { field: where, bytes: bytes.length, limit } });
  }
  return bytes;
}

/** Bytes → a JSON string in `encoding`; the caller has checked that utf8 is possible (see allUtf8). */
export function encodeWireBytes(bytes: Uint8Array, encoding: CellEncoding): string {
  return asBuffer(bytes).toString(encoding === 'base64' ? 'base64' : 'utf8');
}

/** True when every byte string is valid UTF-8 (so a utf8 response can carry them). */
export function allUtf8(list: Iterable<Uint8Array | undefined>): boolean {
  for (const b of list) if (b !== undefined && !isUtf8(b)) return false;
  return true;
}

/**
 * A row for error details: `{row, rowEncoding}` with the row as text when
 * it is UTF-8, else base64 — errors have no request encoding to follow
 * (binary requests have none), so they say which one they used.
 */
export function rowDetails(row: Uint8Array): { row: string; rowEncoding: CellEncoding } {
  return isUtf8(row) ? { row: encodeWireBytes(row, 'utf8'), rowEncoding: 'utf8' } : { row: encodeWireBytes(row, 'base64'), rowEncoding: 'base64' };
}
