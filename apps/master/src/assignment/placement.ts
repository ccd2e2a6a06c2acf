// Where a tablet goes (DESIGN §9): the least-loaded live server — fewest
// bytes on disk, then lowest request rate, then fewest tablets, counting
// the tablets given out earlier in the same round. Bytes and rates are
// compared in coarse steps (BYTES_STEP, RATE_STEP): servers that differ by
// a few fragments would otherwise take every tablet of a pre-split table
// in one round, since a new tablet adds no bytes until it is written to.

export const BYTES_STEP = 64 * 1024 * 1024;
export const RATE_STEP = 50;

export interface Candidate {
  readonly serverId: string;
  readonly diskBytes: number;
  readonly requestsPerSec: number;
  /** Tablets it holds now (from META), including ones given to it this round. */
  readonly tablets: number;
}

function key(c: Candidate): [number, number, number] {
  return [Math.floor(c.diskBytes / BYTES_STEP), Math.floor(c.requestsPerSec / RATE_STEP), c.tablets];
}

/** The candidate to give the next tablet to; undefined when there is none. */
export function leastLoaded<C extends Candidate>(candidates: readonly C[]): C | undefined {
  let best: C | undefined;
  for (const c of candidates) {
    if (best === undefined || compare(c, best) < 0) best = c;
  }
  return best;
}

function compare(a: Candidate, b: Candidate): number {
  const ka = key(a);
  const kb = key(b);
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
  return a.serverId < b.serverId ? -1 : a.serverId > b.serverId ? 1 : 0;
}

/** Spreads `count` tablets over the candidates one at a time; the chosen server ids in order. */
export function planPlacements(candidates: readonly Candidate[], count: number): string[] {
  const pool = candidates.map((c) => ({ ...c }));
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const c = leastLoaded(pool);
    if (c === undefined) break;
    c.tablets++;
    out.push(c.serverId);
  }
  return out;
}
