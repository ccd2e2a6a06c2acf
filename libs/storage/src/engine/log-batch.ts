// One log record's payload: a batch of cells for one table.
//
//   u8   version (2; version 1 had no txn)
//   u16  table name length, then the UTF-8 table name
//   f64  txn: the batch's transaction number (a safe integer)   -- version 2
//   u32  cell count
//   per cell:
//     u8   flags (bit 0: erasure)
//     u32  row length,    row bytes
//     u32  column length, column bytes
//     f64  timestamp (a safe integer; float64 holds it exactly)
//     u32  value length,  value bytes (absent for an erasure)
// All integers little-endian. The log record around it carries the CRC.
//
// Decoded cells are views into the payload: the memory fragment keeps the
// payload alive instead of copying every field.

import type { Cell } from '../cell.js';
import { corruption } from '../errors.js';

const VERSION = 2;

/** A decoded cell with its batch's txn. */
export type LogCell = Cell & { readonly txn: number };

export interface LogBatch {
  readonly table: string;
  /** The batch's transaction number; 0 for version-1 batches, which had none. */
  readonly txn: number;
  readonly cells: LogCell[];
}

export function encodeLogBatch(table: string, cells: readonly Cell[], txn = 0): Buffer {
  const name = Buffer.from(table, 'utf8');
  let size = 1 + 2 + name.length + 8 + 4;
  for (const c of cells) size += 1 + 4 + c.row.length + 4 + c.column.length + 8 + (c.value ? 4 + c.value.length : 0);
  const buf = Buffer.allocUnsafe(size);
  let o = buf.writeUInt8(VERSION, 0);
  o = buf.writeUInt16LE(name.length, o);
  o += name.copy(buf, o);
  o = buf.writeDoubleLE(txn, o);
  o = buf.writeUInt32LE(cells.length, o);
  for (const c of cells) {
    o = buf.writeUInt8(c.value === null ? 1 : 0, o);
    o = buf.writeUInt32LE(c.row.length, o);
    buf.set(c.row, o);
    o += c.row.length;
    o = buf.writeUInt32LE(c.column.length, o);
    buf.set(c.column, o);
    o += c.column.length;
    o = buf.writeDoubleLE(c.timestamp, o);
    if (c.value !== null) {
      o = buf.writeUInt32LE(c.value.length, o);
      buf.set(c.value, o);
      o += c.value.length;
    }
  }
  return buf;
}

export function decodeLogBatch(data: Uint8Array, where: string): LogBatch {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const fail = (what: string): never => {
    throw corruption(`log batch in ${where}: ${what}`);
  };
  const need = (o: number, n: number) => {
    if (o + n > buf.length) fail(`truncated at byte ${o}`);
  };
  need(0, 7);
  const version = buf[0];
  if (version !== 1 && version !== VERSION) fail(`unknown batch version ${buf[0]}`);
  const nameLen = buf.readUInt16LE(1);
  need(3, nameLen + 4);
  const table = buf.toString('utf8', 3, 3 + nameLen);
  let o = 3 + nameLen;
  let txn = 0;
  if (version === VERSION) {
    need(o, 12);
    txn = buf.readDoubleLE(o);
    if (!Number.isSafeInteger(txn) || txn < 0) fail(`bad txn ${txn}`);
    o += 8;
  }
  const count = buf.readUInt32LE(o);
  o += 4;
  const cells: LogCell[] = new Array(count);
  for (let i = 0; i < count; i++) {
    need(o, 5);
    const erased = (buf[o]! & 1) === 1;
    const rowLen = buf.readUInt32LE(o + 1);
    o += 5;
    need(o, rowLen + 4);
    const row = buf.subarray(o, o + rowLen);
    o += rowLen;
    const colLen = buf.readUInt32LE(o);
    o += 4;
    need(o, colLen + 8);
    const column = buf.subarray(o, o + colLen);
    o += colLen;
    const timestamp = buf.readDoubleLE(o);
    o += 8;
    if (!Number.isSafeInteger(timestamp)) fail(`cell ${i} has timestamp ${timestamp}`);
    let value: Buffer | null = null;
    if (!erased) {
      need(o, 4);
      const valLen = buf.readUInt32LE(o);
      o += 4;
      need(o, valLen);
      value = buf.subarray(o, o + valLen);
      o += valLen;
    }
    // Every cell carries its batch's txn: memory fragments answer "last txn of a row" from it (row-txns.ts).
    cells[i] = { row, column, timestamp, value, txn } as LogCell;
  }
  if (o !== buf.length) fail(`${buf.length - o} bytes after the last cell`);
  return { table, txn, cells };
}
