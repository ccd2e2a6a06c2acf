// Byte strings outside cells (predicate bounds, tablet bounds, split rows)
// as JSON strings, in the request's encoding (DESIGN §2): UTF-8 text, or
// standard padded base64. Decoding is strict (decodeBase64; text with an
// unpaired surrogate is refused), so every byte string has one spelling.

import { decodeBase64 } from './json-codec.js';
import { KdiError } from '../errors/kdi-error.js';
import type { CellEncoding } from './json-schema.js';

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
