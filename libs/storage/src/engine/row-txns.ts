// Row transactions (DESIGN §4): the last transaction that changed a row.
// While a row's latest change is in memory, its last txn is the highest
// txn of its cells there — every cell decoded from the log carries its
// batch's txn (log-batch.ts), so nothing is tracked per row on the write
// path. A batch between its txn and its memory insert (logging) is kept in
// the table's `inflight` set and counts too. Every row also counts its
// tablet's floor txn — raised to a memory fragment's highest
// txn when that fragment is serialized (serializer.ts), and to "now" when
// a tablet is created, loaded or reopened. An apply with commitMaxTxn
// fails when any touched row's last txn is above it, so a
// read-modify-write that read at scanTxn never overwrites a change it did
// not see.

import type { Cell } from '@kdi/primitives';
import { aborted } from '../errors.js';
import type { Table } from './tablet.js';

/** A batch that has its txn but is not in memory yet. */
export interface InflightBatch {
  readonly cells: readonly Cell[];
  readonly txn: number;
}

const key = (row: Uint8Array) => Buffer.from(row.buffer, row.byteOffset, row.byteLength).toString('latin1');

/**
 * 'aborted' (naming the first conflicting cell) when any row of `cells`
 * changed after `commitMaxTxn`: its last txn is the highest of its cells
 * in memory, in-flight batches and `floorOf(i)`, the floor of cell i's tablet.
 */
export function checkConflicts(table: Table, cells: readonly Cell[], floorOf: (i: number) => number, commitMaxTxn: number): void {
  const rows = new Map<string, number>(); // row → first cell index
  cells.forEach((c, i) => {
    const k = key(c.row);
    if (!rows.has(k)) rows.set(k, i);
  });
  const conflict = (i: number, last: number) =>
    aborted(`row ${JSON.stringify(Buffer.from(cells[i]!.row).toString('latin1'))} changed at txn ${last}, after commitMaxTxn ${commitMaxTxn}; read it again and retry`, {
      cellIndex: i,
      rowTxn: last,
      commitMaxTxn,
    });
  for (const batch of table.inflight) {
    if (batch.txn <= commitMaxTxn) continue;
    for (const c of batch.cells) {
      const i = rows.get(key(c.row));
      if (i !== undefined) throw conflict(i, batch.txn);
    }
  }
  for (const i of rows.values()) {
    const row = cells[i]!.row;
    let last = table.active.maxTxnOfRow(row);
    for (const f of table.frozen) last = Math.max(last, f.maxTxnOfRow(row));
    // The floor counts even for rows in memory: after a reopen, replayed
    // rows keep their old txns, but a read before the restart may have seen
    // an unsynced write the crash lost — old txns must conflict (DESIGN §4).
    last = Math.max(last, floorOf(i));
    if (last > commitMaxTxn) throw conflict(i, last);
  }
}
