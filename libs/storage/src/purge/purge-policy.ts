// Purge policies (DESIGN §6): how many versions of a (row, column) and how
// old a version may be before it is dropped. Applied by compaction (the
// cells are gone from disk) and filtered at scan time, so what a scan
// returns never depends on when compaction last ran.

export interface PurgePolicy {
  /** Keep at most this many newest versions of each (row, column). */
  readonly maxHistory?: number;
  /** Drop versions whose timestamp is older than now − maxAgeMicros. */
  readonly maxAgeMicros?: number;
  /**
   * With both limits: 'or' drops a version that breaks either limit,
   * 'and' only one that breaks both (HBase's MIN_VERSIONS with TTL).
   */
  readonly combine?: 'and' | 'or';
}

/** A policy bound to a moment: answers "is this version purged?". */
export type PurgeTest = (versionIndex: number, timestamp: number) => boolean;

export function validatePurgePolicy(p: PurgePolicy): string | undefined {
  if (p.maxHistory !== undefined && (!Number.isSafeInteger(p.maxHistory) || p.maxHistory < 1)) {
    return `purge.maxHistory must be a positive integer, got ${p.maxHistory}`;
  }
  if (p.maxAgeMicros !== undefined && (!Number.isSafeInteger(p.maxAgeMicros) || p.maxAgeMicros < 1)) {
    return `purge.maxAgeMicros must be a positive integer, got ${p.maxAgeMicros}`;
  }
  if (p.combine !== undefined && p.combine !== 'and' && p.combine !== 'or') {
    return `purge.combine must be "and" or "or", got ${String(p.combine)}`;
  }
  return undefined;
}

/**
 * Binds a policy to `nowMicros`. versionIndex is 0 for the newest live
 * version of a (row, column), counting after erasures. Returns undefined
 * when the policy purges nothing.
 */
export function purgeTest(p: PurgePolicy | undefined, nowMicros: number): PurgeTest | undefined {
  if (!p) return undefined;
  const { maxHistory, maxAgeMicros } = p;
  if (maxHistory === undefined && maxAgeMicros === undefined) return undefined;
  const cutoff = maxAgeMicros === undefined ? undefined : nowMicros - maxAgeMicros;
  if (maxAgeMicros === undefined) return (v) => v >= maxHistory!;
  if (maxHistory === undefined) return (_v, t) => t < cutoff!;
  return p.combine === 'and' ? (v, t) => v >= maxHistory && t < cutoff! : (v, t) => v >= maxHistory || t < cutoff!;
}
