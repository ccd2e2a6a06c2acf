// Which adjacent tablets of a table to merge (DESIGN §9: "the master
// merges adjacent small tablets") — a pure function over the table's
// tablets in row order, tested with data (test/testdata/merge-plan.txt).
//
// This plans only; merge-runner.ts carries candidates out when merges are
// on (KDI_MASTER_MERGE_BELOW_BYTES), two tablets at a time.
//
// Promises of planMerges:
//   - a merge is a run of ≥ 2 tablets adjacent in row order (each one's
//     upper bound is the next one's lower bound), every one of them small
//     (diskBytes < smallBytes) and cold (requestsPerSec ≤ coldRate);
//   - the run's total bytes stay ≤ maxMergedBytes and it holds at most
//     maxRun tablets;
//   - runs do not overlap; tablets are taken greedily from the first row.

export interface MergeTablet {
  readonly tabletId: string;
  /** Bounds as the master's API writes them (same encoding for the whole table); undefined = unbounded. */
  readonly lowerExclusive?: string | undefined;
  readonly upperInclusive?: string | undefined;
  readonly diskBytes: number;
  readonly requestsPerSec: number;
}

export interface MergeOptions {
  /** A tablet below this many bytes is small. */
  readonly smallBytes: number;
  /** A tablet at or below this request rate is cold. */
  readonly coldRate: number;
  /** A merged tablet is at most this big. */
  readonly maxMergedBytes: number;
  /** Most tablets in one merge. */
  readonly maxRun: number;
}

export const DEFAULT_MERGE_OPTIONS: MergeOptions = {
  smallBytes: 16 * 1024 * 1024,
  coldRate: 1,
  maxMergedBytes: 64 * 1024 * 1024,
  maxRun: 8,
};

export interface PlannedMerge {
  readonly table: string;
  /** Adjacent tablets, in row order. */
  readonly tabletIds: readonly string[];
  readonly lowerExclusive?: string | undefined;
  readonly upperInclusive?: string | undefined;
  readonly diskBytes: number;
  readonly requestsPerSec: number;
  readonly explanation: string;
}

export function planMerges(table: string, tablets: readonly MergeTablet[], o: MergeOptions = DEFAULT_MERGE_OPTIONS): PlannedMerge[] {
  const out: PlannedMerge[] = [];
  const candidate = (t: MergeTablet) => t.diskBytes < o.smallBytes && t.requestsPerSec <= o.coldRate;
  let run: MergeTablet[] = [];
  let bytes = 0;
  const flush = () => {
    if (run.length >= 2) {
      const rate = run.reduce((n, t) => n + t.requestsPerSec, 0);
      out.push({
        table,
        tabletIds: run.map((t) => t.tabletId),
        ...(run[0]!.lowerExclusive !== undefined && { lowerExclusive: run[0]!.lowerExclusive }),
        ...(run.at(-1)!.upperInclusive !== undefined && { upperInclusive: run.at(-1)!.upperInclusive }),
        diskBytes: bytes,
        requestsPerSec: rate,
        explanation: `${run.length} adjacent tablets of ${table}, each under ${o.smallBytes} bytes and at most ${o.coldRate} requests/s, ${bytes} bytes together (≤ ${o.maxMergedBytes})`,
      });
    }
    run = [];
    bytes = 0;
  };
  for (const t of tablets) {
    if (!candidate(t)) {
      flush();
      continue;
    }
    const last = run.at(-1);
    const adjacent = last !== undefined && last.upperInclusive !== undefined && last.upperInclusive === t.lowerExclusive;
    if (last !== undefined && (!adjacent || bytes + t.diskBytes > o.maxMergedBytes || run.length >= o.maxRun)) flush();
    run.push(t);
    bytes += t.diskBytes;
  }
  flush();
  return out;
}
