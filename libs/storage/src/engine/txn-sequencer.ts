// Txn sequencing (DESIGN §4): the one per-server counter that hands out
// transaction numbers, and the two marks derived from the applies that
// carry them — how far scans see (visible) and how far the log is durable
// (synced). Pure bookkeeping over a clock: no log, no memory, no awaits;
// the write path (write-path.ts) calls it in the order the log sees
// applies.
//
// Promises:
//  - every txn handed out (next, floor) is above every earlier one and
//    above every txn observed (a replayed or loaded batch's); when the
//    clock allows it is the clock in µs, so txns keep growing across
//    restarts and stay comparable with txns another server handed out
//    earlier (clocks permitting);
//  - visible: every apply whose txn is ≤ it is in memory. It rises as
//    applies land (in txn order: group commit settles them so), and to
//    the last txn handed out whenever no apply is in flight — floors are
//    txns no apply carries, so they become visible at once then;
//  - synced: every apply whose txn is ≤ it is durable. It rises when a
//    synced apply lands (the log is in order: everything before it is
//    durable too) and when a log sync covering every txn up to a mark ends;
//  - the oldest log segment an in-flight apply is being written to, so the
//    log floor never passes data that is not in memory yet;
//  - after a reopen (recovered) everything replayed counts as visible and
//    durable, and the next floor is above all of it.

import { invalidArgument } from '../errors.js';
import type { Clock } from '@kdi/primitives';

export class TxnSequencer {
  /** Last txn handed out or observed. */
  private lastTxn = 0;
  /** Every apply with txn ≤ this is visible to scans. */
  private visibleTxn = 0;
  /** Every apply with txn ≤ this is durable. */
  private syncedTxn = 0;
  /** Log segment → applies in flight to it (between log append and memory insert). */
  private readonly inflight = new Map<number, number>();

  constructor(private readonly clock: Clock) {}

  /** The last txn handed out (or observed). */
  get last(): number {
    return this.lastTxn;
  }

  /** The latest txn visible to scans. */
  get visible(): number {
    return this.visibleTxn;
  }

  /** The latest txn known durable. */
  get synced(): number {
    return this.syncedTxn;
  }

  /** The next txn: above the last one and, when the clock allows, at the clock. */
  next(): number {
    this.lastTxn = Math.max(this.lastTxn + 1, this.clock.wallMicros());
    return this.lastTxn;
  }

  /**
   * A fresh txn for a tablet's floor (its untracked rows may have changed at
   * any txn before it). No apply carries it; when none is in flight every
   * txn handed out is visible, so scans may report it at once — else a
   * read-modify-write right after a create or load would conflict with the
   * floor until some other write raised the visible txn.
   */
  floor(): number {
    const txn = this.next();
    if (this.inflight.size === 0) this.visibleTxn = txn;
    return txn;
  }

  /** A txn that exists already (a replayed or loaded batch's): later txns go above it. */
  observe(txn: number): void {
    if (txn > this.lastTxn) this.lastTxn = txn;
  }

  /** After replaying the log at open: everything replayed is durable and visible. */
  recovered(): void {
    this.visibleTxn = this.syncedTxn = this.lastTxn;
  }

  /** An apply that has its txn starts being written to log segment `segment`. */
  beginApply(segment: number): void {
    this.inflight.set(segment, (this.inflight.get(segment) ?? 0) + 1);
  }

  /** The apply of `txn` is in the log (synced when `sync`) and in memory. */
  applied(txn: number, sync: boolean): void {
    if (txn > this.visibleTxn) this.visibleTxn = txn;
    // A synced record makes every earlier one durable too (the log is in order).
    if (sync && txn > this.syncedTxn) this.syncedTxn = txn;
  }

  /** The apply that began in `segment` is over (applied, or failed). */
  endApply(segment: number): void {
    const n = this.inflight.get(segment);
    if (n === undefined) throw new Error(`no apply in flight in log segment ${segment}`);
    if (n === 1) this.inflight.delete(segment);
    else this.inflight.set(segment, n - 1);
    // No apply in flight: every txn handed out (including floors) is visible.
    if (this.inflight.size === 0 && this.lastTxn > this.visibleTxn) this.visibleTxn = this.lastTxn;
  }

  /** `floor`, lowered to the oldest segment an apply in flight is being written to. */
  inflightFloor(floor: number): number {
    for (const s of this.inflight.keys()) floor = Math.min(floor, s);
    return floor;
  }

  /**
   * The txn a sync must make durable: `atLeastTxn`, or every txn so far.
   * 'invalid-argument' for a negative or fractional one, or one not handed
   * out yet (nothing could ever make it durable).
   */
  syncTarget(atLeastTxn?: number): number {
    const target = atLeastTxn ?? this.lastTxn;
    if (!Number.isSafeInteger(target) || target < 0) throw invalidArgument(`atLeastTxn must be a non-negative integer, got ${atLeastTxn}`);
    if (target > this.lastTxn) throw invalidArgument(`txn ${target} has not been handed out yet (the latest is ${this.lastTxn})`);
    return target;
  }

  /** A log sync that began after every apply up to `upTo` was handed to the log has ended. */
  syncedUpTo(upTo: number): void {
    if (upTo > this.syncedTxn) this.syncedTxn = upTo;
  }
}
