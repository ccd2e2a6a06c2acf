// Repetition policy (DESIGN §17): a figure is the median of 3 runs when a run
// is short (under 2 s); a long run is measured once, since its own length
// already averages out scheduler and GC noise.

export interface RepeatOptions {
  /** Runs shorter than this are repeated. */
  readonly shortSeconds: number;
  readonly repeats: number;
}

export const DEFAULT_REPEAT: RepeatOptions = { shortSeconds: 2, repeats: 3 };

/** Seconds since an arbitrary origin, sub-microsecond resolution. */
export function nowSeconds(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

/**
 * Calls `run` (which returns the seconds of its own timed section, setup
 * excluded) once, or `repeats` times if the first run was short, and returns
 * the median duration.
 */
export async function medianSeconds(run: () => Promise<number>, o: RepeatOptions = DEFAULT_REPEAT): Promise<number> {
  const first = await run();
  if (first >= o.shortSeconds) return first;
  const times = [first];
  while (times.length < o.repeats) times.push(await run());
  return median(times);
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
