// Pre-split rows as callers give them (strings or bytes) in the form the
// master's CreateTableBody takes (DESIGN §9): UTF-8 text when every row is
// valid UTF-8, otherwise every row in base64 with `encoding: 'base64'` (one
// encoding per body, as in the Table API). Checked before any request:
// rows must be non-empty and distinct.

import { KdiError } from '@kdi/protocol';
import { toBytes, type Bytes } from '../table/cell-input.js';

export interface EncodedSplits {
  readonly splits: string[];
  readonly encoding: 'utf8' | 'base64';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The rows as the wire wants them; INVALID_ARGUMENT naming the row that is empty or repeated. */
export function encodeSplitRows(rows: readonly Bytes[]): EncodedSplits {
  const bytes = rows.map((r, i) => {
    const b = toBytes(r);
    if (b.length === 0) throw new KdiError('INVALID_ARGUMENT', `splits[${i}] is empty: a split row must have at least one byte`, { details: { field: `splits[${i}]` } });
    return b;
  });
  const seen = new Set<string>();
  const base64 = bytes.map((b, i) => {
    const key = Buffer.from(b).toString('base64');
    if (seen.has(key)) throw new KdiError('INVALID_ARGUMENT', `splits[${i}] repeats an earlier split row: each split row must be distinct`, { details: { field: `splits[${i}]` } });
    seen.add(key);
    return key;
  });
  const text: string[] = [];
  for (const b of bytes) {
    const t = decodeUtf8(b);
    if (t === undefined) return { splits: base64, encoding: 'base64' };
    text.push(t);
  }
  return { splits: text, encoding: 'utf8' };
}

function decodeUtf8(b: Uint8Array): string | undefined {
  try {
    return utf8.decode(b);
  } catch {
    return undefined;
  }
}
