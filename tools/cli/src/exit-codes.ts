// What `kdi`'s exit status means (documented in tools/cli/README.md and
// docs/operations.md): scripts branch on these, so they never change
// meaning.

export const EXIT = {
  /** The command did what it was asked. */
  OK: 0,
  /** The cluster answered with an error; its KdiError code is printed. */
  SERVER_ERROR: 1,
  /** The command line was wrong (unknown command or option, missing or bad argument). */
  USAGE: 2,
  /** The master (or the servers it names) could not be reached. */
  UNREACHABLE: 3,
  /** The table, or the cell asked for, does not exist. */
  NOT_FOUND: 4,
  /**
   * A move `kdi move` waited for ended without being committed (aborted by its source, or refused), or a disk migration
   * `kdi disk-migrate` waited for ended with an error; the tablet stays where it was.
   */
  MOVE_ABORTED: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
