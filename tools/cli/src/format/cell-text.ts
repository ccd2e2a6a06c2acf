// Cells as `kdi` prints them (scan --format, get):
//   tuple  ("row", "column", 1733550000000000, "value") — strings JSON-quoted;
//          bytes that are not UTF-8 as b"\xff\x00" (printable ASCII kept);
//   tsv    row <TAB> column <TAB> timestamp <TAB> value, with \\ \t \n \r
//          escaped and other control bytes and non-UTF-8 bytes as \xNN,
//          so every line is one cell;
//   json   one object per cell: {"row","column","timestamp","value"} as
//          UTF-8 text, or every field in base64 with "encoding":"base64"
//          when one is not UTF-8 (the Table API's JSON cells). An erasure
//          has "erase": true and no value.

import { isUtf8 } from 'node:buffer';
import { encodeJsonCells, needsBase64, type Cell } from '@kdi/protocol';

export type JsonCellOut = Record<string, string | number | boolean>;

function hexByte(b: number): string {
  return `\\x${b.toString(16).padStart(2, '0')}`;
}

/** Bytes quoted for the tuple format. */
export function quoteBytes(b: Uint8Array): string {
  if (isUtf8(b)) return JSON.stringify(Buffer.from(b).toString('utf8'));
  let out = 'b"';
  for (const c of b) out += c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c ? String.fromCharCode(c) : c === 0x22 ? '\\"' : c === 0x5c ? '\\\\' : hexByte(c);
  return `${out}"`;
}

// eslint-disable-next-line no-control-regex
const CONTROL_OR_BACKSLASH = /[\\\u0000-\u001f\u007f]/g;

/** Bytes as one TSV field. */
export function tsvField(b: Uint8Array): string {
  if (isUtf8(b)) {
    const named: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
    return Buffer.from(b)
      .toString('utf8')
      .replace(CONTROL_OR_BACKSLASH, (c) => named[c] ?? hexByte(c.charCodeAt(0)));
  }
  let out = '';
  for (const c of b) out += c === 0x5c ? '\\\\' : c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : hexByte(c);
  return out;
}

/** Bytes for a human table column: the text when printable UTF-8, else the tuple quoting. */
export function displayBytes(b: Uint8Array): string {
  if (isUtf8(b)) {
    const t = Buffer.from(b).toString('utf8');
    // eslint-disable-next-line no-control-regex
    if (!/[\u0000-\u001f\u007f]/.test(t)) return t;
  }
  return quoteBytes(b);
}

export function tupleLine(c: Cell): string {
  return `(${quoteBytes(c.row)}, ${quoteBytes(c.column)}, ${c.timestamp}, ${c.value === null ? 'null' : quoteBytes(c.value)})`;
}

export function tsvLine(c: Cell): string {
  return [tsvField(c.row), tsvField(c.column), String(c.timestamp), c.value === null ? '' : tsvField(c.value)].join('\t');
}

export function cellJson(c: Cell): JsonCellOut {
  const base64 = needsBase64([c]);
  const out: JsonCellOut = { ...encodeJsonCells([c], base64 ? 'base64' : 'utf8')[0]! };
  return base64 ? { ...out, encoding: 'base64' } : out;
}

export function jsonLine(c: Cell): string {
  return JSON.stringify(cellJson(c));
}

export const CELL_LINE = { tuple: tupleLine, tsv: tsvLine, json: jsonLine } as const;
