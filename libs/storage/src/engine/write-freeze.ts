// Freezing one tablet's writes (DESIGN §10 `freeze`: a migration's last
// step before the target takes over). While a tablet is frozen, an apply
// touching its rows waits — after back-pressure, before its txn — until
// the freeze ends or its own bound passes; then it routes again (the
// tablet may have left this engine meanwhile) or fails 'unavailable'
// (retryable). Applies that already had their txn when the freeze began
// are the table's `applying` set: the freeze waits for them, so once it
// resolves no write to the tablet is in flight and none starts.
//
// Promises:
//  - at most one freeze per tablet; thaw() is idempotent and releases
//    every waiter at once;
//  - a frozen tablet that is dropped or unloaded releases its waiters
//    (they route again and find it gone);
//  - a waiter never waits longer than the freeze's maxWaitMs (on the
//    engine's clock), counted from when it started waiting.

import type { Clock } from '@kdi/primitives';
import { unavailable } from '../errors.js';
import type { Tablet } from './tablet.js';

export interface WriteFreezeState {
  readonly maxWaitMs: number;
  /** Resolves when the freeze ends. */
  readonly thawed: Promise<void>;
  thaw(): void;
}

/** What the engine hands the caller of freezeWrites. */
export interface WriteFreeze {
  /** The tablet frozen. */
  readonly tabletId: string;
  /** Ends the freeze: waiting applies go on (or fail, when the tablet left). Idempotent. */
  thaw(): void;
}

export function newFreezeState(maxWaitMs: number): WriteFreezeState {
  let release!: () => void;
  const thawed = new Promise<void>((resolve) => (release = resolve));
  return { maxWaitMs, thawed, thaw: () => release() };
}

/** Ends a tablet's freeze (if any), releasing its waiters. */
export function thawTablet(t: Tablet): void {
  const f = t.writeFreeze;
  if (f === undefined) return;
  t.writeFreeze = undefined;
  f.thaw();
}

/**
 * Waits while one of `tablets` is frozen. `deadline` is the monotonic
 * time past which the wait fails (set on the first wait, kept across
 * calls by the caller). Resolves when none of them is frozen any more.
 */
export async function waitWhileFrozen(tablets: Iterable<Tablet>, clock: Clock, state: { deadline?: number }): Promise<boolean> {
  let frozen: Tablet | undefined;
  for (const t of tablets) {
    if (t.writeFreeze !== undefined) {
      frozen = t;
      break;
    }
  }
  if (frozen === undefined) return false;
  const f = frozen.writeFreeze!;
  state.deadline ??= clock.monotonicMs() + f.maxWaitMs;
  const left = state.deadline - clock.monotonicMs();
  if (left <= 0) throw frozenTooLong(frozen, f.maxWaitMs);
  const abort = new AbortController();
  try {
    await Promise.race([f.thawed, clock.sleep(left, abort.signal)]);
  } finally {
    abort.abort();
  }
  if (frozen.writeFreeze === f && clock.monotonicMs() >= state.deadline) throw frozenTooLong(frozen, f.maxWaitMs);
  return true;
}

function frozenTooLong(t: Tablet, ms: number) {
  return unavailable(
    `writes to tablet ${t.def.id} of table ${t.def.table} are frozen while it moves to another server, and stayed frozen for ${ms} ms; retry (it is served here or at its new server shortly)`,
    100,
    { tablet: t.def.id, frozen: true },
  );
}
