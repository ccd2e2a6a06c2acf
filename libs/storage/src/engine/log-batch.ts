// One log record's payload: the batches of cells of one table.
//
// Version 2 (one apply; also how an apply is encoded before it is logged):
//   u8   version 2 (version 1 had no txn)
//   u16  table name length, then the UTF-8 table name
//   f64  txn: the batch's transaction number (a safe integer)   -- not in version 1
//   u32  cell count, then the cells
// Version 3 (the applies of one table gathered by one group commit,
// record-combiner.ts — DESIGN §4 "one record per table"):
//   u8   version 3
//   u16  table name length, then the UTF-8 table name
//   u32  batch count
//   per batch: f64 txn, u32 cell count, then the cells
// (a version-2 payload minus its first 3 + name bytes is exactly one batch).
// A cell:
//     u8   flags (bit 0: erasure)
//     u32  row length,    row bytes
//     u32  column length, column bytes
//     f64  timestamp (a safe integer; float64 holds it exactly)
//     u32  value length,  value bytes (absent for an erasure)
// All integers little-endian. The log record around it carries the CRC.
//
// Decoded cells are views into the payload: the memory fragment keeps the
// payload alive instead of copying every field.

import type { Cell } from '@kdi/primitives';
import { corruption } from '../errors.js';

const VERSION = 2;
const MULTI_VERSION = 3;

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

/**
 * One record holding the version-2 payloads `batches` (all of `table`,
 * in txn order) as one version-3 payload; a single batch stays as it is.
 */
export function encodeLogRecord(table: string, batches: readonly Buffer[]): Buffer {
  if (batches.length === 1) return batches[0]!;
  const name = Buffer.from(table, 'utf8');
  const head = Buffer.allocUnsafe(3 + name.length + 4);
  head.writeUInt8(MULTI_VERSION, 0);
  head.writeUInt16LE(name.length, 1);
  name.copy(head, 3);
  head.writeUInt32LE(batches.length, 3 + name.length);
  const skip = 3 + name.length;
  return Buffer.concat([head, ...batches.map((b) => b.subarray(skip))]);
}

/** The batches of one log record (version 1, 2 or 3), in log order. */
export function decodeLogRecord(data: Uint8Array, where: string): LogBatch[] {
  const r = new Reader(data, where);
  r.need(0, 7);
  const version = r.buf[0];
  if (version !== 1 && version !== VERSION && version !== MULTI_VERSION) r.fail(`unknown batch version ${version}`);
  const table = r.table();
  if (version !== MULTI_VERSION) {
    const batch = r.batch(table, version === VERSION);
    r.end();
    return [batch];
  }
  r.need(r.o, 4);
  const n = r.buf.readUInt32LE(r.o);
  r.o += 4;
  const out: LogBatch[] = [];
  for (let i = 0; i < n; i++) out.push(r.batch(table, true));
  r.end();
  return out;
}

/** One version-1 or -2 payload (an apply's own encoding). */
export function decodeLogBatch(data: Uint8Array, where: string): LogBatch {
  const batches = decodeLogRecord(data, where);
  if (batches.length !== 1) throw corruption(`log batch in ${where}: expected one batch, found ${batches.length}`);
  return batches[0]!;
}

class Reader {
  readonly buf: Buffer;
  o = 0;

  constructor(
    data: Uint8Array,
    private readonly where: string,
  ) {
    this.buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }

  fail(what: string): never {
    throw corruption(`log batch in ${this.where}: ${what}`);
  }

  need(o: number, n: number): void {
    if (o + n > this.buf.length) this.fail(`truncated at byte ${o}`);
  }

  table(): string {
    const nameLen = this.buf.readUInt16LE(1);
    this.need(3, nameLen + 4);
    this.o = 3 + nameLen;
    return this.buf.toString('utf8', 3, 3 + nameLen);
  }

  end(): void {
    if (this.o !== this.buf.length) this.fail(`${this.buf.length - this.o} bytes after the last cell`);
  }

  /** [txn] cell count, cells. */
  batch(table: string, withTxn: boolean): LogBatch {
    const { buf } = this;
    let o = this.o;
    let txn = 0;
    if (withTxn) {
      this.need(o, 12);
      txn = buf.readDoubleLE(o);
      if (!Number.isSafeInteger(txn) || txn < 0) this.fail(`bad txn ${txn}`);
      o += 8;
    }
    this.need(o, 4);
    const count = buf.readUInt32LE(o);
    o += 4;
    const cells: LogCell[] = new Array(count);
    for (let i = 0; i < count; i++) {
      this.need(o, 5);
      const erased = (buf[o]! & 1) === 1;
      const rowLen = buf.readUInt32LE(o + 1);
      o += 5;
      this.need(o, rowLen + 4);
      const row = buf.subarray(o, o + rowLen);
      o += rowLen;
      const colLen = buf.readUInt32LE(o);
      o += 4;
      this.need(o, colLen + 8);
      const column = buf.subarray(o, o + colLen);
      o += colLen;
      const timestamp = buf.readDoubleLE(o);
      o += 8;
      if (!Number.isSafeInteger(timestamp)) this.fail(`cell ${i} has timestamp ${timestamp}`);
      let value: Buffer | null = null;
      if (!erased) {
        this.need(o, 4);
        const valLen = buf.readUInt32LE(o);
        o += 4;
        this.need(o, valLen);
        value = buf.subarray(o, o + valLen);
        o += valLen;
      }
      // Every cell carries its batch's txn: memory fragments answer "last txn of a row" from it (row-txns.ts).
      cells[i] = { row, column, timestamp, value, txn } as LogCell;
    }
    this.o = o;
    return { table, txn, cells };
  }
}
