// The commitMaxTxn rule on its own (row-txns.ts): a read-modify-write that
// read at some txn never overwrites a change it did not see — wherever the
// row's last change is (memory, a fragment being serialized, a batch still
// being logged, or only the tablet's floor).

import { describe, expect, it } from 'vitest';
import type { Cell } from '@kdi/primitives';
import { isStorageError, StorageError } from '../errors.js';
import { MemoryFragment } from '../memory/memory-fragment.js';
import { checkConflicts } from './row-txns.js';
import { TabletRegistry } from './tablet-registry.js';
import type { Table } from './tablet.js';

const b = (s: string) => Buffer.from(s, 'utf8');
const cell = (row: string, column = 'f:q'): Cell => ({ row: b(row), column: b(column), timestamp: 1, value: b('v') });
/** A cell as decoded from the log: it carries its batch's txn. */
const logged = (row: string, txn: number): Cell => Object.assign(cell(row), { txn });

function table(floor: number): Table {
  let ids = 1;
  const registry = new TabletRegistry(() => new MemoryFragment(ids++));
  registry.add({ id: 't', table: 'tb' }, () => floor);
  return registry.tables.get('tb')!;
}

/** checkConflicts with every cell in one tablet whose floor is `floor`. */
function check(t: Table, cells: Cell[], floor: number, commitMaxTxn: number): StorageError | undefined {
  try {
    checkConflicts(t, cells, () => floor, commitMaxTxn);
    return undefined;
  } catch (e) {
    if (e instanceof StorageError) return e;
    throw e;
  }
}

describe('row transactions (commitMaxTxn)', () => {
  it('commits when every touched row last changed at or before commitMaxTxn; aborts naming the row, its txn and the cell otherwise', () => {
    const t = table(10);
    t.active.insert(logged('acct', 40));
    t.active.insert(logged('other', 20));
    expect(check(t, [cell('acct')], 10, 40)).toBeUndefined();
    const e = check(t, [cell('other'), cell('acct', 'f:r')], 10, 39);
    expect(isStorageError(e, 'aborted')).toBe(true);
    expect(e!.message).toBe('row "acct" changed at txn 40, after commitMaxTxn 39; read it again and retry');
    expect(e!.details).toEqual({ cellIndex: 1, rowTxn: 40, commitMaxTxn: 39 });
    // A row nobody touched after the read commits, whatever other rows did.
    expect(check(t, [cell('fresh')], 10, 39)).toBeUndefined();
  });

  it('a fragment being serialized still counts', () => {
    const t = table(10);
    const frozen = new MemoryFragment(99);
    frozen.insert(logged('acct', 30));
    frozen.freeze();
    t.frozen.push(frozen);
    expect(isStorageError(check(t, [cell('acct')], 10, 29), 'aborted')).toBe(true);
    expect(check(t, [cell('acct')], 10, 30)).toBeUndefined();
  });

  it('a batch still being logged conflicts on the rows it touches, and only those', () => {
    const t = table(10);
    t.inflight.add({ cells: [cell('acct')], txn: 50 });
    const e = check(t, [cell('x'), cell('acct')], 10, 49);
    expect(e?.details).toEqual({ cellIndex: 1, rowTxn: 50, commitMaxTxn: 49 });
    expect(check(t, [cell('x')], 10, 49)).toBeUndefined();
    expect(check(t, [cell('acct')], 10, 50)).toBeUndefined();
  });

  it('rows with nothing in memory take their tablet floor, and the floor counts for rows in memory too', () => {
    const t = table(0);
    // After a reopen: the row was replayed with its old txn, the floor is now.
    t.active.insert(logged('acct', 5));
    expect(check(t, [cell('gone')], 70, 69)?.details).toEqual({ cellIndex: 0, rowTxn: 70, commitMaxTxn: 69 });
    expect(check(t, [cell('acct')], 70, 69)?.details).toEqual({ cellIndex: 0, rowTxn: 70, commitMaxTxn: 69 });
    expect(check(t, [cell('acct'), cell('gone')], 70, 70)).toBeUndefined();
  });
});
