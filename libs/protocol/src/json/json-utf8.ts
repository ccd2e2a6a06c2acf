// JSON request bodies must be UTF-8 (RFC 8259 §8.1). A decoder that
// replaces an invalid sequence with U+FFFD (what Fastify's default JSON
// parser does, through Buffer#toString) changes the data silently: a row
// sent as the bytes ff fe would be stored as ef bf bd ef bf bd. Servers
// check the raw bytes first and refuse such a body with INVALID_ARGUMENT
// naming the byte offset and the JSON field it lies in, so the client can
// send that field with "encoding":"base64" instead.

import { isUtf8 } from 'node:buffer';
import { KdiError } from '../errors/kdi-error.js';

/**
 * INVALID_ARGUMENT unless `bytes` are well-formed UTF-8 (no stray or
 * missing continuation bytes, no overlong forms such as c0 80, no
 * surrogates, nothing above U+10FFFF). `root` names the body in messages
 * ("body" → "body.cells[3].row"); `hint` says what to send instead.
 */
export function checkJsonUtf8(bytes: Uint8Array, root = 'body', hint = 'send bytes that are not text with "encoding":"base64"'): void {
  if (isUtf8(bytes)) return;
  const offset = firstInvalidUtf8(bytes);
  const where = jsonPathAt(bytes, offset, root);
  const shown = Buffer.from(bytes.subarray(offset, offset + 4))
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');
  throw new KdiError(
    'INVALID_ARGUMENT',
    `${where.path}: invalid UTF-8 at byte ${offset} of the body (${shown}${where.inKey ? ', in a field name' : ''}); JSON text must be UTF-8 — ${hint}`,
    { details: { field: where.path, byteOffset: offset } },
  );
}

/** The offset of the first byte of the first ill-formed UTF-8 sequence, or -1 when `bytes` are well-formed. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b === 0xe0) [need, lo] = [2, 0xa0];
    else if (b === 0xed) [need, hi] = [2, 0x9f];
    else if (b >= 0xe1 && b <= 0xef) need = 2;
    else if (b === 0xf0) [need, lo] = [3, 0x90];
    else if (b === 0xf4) [need, hi] = [3, 0x8f];
    else if (b >= 0xf1 && b <= 0xf3) need = 3;
    else return i;
    const second = bytes[i + 1];
    if (second === undefined || second < lo || second > hi) return i;
    for (let k = 2; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

type Frame = { kind: 'object'; key: string | undefined; expectKey: boolean } | { kind: 'array'; index: number };

/**
 * The JSON path (`body.cells[3].row`) of the value that contains byte
 * `offset`, found by walking the JSON structure before it (those bytes are
 * valid UTF-8, and every structural character is ASCII). Best effort on
 * malformed JSON: it names the innermost container reached.
 */
export function jsonPathAt(bytes: Uint8Array, offset: number, root = 'body'): { path: string; inKey: boolean } {
  const stack: Frame[] = [];
  const path = (): string => {
    let p = root;
    for (const f of stack) {
      if (f.kind === 'array') p += `[${f.index}]`;
      else if (f.key !== undefined) p += /^[A-Za-z_$][\w$]*$/.test(f.key) ? `.${f.key}` : `[${JSON.stringify(f.key)}]`;
    }
    return p;
  };
  let i = 0;
  while (i < offset && i < bytes.length) {
    const c = bytes[i]!;
    const top = stack[stack.length - 1];
    if (c === 0x22 /* " */) {
      const start = i;
      i++;
      while (i < bytes.length && bytes[i] !== 0x22) i += bytes[i] === 0x5c /* \ */ ? 2 : 1;
      if (i >= offset) return { path: path(), inKey: top?.kind === 'object' && top.expectKey };
      if (top?.kind === 'object' && top.expectKey) top.key = decodeKey(bytes.subarray(start, i + 1));
    } else if (c === 0x7b /* { */) {
      stack.push({ kind: 'object', key: undefined, expectKey: true });
    } else if (c === 0x5b /* [ */) {
      stack.push({ kind: 'array', index: 0 });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      if (top?.kind === 'array') top.index++;
      else if (top?.kind === 'object') top.expectKey = true;
    } else if (c === 0x3a /* : */) {
      if (top?.kind === 'object') top.expectKey = false;
    }
    i++;
  }
  return { path: path(), inKey: false };
}

function decodeKey(quoted: Uint8Array): string {
  const text = Buffer.from(quoted).toString('utf8');
  try {
    const key: unknown = JSON.parse(text);
    return typeof key === 'string' ? key : text;
  } catch {
    return text.slice(1, -1);
  }
}
