// JSON cells (json-schema.ts) to and from Cells.
//
// utf8: a field is the UTF-8 encoding of its string. A request string with
// an unpaired surrogate has no UTF-8 form and is rejected (Buffer.from would
// silently turn it into U+FFFD). A response field whose bytes are not valid
// UTF-8 cannot be written as a JSON string without corrupting it, so
// encodeJsonCells throws INVALID_ARGUMENT telling the caller to ask for
// base64; a server that prefers to answer anyway checks needsBase64()
// first and switches the response to base64.
//
// base64: standard alphabet (A-Z a-z 0-9 + /), padded to a multiple of 4,
// unused trailing bits zero (RFC 4648 §3.5) — so every byte string has one
// spelling. Node's decoder skips bad characters silently, hence the checks.

import { isUtf8 } from 'node:buffer';
import { KdiError } from '../errors/kdi-error.js';
import type { Cell } from '@kdi/primitives';
import { cellBytes, DEFAULT_LIMITS, tooBig, type CellLimits } from './limits.js';
import { JsonCellsInputSchema, type CellEncoding, type JsonCell } from './json-schema.js';

const BASE64_SHAPE = /^[A-Za-z0-9+/]*={0,2}$/;
const NOT_BASE64_CHAR = /[^A-Za-z0-9+/=]/;
const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** How many zod issues to spell out before summarising the rest. */
const MAX_ISSUES_SHOWN = 3;

type TextField = 'row' | 'column' | 'value';

/**
 * Validates and decodes a request's `cells` (any JSON value). Throws
 * INVALID_ARGUMENT naming the cell and field on a shape error (unknown
 * field, wrong type, timestamp not a safe integer, erase with a value,
 * neither value nor erase), bad text or base64, or a broken limit.
 */
export function decodeJsonCells(cells: unknown, encoding: CellEncoding, limits: CellLimits = DEFAULT_LIMITS): Cell[] {
  const parsed = JsonCellsInputSchema.safeParse(cells);
  if (!parsed.success) throw shapeError(parsed.error.issues);
  const input = parsed.data;
  const out = new Array<Cell>(input.length);
  let total = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    let value: Buffer | null;
    if (c.erase === true) {
      if (c.value !== undefined) {
        throw invalid(`cells[${i}] has both "value" and "erase": an erasure carries no value`, `cells[${i}]`);
      }
      value = null;
    } else {
      if (c.value === undefined) throw invalid(`cells[${i}] has neither "value" nor "erase": true`, `cells[${i}]`);
      value = decodeField(c.value, encoding, i, 'value', limits.maxValueBytes);
    }
    const cell: Cell = {
      row: decodeField(c.row, encoding, i, 'row', limits.maxRowBytes),
      column: decodeField(c.column, encoding, i, 'column', limits.maxColumnBytes),
      timestamp: c.timestamp,
      value,
    };
    total += cellBytes(cell);
    if (total > limits.maxRequestBytes) {
      throw invalid(`the cells up to cells[${i}] add up to ${total} bytes; the request limit is ${limits.maxRequestBytes} (split the batch)`, 'cells');
    }
    out[i] = cell;
  }
  return out;
}

/**
 * Cells in their JSON form, for responses. With utf8, throws
 * INVALID_ARGUMENT if a field is not valid UTF-8 (see needsBase64).
 */
export function encodeJsonCells(cells: readonly Cell[], encoding: CellEncoding): JsonCell[] {
  const out = new Array<JsonCell>(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const { row, column, timestamp, value } = cells[i]!;
    const r = encodeField(row, encoding, i, 'row');
    const c = encodeField(column, encoding, i, 'column');
    out[i] = value === null ? { row: r, column: c, timestamp, erase: true } : { row: r, column: c, timestamp, value: encodeField(value, encoding, i, 'value') };
  }
  return out;
}

/** True when some row, column or value is not valid UTF-8, so the cells can only go out as base64. */
export function needsBase64(cells: readonly Cell[]): boolean {
  for (const { row, column, value } of cells) {
    if (!isUtf8(row) || !isUtf8(column) || (value !== null && !isUtf8(value))) return true;
  }
  return false;
}

function decodeField(text: string, encoding: CellEncoding, i: number, field: TextField, limit: number): Buffer {
  const where = `cells[${i}]`;
  let bytes: Buffer;
  if (encoding === 'base64') {
    // Reject early, before decoding: 4 characters carry at most 3 bytes.
    if (text.length > 4 * Math.ceil(limit / 3)) throw tooBig(where, field, base64Bytes(text), limit);
    bytes = decodeBase64(text, `${where}.${field}`);
  } else {
    if (text.length > limit) throw tooBig(where, field, Buffer.byteLength(text, 'utf8'), limit);
    if (!(text as unknown as { isWellFormed(): boolean }).isWellFormed()) {
      throw invalid(`${where}.${field} has an unpaired UTF-16 surrogate, so it is not text; send it with encoding "base64"`, `${where}.${field}`);
    }
    bytes = Buffer.from(text, 'utf8');
  }
  if (bytes.length > limit) throw tooBig(where, field, bytes.length, limit);
  return bytes;
}

/** Strict base64 → bytes; `where` names the field in errors. */
export function decodeBase64(text: string, where: string): Buffer {
  if (text.length % 4 !== 0) {
    throw invalid(`${where} is not valid base64: its length ${text.length} is not a multiple of 4 (padding "=" is required)`, where);
  }
  if (!BASE64_SHAPE.test(text)) {
    const bad = NOT_BASE64_CHAR.exec(text);
    if (bad !== null) {
      throw invalid(`${where} is not valid base64: ${JSON.stringify(bad[0])} at character ${bad.index} is not in the base64 alphabet`, where);
    }
    throw invalid(`${where} is not valid base64: "=" at character ${text.indexOf('=')} is padding inside the text`, where);
  }
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  if (pad > 0) {
    const lastAt = text.length - pad - 1;
    const last = BASE64_ALPHABET.indexOf(text[lastAt]!);
    if ((last & (pad === 2 ? 0x0f : 0x03)) !== 0) {
      throw invalid(`${where} is not valid base64: character ${lastAt} (${JSON.stringify(text[lastAt])}) has non-zero bits after the data; not canonical`, where);
    }
  }
  return Buffer.from(text, 'base64');
}

function encodeField(bytes: Uint8Array, encoding: CellEncoding, i: number, field: TextField): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (encoding === 'base64') return buf.toString('base64');
  if (!isUtf8(buf)) {
    throw invalid(`cells[${i}].${field} is not valid UTF-8, so it cannot be sent as text; use encoding "base64"`, `cells[${i}].${field}`);
  }
  return buf.toString('utf8');
}

function base64Bytes(text: string): number {
  return Math.floor((text.length * 3) / 4);
}

interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

function shapeError(issues: readonly Issue[]): KdiError {
  const shown = issues.slice(0, MAX_ISSUES_SHOWN).map((issue) => `${pathText(issue.path)}: ${issue.message}`);
  const more = issues.length > MAX_ISSUES_SHOWN ? ` (and ${issues.length - MAX_ISSUES_SHOWN} more problems)` : '';
  const first = issues[0];
  return invalid(`${shown.join('; ')}${more}`, first === undefined ? 'cells' : pathText(first.path));
}

function pathText(path: readonly PropertyKey[]): string {
  let text = 'cells';
  for (const key of path) text += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  return text;
}

function invalid(message: string, field: string): KdiError {
  return new KdiError('INVALID_ARGUMENT', message, { details: { field } });
}
