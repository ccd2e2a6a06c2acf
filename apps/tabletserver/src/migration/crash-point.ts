// TEST-ONLY crash points of a migration (docs/migration.md, docs/operations.md):
// with KDI_TS_MIGRATION_CRASH_AT=<point> the process kills itself with
// SIGKILL (as kill -9 would) when a migration reaches that point, so the
// crash tests can stop either side at every step. Never set it in
// production. Points: the source's steps (prepare, copy, catch-up, freeze,
// commit — each at its start —, delta: before the second delta round,
// after the first was applied at the target, and done: after the
// target's answer, before the hand-over) and the target's
// (target-prepare, target-copy after the first file is written,
// target-preloaded after the preload, before its answer, target-delta
// after a delta round was applied, before the answer, target-commit
// before the META write, target-committed after it, before the answer).
// KDI_TS_MIGRATION_PAUSE_AT=<point> (with KDI_TS_MIGRATION_PAUSE_MS, default
// 3000) makes the migration wait there instead — at target-commit, for
// the test of the source's fence (a commit whose META write comes late
// must not land after the source gave up on it); at target-committed, for
// the test of reads at the source while the target already serves; and at
// delta, for the test that writes made between delta rounds all reach the
// target.

export const CRASH_POINTS = [
  'prepare',
  'copy',
  'catch-up',
  'delta',
  'freeze',
  'commit',
  'done',
  'target-prepare',
  'target-copy',
  'target-preloaded',
  'target-delta',
  'target-commit',
  'target-committed',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

/** A function that kills the process at `point` when it is the configured one. */
export function crashPoints(configured: string | undefined, log: { error(obj: object, msg: string): void }): (point: CrashPoint) => void {
  return (point) => {
    if (configured !== point) return;
    log.error({ point }, 'KDI_TS_MIGRATION_CRASH_AT reached: killing this process (test-only)');
    process.kill(process.pid, 'SIGKILL');
    // Nothing may run after the point: block until the signal lands.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
  };
}

/** A function that waits `ms` at `point` when it is the configured pause point (test-only). */
export function pausePoints(configured: string | undefined, ms: number, log: { error(obj: object, msg: string): void }): (point: CrashPoint) => Promise<void> {
  return async (point) => {
    if (configured !== point) return;
    log.error({ point, ms }, 'KDI_TS_MIGRATION_PAUSE_AT reached: pausing this migration (test-only)');
    await new Promise((r) => setTimeout(r, ms));
  };
}
