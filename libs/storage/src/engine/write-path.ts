// The write path (DESIGN §4, §5): apply → back-pressure → row-transaction
// check → txn → group commit (record-combiner.ts) → memory insert, and
// sync. It holds the order in which applies reach the log; the numbers
// come from the txn sequencer (txn-sequencer.ts), the conflict rule from
// row-txns.ts, the memory wait from the serializer.
//
// Promises:
//  - apply resolves with its batch's txn once the batch is in the log
//    (durable when sync, the default) and visible to scans; it fails with
//    nothing applied when a cell is invalid or its row outside every
//    usable tablet, when a touched row changed after commitMaxTxn
//    ('aborted'), or when memory stayed over its limit for the whole wait
//    ('busy');
//  - the conflict check, the txn and the hand-over to group commit are one
//    synchronous step: every batch that took a txn before a check is in
//    memory or in its table's in-flight set when the check runs, and a
//    table's batches reach the log in txn order;
//  - an apply touching a tablet whose writes are frozen (write-freeze.ts)
//    waits after back-pressure and before its txn, bounded by the freeze;
//  - back-pressure: while the memory fragments of all tables hold more
//    than maxMemoryBytes (default twice the serialization budget) an apply
//    waits, at most backPressureWaitMs (or its own maxWaitMs), for
//    serialization to drain them;
//  - sync(atLeastTxn) resolves once every apply up to that txn (default:
//    every txn so far) is durable, applies still queued for the log
//    included; startLogSegment puts every apply that already has its txn
//    before the new segment.

import type { Cell, Clock } from '@kdi/primitives';
import { notFound } from '../errors.js';
import type { LogWriter } from '../log/log-writer.js';
import type { ApplyOptions, EngineOptions } from './engine-types.js';
import { decodeLogBatch, encodeLogBatch } from './log-batch.js';
import { RecordCombiner } from './record-combiner.js';
import { checkConflicts } from './row-txns.js';
import type { Serializer } from './serializer.js';
import type { TabletRegistry } from './tablet-registry.js';
import type { Table } from './tablet.js';
import type { TxnSequencer } from './txn-sequencer.js';
import { validateCells } from './validate-cells.js';
import { waitWhileFrozen } from './write-freeze.js';

/** What the write path needs from the engine. */
export interface WritePathHost {
  readonly o: EngineOptions;
  readonly registry: TabletRegistry;
  readonly txns: TxnSequencer;
  readonly serializer: Serializer;
  /** The engine's clock: the back-pressure wait runs on it. */
  readonly clock: Clock;
  log(): LogWriter;
  checkOpen(): void;
  /** Starts a serialization in the background when memory is over its budget. */
  maybeSerialize(): void;
}

export class WritePath {
  /** Group commit per table in front of the log writer. */
  private readonly records: RecordCombiner;

  constructor(private readonly host: WritePathHost) {
    this.records = new RecordCombiner(() => host.log());
  }

  /** Engine.apply: logs and applies a batch for `table`; resolves with its txn. */
  async apply(tableName: string, cells: readonly Cell[], opts: ApplyOptions = {}): Promise<number> {
    const { host } = this;
    host.checkOpen();
    const table = host.registry.tables.get(tableName);
    if (!table?.tablets.length) throw notFound(`no tablet of table ${tableName} is open here`);
    validateCells(cells);
    let route = host.registry.route(table, cells);
    await this.admit(opts.maxWaitMs ?? host.o.backPressureWaitMs ?? 10_000);
    host.checkOpen();
    const freezeWait: { deadline?: number } = {};
    for (;;) {
      // While this apply waited, a tablet may have been split, dropped or set unloading.
      for (const t of route.distinct) {
        if (t.unloading || !host.registry.isCurrent(t)) {
          route = host.registry.route(table, cells);
          break;
        }
      }
      // A frozen tablet (write-freeze.ts): wait for the freeze to end, then look again.
      if (!(await waitWhileFrozen(route.distinct, host.clock, freezeWait))) break;
      host.checkOpen();
    }
    const tablets = route.perCell;
    // From here to log.append nothing awaits: the conflict check, the txn
    // and the log order are one step.
    if (opts.commitMaxTxn !== undefined) checkConflicts(table, cells, (i) => tablets[i]!.floorTxn, opts.commitMaxTxn);
    const txn = host.txns.next();
    // Until its cells are in memory, later row transactions see the batch here.
    const inflight = { cells, txn };
    table.inflight.add(inflight);
    // An unload of one of these tablets waits for this before serializing.
    const logged = this.logAndInsert(table, encodeLogBatch(tableName, cells, txn), txn, opts.sync ?? true);
    table.applying.add(logged);
    try {
      await logged;
    } finally {
      table.applying.delete(logged);
      table.inflight.delete(inflight);
    }
    host.maybeSerialize();
    return txn;
  }

  /** Appends a batch to the log and inserts it into memory; `txn` was just handed out. */
  private async logAndInsert(table: Table, payload: Buffer, txn: number, sync: boolean): Promise<void> {
    const { txns } = this.host;
    const segment = this.host.log().currentSegmentId;
    txns.beginApply(segment);
    try {
      const { segmentId } = await this.records.append(table.name, payload, sync);
      // Insert the logged bytes, not the caller's buffers: one copy, and the
      // memory fragment cannot be changed behind our back.
      const active = table.active;
      const cells = decodeLogBatch(payload, 'apply').cells;
      for (const c of cells) active.insert(c);
      // A migration's tap records them in the same synchronous step (tablet-write-tap.ts).
      for (const tap of table.taps) tap.record(cells);
      active.oldestLogSegment = Math.min(active.oldestLogSegment, segmentId);
      if (txn > active.maxTxn) active.maxTxn = txn;
      txns.applied(txn, sync);
    } finally {
      txns.endApply(segment);
    }
  }

  /** Engine.sync: waits until everything up to `atLeastTxn` (default: every txn so far) is durable. */
  async sync(atLeastTxn?: number): Promise<number> {
    const { host } = this;
    host.checkOpen();
    const { txns } = host;
    const target = txns.syncTarget(atLeastTxn);
    if (target <= txns.synced) return txns.synced;
    const upTo = txns.last;
    // Applies up to here may still wait in the group-commit queue: written first, then synced.
    await this.records.handedOver();
    await host.log().sync();
    txns.syncedUpTo(upTo);
    return txns.synced;
  }

  /** Engine.startLogSegment: a new log segment's id; every write from now on is in it or later. */
  async startLogSegment(): Promise<number> {
    this.host.checkOpen();
    // Applies that already have their txn land before the new segment.
    await this.records.handedOver();
    const log = this.host.log();
    await log.rollSegment();
    return log.currentSegmentId;
  }

  /** Back-pressure: waits while memory is over its limit, at most `maxWaitMs`. */
  private admit(maxWaitMs: number): Promise<void> {
    const { host } = this;
    const limit = host.o.maxMemoryBytes ?? 2 * (host.o.memoryBudgetBytes ?? 64 << 20);
    return host.serializer.waitForMemory(limit, maxWaitMs, host.clock, () => {
      host.checkOpen();
      host.maybeSerialize();
    });
  }
}
