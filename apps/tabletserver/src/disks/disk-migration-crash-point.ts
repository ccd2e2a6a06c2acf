// TEST-ONLY crash points of a disk migration (issue 11, DESIGN §11;
// docs/disks.md, docs/operations.md): with
// KDI_TS_DISK_MIGRATION_CRASH_AT=<state> the process kills itself with
// SIGKILL (as kill -9 would) when a disk migration enters that state —
// MOVING (before the copy into `.migrate.tmp`), MOVED (the copy done),
// CLOSED (the swap of the fragment references) or COMPLETED — so the
// crash tests can stop a migration at every state. The engine calls the
// hook (EngineOptions.onDiskMigrationState) as it enters each state.
// Never set it in production.
//
// Promises: with no configured state the hook is undefined (the engine
// runs without one); with one, nothing of this process runs after the
// hook fires for that state.

export const DISK_MIGRATION_CRASH_STATES = ['MOVING', 'MOVED', 'CLOSED', 'COMPLETED'] as const;
export type DiskMigrationCrashState = (typeof DISK_MIGRATION_CRASH_STATES)[number];

/** The engine's onDiskMigrationState hook for `configured` (undefined when none is configured). */
export function diskMigrationCrashHook(
  configured: DiskMigrationCrashState | undefined,
  log: { error(obj: object, msg: string): void },
): ((tablet: string, state: string) => void) | undefined {
  if (configured === undefined) return undefined;
  return (tablet, state) => {
    if (state !== configured) return;
    log.error({ tablet, state }, 'KDI_TS_DISK_MIGRATION_CRASH_AT reached: killing this process (test-only)');
    process.kill(process.pid, 'SIGKILL');
    // Nothing may run after the point: block until the signal lands.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
  };
}
