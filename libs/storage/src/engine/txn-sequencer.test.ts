// The txn sequencer's rules on their own, with a manual clock: what a
// writer and a reader of the engine rely on (monotonic txns, floors above
// everything before, visible/durable marks that never overclaim).

import { describe, expect, it } from 'vitest';
import { isStorageError, StorageError } from '../errors.js';
import { ManualClock } from '@kdi/primitives';
import { TxnSequencer } from './txn-sequencer.js';

function caught(f: () => unknown): StorageError {
  try {
    f();
  } catch (e) {
    if (e instanceof StorageError) return e;
    throw e;
  }
  throw new Error('expected a StorageError');
}

describe('TxnSequencer', () => {
  it('hands out the clock in µs when it moved, else one above the last txn — never a txn twice, even when the clock goes back', () => {
    const clock = new ManualClock({ wallMicros: 1_000 });
    const txns = new TxnSequencer(clock);
    expect(txns.next()).toBe(1_000);
    // The clock stands still: still strictly increasing.
    expect(txns.next()).toBe(1_001);
    expect(txns.next()).toBe(1_002);
    // The clock jumps ahead: txns follow it.
    clock.setWall(5_000);
    expect(txns.next()).toBe(5_000);
    // The clock goes back (NTP step): txns do not.
    clock.setWall(10);
    expect(txns.next()).toBe(5_001);
    expect(txns.last).toBe(5_001);
  });

  it('a txn observed from a replayed or loaded batch is never handed out again', () => {
    const clock = new ManualClock({ wallMicros: 100 });
    const txns = new TxnSequencer(clock);
    // Another server's clock ran ahead of ours.
    txns.observe(9_000);
    txns.observe(50); // older ones change nothing
    expect(txns.last).toBe(9_000);
    expect(txns.next()).toBe(9_001);
    expect(txns.floor()).toBe(9_002);
  });

  it('after recovery every replayed txn is visible and durable, and the floor is above all of them', () => {
    const txns = new TxnSequencer(new ManualClock({ wallMicros: 0 }));
    for (const t of [7, 3, 12]) txns.observe(t);
    expect(txns.visible).toBe(0);
    txns.recovered();
    expect(txns.visible).toBe(12);
    expect(txns.synced).toBe(12);
    const floor = txns.floor();
    // A read-modify-write that read before the crash (at most 12) conflicts with the floor…
    expect(floor).toBeGreaterThan(12);
    // …and one that reads now sees the floor at once (nothing in flight).
    expect(txns.visible).toBe(floor);
  });

  it('a floor becomes visible at once only when no apply is in flight; else when the last in-flight apply ends', () => {
    const txns = new TxnSequencer(new ManualClock({ wallMicros: 0 }));
    const a = txns.next();
    txns.beginApply(1);
    const floor = txns.floor();
    // `a` is not in memory yet: claiming the floor visible would claim `a` too.
    expect(txns.visible).toBeLessThan(a);
    txns.applied(a, true);
    expect(txns.visible).toBe(a);
    txns.endApply(1);
    expect(txns.visible).toBe(floor);
  });

  it('visible follows applies as they land; synced only applies that asked for sync, and log syncs', () => {
    const txns = new TxnSequencer(new ManualClock({ wallMicros: 0 }));
    const a = txns.next();
    const b = txns.next();
    txns.beginApply(1);
    txns.beginApply(1);
    txns.applied(a, false);
    expect(txns.visible).toBe(a);
    expect(txns.synced).toBe(0);
    txns.applied(b, true);
    // A synced record makes every earlier one durable too (the log is in order).
    expect(txns.synced).toBe(b);
    txns.endApply(1);
    txns.endApply(1);
    const c = txns.next();
    txns.beginApply(1);
    txns.applied(c, false);
    txns.endApply(1);
    expect(txns.visible).toBe(c);
    expect(txns.synced).toBe(b);
    // A log sync that began once everything up to c was handed to the log.
    txns.syncedUpTo(c);
    expect(txns.synced).toBe(c);
    // An older sync finishing late never lowers the mark.
    txns.syncedUpTo(a);
    expect(txns.synced).toBe(c);
  });

  it('a failed apply does not become visible while others are in flight', () => {
    const txns = new TxnSequencer(new ManualClock({ wallMicros: 0 }));
    const failed = txns.next();
    const ok = txns.next();
    txns.beginApply(1);
    txns.beginApply(1);
    txns.endApply(1); // `failed`: its log write failed, never applied
    expect(txns.visible).toBeLessThan(failed);
    txns.applied(ok, true);
    txns.endApply(1);
    expect(txns.visible).toBe(ok);
  });

  it('holds the log floor at the oldest segment an apply is still being written to', () => {
    const txns = new TxnSequencer(new ManualClock({ wallMicros: 0 }));
    expect(txns.inflightFloor(9)).toBe(9);
    txns.beginApply(4);
    txns.beginApply(6);
    txns.beginApply(4);
    expect(txns.inflightFloor(9)).toBe(4);
    expect(txns.inflightFloor(2)).toBe(2);
    txns.endApply(4);
    expect(txns.inflightFloor(9)).toBe(4);
    txns.endApply(4);
    expect(txns.inflightFloor(9)).toBe(6);
    txns.endApply(6);
    expect(txns.inflightFloor(9)).toBe(9);
  });

  it('a sync waits for every txn so far by default and refuses targets it could never reach', () => {
    const txns = new TxnSequencer(new ManualClock({ wallMicros: 0 }));
    expect(txns.syncTarget()).toBe(0);
    const a = txns.next();
    expect(txns.syncTarget()).toBe(a);
    expect(txns.syncTarget(a - 1)).toBe(a - 1);
    const ahead = caught(() => txns.syncTarget(a + 1));
    expect(isStorageError(ahead, 'invalid-argument')).toBe(true);
    expect(ahead.message).toBe(`txn ${a + 1} has not been handed out yet (the latest is ${a})`);
    for (const bad of [-1, 1.5, Number.NaN]) {
      const e = caught(() => txns.syncTarget(bad));
      expect(isStorageError(e, 'invalid-argument')).toBe(true);
      expect(e.message).toMatch(/^atLeastTxn must be a non-negative integer, got /);
    }
  });
});
