// Row transactions (DESIGN §4): the last transaction that changed each row.
// A row is tracked while its latest change is in a memory fragment; rows
// not tracked take their tablet's floor txn — the txn at which the oldest
// untracked data was loaded or forgotten. An apply with commitMaxTxn fails
// when any touched row's last txn is above it, so a read-modify-write that
// read at scanTxn never overwrites a change it did not see.

import { aborted } from '../errors.js';

/** Row (as a latin1 string key) → last txn, for one table. */
export class RowTxns {
  private readonly rows = new Map<string, number>();

  static key(row: Uint8Array): string {
    return Buffer.from(row.buffer, row.byteOffset, row.byteLength).toString('latin1');
  }

  latest(key: string): number | undefined {
    return this.rows.get(key);
  }

  record(key: string, txn: number): void {
    this.rows.set(key, txn);
  }

  /**
   * 'aborted' (naming the first conflicting cell) when any row in `keys`
   * changed after `commitMaxTxn`; untracked rows take `floorOf(i)`, the
   * floor of cell i's tablet.
   */
  checkConflicts(keys: readonly string[], rows: readonly Uint8Array[], floorOf: (i: number) => number, commitMaxTxn: number): void {
    for (let i = 0; i < keys.length; i++) {
      const last = this.rows.get(keys[i]!) ?? floorOf(i);
      if (last > commitMaxTxn) {
        throw aborted(`row ${JSON.stringify(Buffer.from(rows[i]!).toString('latin1'))} changed at txn ${last}, after commitMaxTxn ${commitMaxTxn}; read it again and retry`, {
          cellIndex: i,
          rowTxn: last,
          commitMaxTxn,
        });
      }
    }
  }

  get size(): number {
    return this.rows.size;
  }

  /**
   * Forgets rows whose last change is at or below `upTo` (their data left
   * memory); returns the highest txn forgotten (0 if none), which the
   * tablets' floors must be raised to.
   */
  forget(upTo: number): number {
    let highest = 0;
    for (const [k, txn] of this.rows) {
      if (txn <= upTo) {
        if (txn > highest) highest = txn;
        this.rows.delete(k);
      }
    }
    return highest;
  }
}
