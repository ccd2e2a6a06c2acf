// Which fragments of a tablet's chain to merge next — a pure function of
// the chain's fragment sizes (oldest first), tested without a disk.
//
// Size-tiered: start from the newest fragment and take older ones while
// each is no bigger than `ratio` × what is already taken (or until two are
// taken). Small recent fragments merge often; a big old base fragment is
// rewritten only when the newer data has grown comparable to it. That keeps
// chains short (about log_ratio(total / serialized size)) with bounded
// write amplification. A window that reaches the oldest fragment is a
// "major" compaction: erasures can be dropped.

export interface CompactionPickerOptions {
  /** Chains shorter than this are left alone. */
  readonly minChainLength: number;
  /** Most fragments merged at once. */
  readonly maxFragments: number;
  /** How much bigger an older fragment may be than the window and still join. */
  readonly ratio: number;
}

export const DEFAULT_PICKER_OPTIONS: CompactionPickerOptions = { minChainLength: 4, maxFragments: 10, ratio: 2 };

export interface CompactionPick {
  /** Window [start, end) of the chain, oldest first. */
  readonly start: number;
  readonly end: number;
  /** The window includes the chain's oldest fragment. */
  readonly major: boolean;
}

export function pickCompaction(sizes: readonly number[], o: CompactionPickerOptions = DEFAULT_PICKER_OPTIONS): CompactionPick | undefined {
  const n = sizes.length;
  if (n < Math.max(2, o.minChainLength)) return undefined;
  const end = n;
  let start = n - 1;
  let taken = sizes[start]!;
  while (start > 0 && end - start < o.maxFragments) {
    const older = sizes[start - 1]!;
    if (end - start >= 2 && older > o.ratio * taken) break;
    start--;
    taken += older;
  }
  return { start, end, major: start === 0 };
}

/** Which tablet most needs compaction (DESIGN §5: chain length × size). */
export function compactionScore(sizes: readonly number[]): number {
  let total = 0;
  for (const s of sizes) total += s;
  return sizes.length * total;
}
