// The disk-balance planner (issue 11, DESIGN §11: the disk-rebalance
// planner Pegasus left "in our future plan"): a synchronous, deterministic
// function from one server's disks — capacity, bytes used, the tablets'
// bytes on each — to a list of disk moves, each with its reason and the
// figures behind it. No clock, no I/O: the executor gathers the usage and
// runs the moves one at a time, planning again after each; tests feed it
// data (test/testdata/disk-balance-plan.txt). Shaped like the compaction
// picker: a cheap "nothing to do" check first, then one pick at a time.
//
// The model. A disk's usage is used ÷ capacity, where used is what its
// filesystem reports (KDI files and others: a disk full of someone else's
// files is full all the same). Only KDI tablets move. The mean usage is
// Σ used ÷ Σ capacity: the usage every disk would have if the bytes were
// spread by capacity. The skew is the fullest disk's usage minus the
// emptiest's. A move running (one at a time on a server) is counted as done.
//
// Promises of planDiskBalance:
//   1. Nothing to do when the fullest disk's usage is under `usageFloor`,
//      or the skew is at or under `skewThreshold`; `notes` says which.
//   2. Otherwise one pick at a time, until one of those holds, no tablet
//      fits, or `maxMoves` moves are planned: from the disks above the mean
//      (fullest first), the largest movable tablet of at least
//      `minTabletBytes` that fits on a target without overshooting the
//      mean — the source stays at or above the mean, the target ends at or
//      under it and at or under `highWaterMark` — onto the target with the
//      most room under the mean (bytes), ties by path. So a move never goes
//      onto a fuller disk (the target ends no fuller than the source), the
//      skew never grows, and Σ capacity·(usage − mean)² strictly falls with
//      every move: repeated planning converges.
//   3. A tablet is planned at most once, and a tablet already moving is not
//      planned; tablets under `minTabletBytes` are skipped (the notes count
//      them when nothing else fits).
//   4. Every planned move carries the two disks' usage before and after it
//      and the skew before and after it (applied to the model in order),
//      and a sentence saying why.

import { formatBytes } from '@kdi/primitives';

export interface DiskPlanTablet {
  readonly tabletId: string;
  readonly table: string;
  /** The tablet's bytes on this disk. */
  readonly bytes: number;
  /** False for a tablet that cannot move now (loading, unloading, migrating); default true. */
  readonly movable?: boolean | undefined;
}

export interface DiskPlanDisk {
  /** The data directory (the disk's name in commands). */
  readonly path: string;
  readonly capacityBytes: number;
  /** Bytes used on its filesystem, KDI's and others'. */
  readonly usedBytes: number;
  readonly tablets: readonly DiskPlanTablet[];
}

export interface RunningDiskMove {
  readonly tabletId: string;
  readonly from: string;
  readonly to: string;
}

export interface DiskBalanceOptions {
  /** Nothing to do while the fullest disk's usage (0..1) is under this. */
  readonly usageFloor: number;
  /** Nothing to do while max − min usage (0..1) is at or under this. */
  readonly skewThreshold: number;
  /** Tablets with fewer bytes on the source disk are not moved (not worth a move). */
  readonly minTabletBytes: number;
  /** No move may leave its target fuller than this (0..1): the disk's high-water mark. */
  readonly highWaterMark: number;
  /** Most moves in one plan (the executor runs one and plans again). */
  readonly maxMoves: number;
}

export const DEFAULT_DISK_BALANCE_OPTIONS: DiskBalanceOptions = {
  usageFloor: 0.5,
  skewThreshold: 0.1,
  minTabletBytes: 64 * 1024 * 1024,
  highWaterMark: 0.9,
  maxMoves: 32,
};

export interface DiskUsage {
  readonly usedBytes: number;
  readonly capacityBytes: number;
  /** usedBytes ÷ capacityBytes (0 for a disk of no capacity). */
  readonly usage: number;
}

export interface PlannedDiskMove {
  readonly tabletId: string;
  readonly table: string;
  readonly from: string;
  readonly to: string;
  readonly bytes: number;
  readonly fromBefore: DiskUsage;
  readonly fromAfter: DiskUsage;
  readonly toBefore: DiskUsage;
  readonly toAfter: DiskUsage;
  /** max − min usage over the disks, before and after this move. */
  readonly skewBefore: number;
  readonly skewAfter: number;
  /** One sentence: why this tablet, from here, to there. */
  readonly explanation: string;
}

export interface DiskBalancePlan {
  readonly moves: readonly PlannedDiskMove[];
  /** The mean usage: Σ used ÷ Σ capacity. */
  readonly meanUsage: number;
  /** With running moves counted as done, before the planned ones. */
  readonly skewBefore: number;
  readonly skewAfter: number;
  readonly running: number;
  /** True when, after the plan, there is nothing to do (promise 1). */
  readonly balanced: boolean;
  /** Why the plan stops where it does. */
  readonly notes: readonly string[];
}

interface ModelTablet extends DiskPlanTablet {
  moving: boolean;
}

interface ModelDisk {
  readonly path: string;
  readonly capacityBytes: number;
  usedBytes: number;
  readonly tablets: Map<string, ModelTablet>;
}

const usageOf = (d: { usedBytes: number; capacityBytes: number }) => (d.capacityBytes > 0 ? d.usedBytes / d.capacityBytes : 0);
const snapshot = (d: ModelDisk): DiskUsage => ({ usedBytes: d.usedBytes, capacityBytes: d.capacityBytes, usage: usageOf(d) });

export function diskSkew(disks: readonly { usedBytes: number; capacityBytes: number }[]): number {
  if (disks.length < 2) return 0;
  let min = Infinity;
  let max = -Infinity;
  for (const d of disks) {
    const u = usageOf(d);
    min = Math.min(min, u);
    max = Math.max(max, u);
  }
  return max - min;
}

function buildModel(disks: readonly DiskPlanDisk[], running: readonly RunningDiskMove[]): ModelDisk[] {
  const model = [...disks]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((d) => ({
      path: d.path,
      capacityBytes: d.capacityBytes,
      usedBytes: d.usedBytes,
      tablets: new Map(d.tablets.map((t) => [t.tabletId, { ...t, moving: false }])),
    }));
  const byPath = new Map(model.map((d) => [d.path, d]));
  for (const r of running) {
    const from = byPath.get(r.from);
    const to = byPath.get(r.to);
    const t = from?.tablets.get(r.tabletId);
    if (from !== undefined && to !== undefined && t !== undefined) transfer(from, to, t);
    // Already on the target, or a disk not in the input: mark it, move nothing.
    const there = to?.tablets.get(r.tabletId) ?? from?.tablets.get(r.tabletId);
    if (there !== undefined) there.moving = true;
  }
  return model;
}

function transfer(from: ModelDisk, to: ModelDisk, t: ModelTablet): void {
  from.tablets.delete(t.tabletId);
  from.usedBytes -= t.bytes;
  const already = to.tablets.get(t.tabletId);
  // A tablet with fragments on both disks: its bytes add up on the target.
  to.tablets.set(t.tabletId, already === undefined ? t : { ...already, bytes: already.bytes + t.bytes, moving: already.moving || t.moving });
  to.usedBytes += t.bytes;
}

const pct = (u: number) => `${(u * 100).toFixed(1)}%`;

export function planDiskBalance(
  disks: readonly DiskPlanDisk[],
  running: readonly RunningDiskMove[] = [],
  options: DiskBalanceOptions = DEFAULT_DISK_BALANCE_OPTIONS,
): DiskBalancePlan {
  const model = buildModel(disks, running);
  const totalCap = model.reduce((s, d) => s + d.capacityBytes, 0);
  const totalUsed = model.reduce((s, d) => s + d.usedBytes, 0);
  const mean = totalCap > 0 ? totalUsed / totalCap : 0;
  const skewBefore = diskSkew(model);
  const notes: string[] = [];
  const moves: PlannedDiskMove[] = [];

  /** Promise 1: why there is nothing to do, or undefined. */
  const settled = (): string | undefined => {
    if (model.length < 2) return `balanced: ${model.length === 0 ? 'no disks' : 'one disk'}`;
    const fullest = model.reduce((a, b) => (usageOf(b) > usageOf(a) ? b : a));
    if (usageOf(fullest) < options.usageFloor) return `balanced: the fullest disk, ${fullest.path}, is at ${pct(usageOf(fullest))}, under the floor of ${pct(options.usageFloor)}`;
    const skew = diskSkew(model);
    if (skew <= options.skewThreshold) return `balanced: usage skew ${pct(skew)} ≤ ${pct(options.skewThreshold)}`;
    return undefined;
  };

  for (;;) {
    const done = settled();
    if (done !== undefined) {
      notes.push(done);
      break;
    }
    if (moves.length >= options.maxMoves) {
      notes.push(`usage skew ${pct(diskSkew(model))} > ${pct(options.skewThreshold)}, but a plan holds at most ${options.maxMoves} move(s); plan again after them`);
      break;
    }
    const pick = pickMove(model, mean, options);
    if (pick.move === undefined) {
      notes.push(`usage skew ${pct(diskSkew(model))} > ${pct(options.skewThreshold)}, but no tablet fits: ${pick.why}`);
      break;
    }
    const { from, to, t } = pick.move;
    const fromBefore = snapshot(from);
    const toBefore = snapshot(to);
    const before = diskSkew(model);
    transfer(from, to, t);
    t.moving = true;
    const after = diskSkew(model);
    moves.push({
      tabletId: t.tabletId,
      table: t.table,
      from: from.path,
      to: to.path,
      bytes: t.bytes,
      fromBefore,
      fromAfter: snapshot(from),
      toBefore,
      toAfter: snapshot(to),
      skewBefore: before,
      skewAfter: after,
      explanation:
        `${from.path} is at ${pct(fromBefore.usage)} and ${to.path} at ${pct(toBefore.usage)} (mean ${pct(mean)}); ` +
        `${t.tabletId} (${formatBytes(t.bytes)}) is the largest tablet that fits without overshooting the mean: ` +
        `${pct(usageOf(from))} and ${pct(usageOf(to))} after, skew ${pct(before)} → ${pct(after)}`,
    });
  }
  return { moves, meanUsage: mean, skewBefore, skewAfter: diskSkew(model), running: running.length, balanced: settled() !== undefined, notes };
}

/** A move, or why there is none. */
type DiskPick = { readonly move: { from: ModelDisk; to: ModelDisk; t: ModelTablet } } | { readonly move?: undefined; readonly why: string };

/** Promise 2's pick: sources above the mean fullest first, each with its largest tablet that fits the roomiest target. */
function pickMove(model: readonly ModelDisk[], mean: number, o: DiskBalanceOptions): DiskPick {
  // Room under the mean (and the high-water mark), in bytes.
  const room = (d: ModelDisk) => Math.min(mean, o.highWaterMark) * d.capacityBytes - d.usedBytes;
  const sources = model.filter((d) => usageOf(d) > mean).sort((a, b) => usageOf(b) - usageOf(a) || (a.path < b.path ? -1 : 1));
  const targets = model.filter((d) => room(d) > 0).sort((a, b) => room(b) - room(a) || (a.path < b.path ? -1 : 1));
  let small = 0;
  let fixed = 0;
  let tooBig = 0;
  for (const from of sources) {
    // The source must stay at or above the mean.
    const surplus = from.usedBytes - mean * from.capacityBytes;
    const candidates = [...from.tablets.values()]
      .filter((t) => {
        if (t.movable === false || t.moving) {
          fixed++;
          return false;
        }
        if (t.bytes < o.minTabletBytes) {
          small++;
          return false;
        }
        return true;
      })
      .sort((a, b) => b.bytes - a.bytes || (a.tabletId < b.tabletId ? -1 : 1));
    for (const t of candidates) {
      if (t.bytes > surplus) {
        tooBig++;
        continue;
      }
      const to = targets.find((d) => d !== from && t.bytes <= room(d));
      if (to !== undefined) return { move: { from, to, t } };
      tooBig++;
    }
  }
  const parts = [
    tooBig > 0 ? `${tooBig} would push a disk past the mean${o.highWaterMark < mean ? ' or the high-water mark' : ''}` : '',
    small > 0 ? `${small} under the minimum of ${formatBytes(o.minTabletBytes)}` : '',
    fixed > 0 ? `${fixed} cannot move now` : '',
  ].filter((p) => p !== '');
  return { why: parts.length === 0 ? 'the disks above the mean hold no tablets' : `of the tablets on disks above the mean, ${parts.join(', ')}` };
}
