// File contents on the wire: a JSON string in one of two encodings.
//  - utf8: the string's UTF-8 bytes. A string with an unpaired surrogate
//    has no UTF-8 form and is refused (Buffer.from would silently turn it
//    into U+FFFD and store different bytes than the caller sent).
//  - base64: strict RFC 4648 (decodeBase64 from @kdi/protocol), so every
//    byte string has exactly one spelling and typos are not dropped.
// Reading back as utf8 bytes that are not valid UTF-8 is refused with a
// message that says to ask for base64, rather than corrupting them.

import { isUtf8 } from 'node:buffer';
import { decodeBase64, KdiError } from '@kdi/protocol';

/** In `u` mode a paired surrogate is one code point, so this matches only unpaired ones. */
const LONE_SURROGATE = /\p{Cs}/u;

export type ContentsEncoding = 'utf8' | 'base64';

/** Request contents → bytes; INVALID_ARGUMENT naming the field and the limit. */
export function decodeContents(text: string, encoding: ContentsEncoding, maxBytes: number): Uint8Array {
  let bytes: Buffer;
  if (encoding === 'base64') {
    bytes = decodeBase64(text, 'contents');
  } else {
    if (LONE_SURROGATE.test(text)) {
      throw new KdiError('INVALID_ARGUMENT', 'contents contain an unpaired UTF-16 surrogate, which has no UTF-8 form; send binary contents with encoding "base64"', {
        details: { field: 'contents' },
      });
    }
    bytes = Buffer.from(text, 'utf8');
  }
  if (bytes.length > maxBytes) {
    throw new KdiError('INVALID_ARGUMENT', `contents are ${bytes.length} bytes; the limit is ${maxBytes} bytes (maxContentsBytes)`, {
      details: { field: 'contents', size: bytes.length, limit: maxBytes },
    });
  }
  return bytes;
}

/** Stored bytes → response text; INVALID_ARGUMENT when utf8 cannot carry them. */
export function encodeContents(bytes: Uint8Array, encoding: ContentsEncoding, path: string): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (encoding === 'base64') return buf.toString('base64');
  if (!isUtf8(buf)) {
    throw new KdiError('INVALID_ARGUMENT', `the contents of ${path} are not valid UTF-8, so they cannot be sent as text; ask with ?encoding=base64`, {
      details: { path, field: 'encoding' },
    });
  }
  return buf.toString('utf8');
}
