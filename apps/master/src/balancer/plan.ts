// The balancer's planner (DESIGN §9, docs/migration.md): a synchronous,
// deterministic function from the cluster's per-server loads to a list of
// tablet moves, each with its reason and the figures behind it. No clock,
// no I/O: the executor (balancer.ts) gathers the loads from heartbeats and
// runs the moves; tests feed it data (test/testdata/balancer-plan.txt).
//
// The model. A server's load is the sum of its tablets' bytes and request
// rates (reads + writes per second). Moves already running are counted as
// done (the tablet is taken off its source and put on its target), so a
// plan never moves a tablet twice or piles moves onto a target that is
// already receiving. Draining servers are not part of the pool: the skew
// is max − min over the servers that are not draining, and only they are
// targets.
//
// Promises of planBalance:
//   1. Drain first: every movable tablet of a draining server is planned
//      off it (largest first) to the least-loaded pool server (bytes, then
//      rate, then tablet count, then id); nothing is ever planned onto a
//      draining server. A tablet that cannot move (not serving) is named
//      in notes. A drain-only tablet (META: every META write waits while
//      it moves) goes last: once no other tablet of its server is left
//      there or moving off; balancing never moves it.
//   2. Then balance, while the skew in bytes or in request rate is above
//      its threshold: from the most loaded pool server in the dimension
//      with the larger skew/threshold, to the least loaded one, the tablet
//      whose size (in that dimension) is closest to half the gap, and
//      strictly smaller than the gap. Such a move lowers the sum of squared
//      loads by 2·s·(gap − s) > 0, so the dimension's skew never grows and
//      repeated planning converges (finitely many placements, a strictly
//      decreasing measure). The other dimension's skew may not end above
//      max(its skew before, its threshold). When no tablet qualifies the
//      plan says so in notes rather than make the skew worse.
//   3. At most `maxConcurrentMoves` moves run at once: running + planned ≤
//      the bound (drain moves count too). A tablet already moving is not
//      planned.
//   4. Every planned move carries the skews before and after it (applied
//      to the model in order), the source's and target's loads, and a
//      sentence saying why.

import { formatBytes } from '@kdi/primitives';

export type MoveReason = 'drain' | 'bytes-skew' | 'rate-skew';

export interface PlanTablet {
  readonly tabletId: string;
  readonly table: string;
  readonly diskBytes: number;
  /** Reads + writes per second. */
  readonly requestsPerSec: number;
  /** False for a tablet that cannot be migrated now (not serving); default true. */
  readonly movable?: boolean | undefined;
  /** Moved only off a draining server, after its other tablets; never to balance (META). Default false. */
  readonly drainOnly?: boolean | undefined;
}

export interface PlanServer {
  readonly serverId: string;
  readonly draining: boolean;
  /** Its tablets as its last heartbeat reported them. */
  readonly tablets: readonly PlanTablet[];
}

export interface RunningMove {
  readonly tabletId: string;
  readonly from: string;
  readonly to: string;
}

export interface BalancerOptions {
  /** Balance when max − min bytes over the pool is above this. */
  readonly bytesSkewThreshold: number;
  /** Balance when max − min request rate over the pool is above this. */
  readonly rateSkewThreshold: number;
  /** Most moves running at once (running + planned). */
  readonly maxConcurrentMoves: number;
  /** False: drain moves only (the executor's quick ticks between balancing runs). */
  readonly balance: boolean;
}

export const DEFAULT_BALANCER_OPTIONS: BalancerOptions = {
  bytesSkewThreshold: 1024 * 1024 * 1024,
  rateSkewThreshold: 500,
  maxConcurrentMoves: 2,
  balance: true,
};

export interface Skew {
  /** max − min bytes over the pool (0 with fewer than two pool servers). */
  readonly bytes: number;
  readonly rate: number;
}

export interface Load {
  readonly diskBytes: number;
  readonly requestsPerSec: number;
  readonly tablets: number;
}

export interface PlannedMove {
  readonly tabletId: string;
  readonly table: string;
  readonly from: string;
  readonly to: string;
  readonly reason: MoveReason;
  readonly diskBytes: number;
  readonly requestsPerSec: number;
  readonly skewBefore: Skew;
  readonly skewAfter: Skew;
  readonly fromBefore: Load;
  readonly toBefore: Load;
  /** One sentence: why this tablet, from here, to there. */
  readonly explanation: string;
}

export interface BalancePlan {
  readonly moves: readonly PlannedMove[];
  /** The pool's skew with the running moves counted as done, before the planned ones. */
  readonly skewBefore: Skew;
  /** After the planned moves too. */
  readonly skewAfter: Skew;
  readonly running: number;
  /** True when no draining server holds a movable tablet and neither skew is above its threshold (after the plan). */
  readonly balanced: boolean;
  /** Why the plan stops where it does: balanced, the concurrency bound, no tablet that would lower the skew, a tablet that cannot move. */
  readonly notes: readonly string[];
}

interface ModelServer {
  readonly serverId: string;
  readonly draining: boolean;
  readonly tablets: Map<string, PlanTablet & { moving: boolean }>;
  bytes: number;
  rate: number;
}

const movableTablet = (t: PlanTablet & { moving: boolean }) => t.movable !== false && !t.moving;
/** Movable by the balancing half of a plan (not drain-only). */
const balanceable = (t: PlanTablet & { moving: boolean }) => movableTablet(t) && t.drainOnly !== true;

function loadOf(s: ModelServer): Load {
  return { diskBytes: s.bytes, requestsPerSec: s.rate, tablets: s.tablets.size };
}

function byId(a: { serverId: string }, b: { serverId: string }): number {
  return a.serverId < b.serverId ? -1 : a.serverId > b.serverId ? 1 : 0;
}

function buildModel(servers: readonly PlanServer[], running: readonly RunningMove[]): Map<string, ModelServer> {
  const model = new Map<string, ModelServer>();
  for (const s of [...servers].sort(byId)) {
    const m: ModelServer = { serverId: s.serverId, draining: s.draining, tablets: new Map(), bytes: 0, rate: 0 };
    for (const t of s.tablets) {
      m.tablets.set(t.tabletId, { ...t, moving: false });
      m.bytes += t.diskBytes;
      m.rate += t.requestsPerSec;
    }
    model.set(s.serverId, m);
  }
  for (const r of running) {
    const from = model.get(r.from);
    const t = from?.tablets.get(r.tabletId);
    const to = model.get(r.to);
    if (t !== undefined && to !== undefined && from !== undefined) transfer(from, to, t);
    // Already on the target (its heartbeat is newer than the move's end), or a server not in the input: mark it, move nothing.
    const there = to?.tablets.get(r.tabletId) ?? from?.tablets.get(r.tabletId);
    if (there !== undefined) there.moving = true;
  }
  return model;
}

function transfer(from: ModelServer, to: ModelServer, t: PlanTablet & { moving: boolean }): void {
  from.tablets.delete(t.tabletId);
  from.bytes -= t.diskBytes;
  from.rate -= t.requestsPerSec;
  to.tablets.set(t.tabletId, t);
  to.bytes += t.diskBytes;
  to.rate += t.requestsPerSec;
}

function pool(model: Map<string, ModelServer>): ModelServer[] {
  return [...model.values()].filter((s) => !s.draining);
}

export function skewOf(servers: readonly { bytes: number; rate: number }[]): Skew {
  if (servers.length < 2) return { bytes: 0, rate: 0 };
  let bMin = Infinity;
  let bMax = -Infinity;
  let rMin = Infinity;
  let rMax = -Infinity;
  for (const s of servers) {
    bMin = Math.min(bMin, s.bytes);
    bMax = Math.max(bMax, s.bytes);
    rMin = Math.min(rMin, s.rate);
    rMax = Math.max(rMax, s.rate);
  }
  return { bytes: bMax - bMin, rate: rMax - rMin };
}

/** The pool server a new tablet goes to: fewest bytes, then lowest rate, then fewest tablets, then id. */
function leastLoaded(servers: readonly ModelServer[]): ModelServer | undefined {
  let best: ModelServer | undefined;
  for (const s of servers) {
    if (best === undefined) best = s;
    else if (
      s.bytes !== best.bytes
        ? s.bytes < best.bytes
        : s.rate !== best.rate
          ? s.rate < best.rate
          : s.tablets.size !== best.tablets.size
            ? s.tablets.size < best.tablets.size
            : s.serverId < best.serverId
    )
      best = s;
  }
  return best;
}

type Dim = 'bytes' | 'rate';
const sizeIn = (t: PlanTablet, d: Dim) => (d === 'bytes' ? t.diskBytes : t.requestsPerSec);
const loadIn = (s: ModelServer, d: Dim) => (d === 'bytes' ? s.bytes : s.rate);

export function planBalance(servers: readonly PlanServer[], running: readonly RunningMove[], options: BalancerOptions = DEFAULT_BALANCER_OPTIONS): BalancePlan {
  const model = buildModel(servers, running);
  const notes: string[] = [];
  const moves: PlannedMove[] = [];
  const skewBefore = skewOf(pool(model));
  let slots = Math.max(0, options.maxConcurrentMoves - running.length);
  const full = () => slots <= 0;

  const plan = (from: ModelServer, to: ModelServer, t: PlanTablet & { moving: boolean }, reason: MoveReason, why: (after: Skew) => string) => {
    const before = skewOf(pool(model));
    const fromBefore = loadOf(from);
    const toBefore = loadOf(to);
    transfer(from, to, t);
    t.moving = true;
    const after = skewOf(pool(model));
    moves.push({
      tabletId: t.tabletId,
      table: t.table,
      from: from.serverId,
      to: to.serverId,
      reason,
      diskBytes: t.diskBytes,
      requestsPerSec: t.requestsPerSec,
      skewBefore: before,
      skewAfter: after,
      fromBefore,
      toBefore,
      explanation: why(after),
    });
    slots--;
  };

  // 1. Drain.
  let drainLeft = 0;
  for (const s of model.values()) {
    if (!s.draining) continue;
    const last = (t: PlanTablet) => (t.drainOnly === true ? 1 : 0);
    const tablets = [...s.tablets.values()].sort((a, b) => last(a) - last(b) || b.diskBytes - a.diskBytes || (a.tabletId < b.tabletId ? -1 : 1));
    for (const t of tablets) {
      if (t.movable === false) {
        notes.push(`${t.tabletId} (${t.table}) stays on draining ${s.serverId}: it cannot be migrated`);
        continue;
      }
      if (t.moving) continue;
      if (t.drainOnly === true) {
        const others = [...s.tablets.values()].filter((x) => x !== t && movableTablet(x)).length;
        const leaving = running.filter((r) => r.from === s.serverId).length + moves.filter((m) => m.from === s.serverId).length;
        if (others + leaving > 0) {
          notes.push(`${t.tabletId} (${t.table}) moves off draining ${s.serverId} last: ${others + leaving} other tablet(s) are still there or moving off`);
          continue;
        }
      }
      const target = leastLoaded(pool(model));
      if (target === undefined) {
        notes.push(`cannot drain ${s.serverId}: no live server that is not draining to move its tablets to`);
        drainLeft += [...s.tablets.values()].filter(movableTablet).length;
        break;
      }
      if (full()) {
        drainLeft++;
        continue;
      }
      plan(s, target, t, 'drain', () => `${s.serverId} is draining; ${target.serverId} is the least-loaded server (${formatBytes(target.bytes)}, ${fmtRate(target.rate)})`);
    }
  }
  if (drainLeft > 0 && full()) notes.push(`${drainLeft} tablet(s) of draining servers wait: ${options.maxConcurrentMoves} move(s) at most run at once`);

  // 2. Balance.
  if (options.balance) balance(model, options, notes, plan, full);
  else notes.push('drain moves only (balancing not asked for)');

  const skewAfter = skewOf(pool(model));
  const overThreshold = skewAfter.bytes > options.bytesSkewThreshold || skewAfter.rate > options.rateSkewThreshold;
  const drainPending = [...model.values()].some((s) => s.draining && [...s.tablets.values()].some((t) => t.movable !== false && !t.moving));
  return { moves, skewBefore, skewAfter, running: running.length, balanced: !overThreshold && !drainPending, notes };
}

function balance(
  model: Map<string, ModelServer>,
  o: BalancerOptions,
  notes: string[],
  plan: (from: ModelServer, to: ModelServer, t: PlanTablet & { moving: boolean }, reason: MoveReason, why: (after: Skew) => string) => void,
  full: () => boolean,
): void {
  const threshold = (d: Dim) => (d === 'bytes' ? o.bytesSkewThreshold : o.rateSkewThreshold);
  for (;;) {
    const servers = pool(model);
    const skew = skewOf(servers);
    const pressure = (d: Dim) => (threshold(d) > 0 ? skew[d] / threshold(d) : skew[d] > 0 ? Infinity : 0);
    const dims = (['bytes', 'rate'] as const).filter((d) => skew[d] > threshold(d)).sort((a, b) => pressure(b) - pressure(a));
    if (dims.length === 0) {
      notes.push(`balanced: bytes skew ${formatBytes(skew.bytes)} ≤ ${formatBytes(o.bytesSkewThreshold)}, rate skew ${fmtRate(skew.rate)} ≤ ${fmtRate(o.rateSkewThreshold)}`);
      return;
    }
    if (full()) {
      notes.push(
        `skew above the threshold (${dims.map((d) => `${d} ${d === 'bytes' ? formatBytes(skew.bytes) : fmtRate(skew.rate)}`).join(', ')}), but ${o.maxConcurrentMoves} move(s) at most run at once`,
      );
      return;
    }
    let done = false;
    const why: string[] = [];
    for (const d of dims) {
      const other: Dim = d === 'bytes' ? 'rate' : 'bytes';
      const sorted = [...servers].sort((a, b) => loadIn(b, d) - loadIn(a, d) || byId(a, b));
      const from = sorted[0]!;
      const to = sorted.reduce((best, s) => (loadIn(s, d) < loadIn(best, d) || (loadIn(s, d) === loadIn(best, d) && s.serverId < best.serverId) ? s : best));
      const gap = loadIn(from, d) - loadIn(to, d);
      const otherLimit = Math.max(skew[other], threshold(other));
      let best: { t: PlanTablet & { moving: boolean }; score: number; otherAfter: number } | undefined;
      let tooBig = 0;
      let raisesOther = 0;
      let fixed = 0;
      for (const t of from.tablets.values()) {
        const s = sizeIn(t, d);
        if (!balanceable(t)) {
          fixed++;
          continue;
        }
        if (!(s > 0 && s < gap)) {
          tooBig += s > 0 ? 1 : 0;
          continue;
        }
        // The other dimension's skew after the move.
        const so = sizeIn(t, other);
        const otherAfter = skewOf(servers.map((x) => (x === from ? shifted(x, other, -so) : x === to ? shifted(x, other, so) : x)))[other];
        if (otherAfter > otherLimit) {
          raisesOther++;
          continue;
        }
        const score = Math.abs(gap / 2 - s);
        if (
          best === undefined ||
          score < best.score ||
          (score === best.score && (otherAfter < best.otherAfter || (otherAfter === best.otherAfter && t.tabletId < best.t.tabletId)))
        ) {
          best = { t, score, otherAfter };
        }
      }
      if (best === undefined) {
        const unit = d === 'bytes' ? formatBytes : fmtRate;
        const parts = [
          ...(tooBig > 0 ? [`${tooBig} not smaller than the gap to ${to.serverId} (${unit(gap)}), so moving one would not lower the skew`] : []),
          ...(raisesOther > 0 ? [`${raisesOther} would raise the ${other} skew past ${d === 'bytes' ? fmtRate(otherLimit) : formatBytes(otherLimit)}`] : []),
          ...(fixed > 0 ? [`${fixed} cannot move or are moving`] : []),
        ];
        why.push(
          `${d} skew ${unit(skew[d])} > ${unit(threshold(d))}, but no tablet of ${from.serverId} (the most loaded) would lower it${parts.length > 0 ? `: ${parts.join('; ')}` : ''}`,
        );
        continue;
      }
      const unit = d === 'bytes' ? formatBytes : fmtRate;
      const [fromLoad, toLoad, size] = [loadIn(from, d), loadIn(to, d), sizeIn(best.t, d)];
      plan(
        from,
        to,
        best.t,
        d === 'bytes' ? 'bytes-skew' : 'rate-skew',
        (after) =>
          `${d} skew ${unit(skew[d])} > threshold ${unit(threshold(d))}: ${from.serverId} is the most loaded (${unit(fromLoad)}), ` +
          `${to.serverId} the least (${unit(toLoad)}); this tablet (${unit(size)}) is the closest to half the gap and brings the skew to ${unit(after[d])}`,
      );
      done = true;
      break;
    }
    if (!done) {
      notes.push(...why);
      return;
    }
  }
}

function shifted(s: ModelServer, d: Dim, by: number): { bytes: number; rate: number } {
  return d === 'bytes' ? { bytes: s.bytes + by, rate: s.rate } : { bytes: s.bytes, rate: s.rate + by };
}

export function fmtRate(n: number): string {
  return `${Number(n.toFixed(n >= 10 ? 0 : 1))}/s`;
}
