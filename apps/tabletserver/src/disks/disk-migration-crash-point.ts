// TEST-ONLY crash points of a disk migration (issue 11, DESIGN §11;
// docs/disks.md, docs/operations.md): with
// KDI_TS_DISK_MIGRATION_CRASH_AT=<state> the process kills itself with
// SIGKILL (as kill -9 would) when a disk migration enters that state —
// MOVING (before the copy into `.migrate.tmp`), MOVED (the copy done),
// CLOSED (the swap of the fragment references) or COMPLETED — so the
// crash tests can stop a migration at every state. The engine calls the
// hook (EngineOptions.onDiskMigrationState) as it enters each state.
// KDI_TS_DISK_MIGRATION_PAUSE_AT=<state,state,…> (with
// KDI_TS_DISK_MIGRATION_PAUSE_MS, default 3000) makes the migration wait
// that long on entering each of those states instead, so the test of
// reads and writes during every state sees each state for long enough.
// Never set either in production.
//
// Promises: with nothing configured the hook is undefined (the engine
// runs without one); with a crash state, nothing of this process runs
// after the hook fires for that state; a pause resolves after its time.

export const DISK_MIGRATION_CRASH_STATES = ['MOVING', 'MOVED', 'CLOSED', 'COMPLETED'] as const;
export type DiskMigrationCrashState = (typeof DISK_MIGRATION_CRASH_STATES)[number];

export interface DiskMigrationTestHooks {
  /** KDI_TS_DISK_MIGRATION_CRASH_AT. */
  readonly crashAt?: DiskMigrationCrashState | undefined;
  /** KDI_TS_DISK_MIGRATION_PAUSE_AT and KDI_TS_DISK_MIGRATION_PAUSE_MS. */
  readonly pauseAt?: readonly DiskMigrationCrashState[] | undefined;
  readonly pauseMs?: number;
}

/** The engine's onDiskMigrationState hook for what is configured (undefined when nothing is). */
export function diskMigrationCrashHook(
  o: DiskMigrationTestHooks,
  log: { error(obj: object, msg: string): void },
): ((tablet: string, state: string) => void | Promise<void>) | undefined {
  const pauseAt = new Set<string>(o.pauseAt ?? []);
  if (o.crashAt === undefined && pauseAt.size === 0) return undefined;
  const pauseMs = o.pauseMs ?? 3_000;
  return (tablet, state) => {
    if (state === o.crashAt) {
      log.error({ tablet, state }, 'KDI_TS_DISK_MIGRATION_CRASH_AT reached: killing this process (test-only)');
      process.kill(process.pid, 'SIGKILL');
      // Nothing may run after the point: block until the signal lands.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
    }
    if (!pauseAt.has(state)) return;
    log.error({ tablet, state, ms: pauseMs }, 'KDI_TS_DISK_MIGRATION_PAUSE_AT reached: pausing this disk migration (test-only)');
    return new Promise<void>((r) => setTimeout(r, pauseMs));
  };
}
