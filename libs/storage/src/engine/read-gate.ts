// Gating one tablet's reads (DESIGN §10 `commit`: read-your-writes across
// a migration's hand-over). From just before the source sends the commit
// to the target, the target may acknowledge writes to the tablet that the
// source's copy will never see; a read opened at the source after that
// moment could miss them. While a tablet's reads are gated, opening a
// scanner on it (and Engine.readable) waits — until the gate opens or its
// own bound passes — and then looks the tablet up again: it may have left
// this engine meanwhile (the hand-over dropped it: 'not-found', and the
// tablet server answers WRONG_TABLET with the new location), or serve on
// here (the move aborted: the gate opened).
//
// A scanner opened before the gate closed is not stopped. It is a read
// that started before the commit was sent, so before the target could
// acknowledge any write to the tablet: it may miss such a write as any
// read may miss a write that was not yet acknowledged when it started.
//
// Promises:
//  - at most one gate per tablet; open() is idempotent and releases every
//    waiter at once;
//  - a gated tablet that is dropped or unloaded releases its waiters (they
//    look it up again and find it gone);
//  - a waiter never waits longer than the gate's maxWaitMs (on the
//    engine's clock), counted from when it started waiting; then it fails
//    'unavailable' (retryable).

import type { Clock } from '@kdi/primitives';
import { unavailable } from '../errors.js';
import type { Tablet } from './tablet.js';

export interface ReadGateState {
  readonly maxWaitMs: number;
  /** Resolves when the gate opens. */
  readonly opened: Promise<void>;
  open(): void;
}

/** What the engine hands the caller of gateReads. */
export interface ReadGate {
  /** The tablet gated. */
  readonly tabletId: string;
  /** Opens the gate: waiting reads go on (or find the tablet gone). Idempotent. */
  open(): void;
}

export function newReadGateState(maxWaitMs: number): ReadGateState {
  let release!: () => void;
  const opened = new Promise<void>((resolve) => (release = resolve));
  return { maxWaitMs, opened, open: () => release() };
}

/** Opens a tablet's read gate (if any), releasing its waiters. */
export function openReadGate(t: Tablet): void {
  const g = t.readGate;
  if (g === undefined) return;
  t.readGate = undefined;
  g.open();
}

/**
 * Waits while tablet `t`'s reads are gated; `state.deadline` is the
 * monotonic time past which the wait fails (set on the first wait, kept
 * across calls by the caller). Resolves false at once when `t` is not
 * gated, true after a wait (the caller looks the tablet up again).
 */
export async function waitWhileReadsGated(t: Tablet, clock: Clock, state: { deadline?: number }): Promise<boolean> {
  const g = t.readGate;
  if (g === undefined) return false;
  state.deadline ??= clock.monotonicMs() + g.maxWaitMs;
  const left = state.deadline - clock.monotonicMs();
  if (left <= 0) throw gatedTooLong(t, g.maxWaitMs);
  const abort = new AbortController();
  try {
    await Promise.race([g.opened, clock.sleep(left, abort.signal)]);
  } finally {
    abort.abort();
  }
  if (t.readGate === g && clock.monotonicMs() >= state.deadline) throw gatedTooLong(t, g.maxWaitMs);
  return true;
}

function gatedTooLong(t: Tablet, ms: number) {
  return unavailable(
    `reads of tablet ${t.def.id} of table ${t.def.table} wait while it is handed over to another server, and waited ${ms} ms; retry (it is served here or at its new server shortly)`,
    100,
    { tablet: t.def.id, readsGated: true },
  );
}
