// The read path (DESIGN §5 Reads): a merge over a tablet's fragment chain,
// newest first, with the scan predicate pushed down:
//  - row intervals (intersected with the tablet's range) seek every source;
//  - disk blocks outside the time range or without a wanted family are
//    never read (time skipping only when no max-history purge could depend
//    on the skipped versions);
//  - bloom filters drop disk fragments for a single-row scan.
// Rules applied in order per cell: newest fragment wins on equal keys; an
// erasure hides its key and is never returned; the purge policy drops
// versions beyond max history / max age (counted after erasures); the time
// filter; then history = ±K among the cells that passed the time filter.
//
// Pages: nextBatch() returns up to maxCells / maxBytes. A resume key (the
// last key a previous page returned) restarts at the start of that
// (row, column) so history and purge counts are the same as in one pass,
// and nothing at or before the key is returned again.

import { aboveLowerBound, belowUpperBound, cellSize, compareBytes, compareCellKeys, intersectIntervals, type Cell, type Interval } from '@kdi/primitives';
import type { FragmentReader } from '../fragment/fragment-reader.js';
import type { MemoryFragment } from '../memory/memory-fragment.js';
import { rowSuccessorKey, seekKey } from '../memory/memory-fragment.js';
import type { PurgeTest } from '../purge/purge-policy.js';
import { type CompiledScanSpec, matchesColumn, matchesTime } from '../scan/scan-spec.js';
import type { Cursor } from './cursor.js';
import { DiskCursor } from './disk-cursor.js';
import { MemoryCursor } from './memory-cursor.js';
import { rangeAsInterval, type RowRange } from './row-range.js';

export type ScanSource = { readonly memory: MemoryFragment } | { readonly disk: FragmentReader };

export interface MergedScanOptions {
  /** Newest first. */
  readonly sources: readonly ScanSource[];
  readonly range: RowRange;
  readonly spec: CompiledScanSpec;
  readonly purge?: PurgeTest | undefined;
  /**
   * Per-column purge policy (locality groups: each family follows its
   * group's policy); when set it replaces `purge`. Asked once per
   * (row, column).
   */
  readonly purgeOf?: ((column: Uint8Array) => PurgeTest | undefined) | undefined;
  /** Resume strictly after this key. */
  readonly after?: Cell | undefined;
}

export interface ScanPage {
  readonly cells: Cell[];
  /** True when the scan has nothing more. */
  readonly end: boolean;
}

export class MergedScan {
  private cursors: Cursor[] = [];
  private intervals: Interval<Uint8Array>[];
  private iv = 0;
  private done = false;
  private groupRow: Uint8Array | undefined;
  private groupColumn: Uint8Array | undefined;
  private versionIndex = 0;
  private historyIndex = 0;
  private purgeNow: PurgeTest | undefined;
  private after: Cell | undefined;

  private constructor(private readonly opts: MergedScanOptions) {
    const tablet = rangeAsInterval(opts.range);
    const wanted = opts.spec.rows ?? [{}];
    this.intervals = [];
    for (const w of wanted) {
      const x = intersectIntervals(w, tablet);
      if (x) this.intervals.push(x);
    }
    this.after = opts.after;
    this.purgeNow = opts.purge;
  }

  static async open(opts: MergedScanOptions): Promise<MergedScan> {
    const s = new MergedScan(opts);
    await s.init();
    return s;
  }

  private async init(): Promise<void> {
    const { spec, purge, purgeOf, after } = this.opts;
    // Skipping blocks by time would hide versions a purge policy counts.
    const timeSkip = purge === undefined && purgeOf === undefined;
    const filter = {
      minTime: timeSkip ? spec.minTime : Number.MIN_SAFE_INTEGER,
      maxTime: timeSkip ? spec.maxTime : Number.MAX_SAFE_INTEGER,
      familyMask: spec.familyMask,
    };
    let start: Cell | undefined;
    if (after) {
      // Skip intervals wholly before the resume key's row.
      while (this.intervals[this.iv] && !belowUpperBound(after.row, this.intervals[this.iv]!, compareBytes)) this.iv++;
      start = seekKey(after.row, after.column);
      const iv = this.intervals[this.iv];
      if (iv && !aboveLowerBound(after.row, iv, compareBytes)) start = startKey(iv);
    } else if (this.intervals[0]) {
      start = startKey(this.intervals[0]);
    }
    if (this.iv >= this.intervals.length) {
      this.done = true;
      return;
    }
    for (const src of this.opts.sources) {
      if ('memory' in src) {
        const c = new MemoryCursor(src.memory);
        if (start) c.seek(start);
        this.cursors.push(c);
      } else {
        if (spec.pointRow && !src.disk.mayContainRow(spec.pointRow)) continue;
        this.cursors.push(await DiskCursor.open(src.disk, filter, start));
      }
    }
  }

  /** Seeks every source to `key`. */
  private async seekAll(key: Cell): Promise<void> {
    for (const c of this.cursors) {
      const p = c.seek(key);
      if (p) await p;
    }
  }

  /** The smallest current key among the sources (the newest source's on ties). */
  private peekMerged(): Cell | undefined {
    const cursors = this.cursors;
    if (cursors.length === 1) return cursors[0]!.cell;
    let best: Cell | undefined;
    for (const c of cursors) {
      const cell = c.cell;
      if (cell !== undefined && (best === undefined || compareCellKeys(cell, best) < 0)) best = cell;
    }
    return best;
  }

  /**
   * Moves every source past `best`'s key (older duplicates are dropped: the
   * newest wins). Returns a promise only when a source had to read a block.
   */
  private advancePast(best: Cell): Promise<unknown> | undefined {
    const cursors = this.cursors;
    if (cursors.length === 1) return cursors[0]!.next() ?? undefined;
    let waits: Promise<void>[] | undefined;
    for (const c of cursors) {
      const cell = c.cell;
      if (cell !== undefined && (cell === best || compareCellKeys(cell, best) === 0)) {
        const p = c.next();
        if (p) (waits ??= []).push(p);
      }
    }
    return waits && Promise.all(waits);
  }

  async nextBatch(maxCells: number, maxBytes: number): Promise<ScanPage> {
    const out: Cell[] = [];
    let bytes = 0;
    const { spec, purgeOf } = this.opts;
    const history = spec.history;
    while (!this.done && out.length < maxCells && bytes < maxBytes) {
      const c = this.peekMerged();
      if (c === undefined) {
        this.done = true;
        break;
      }
      const moving = this.advancePast(c);
      if (moving) await moving;
      // Row intervals: move to the interval holding this row, seeking over gaps.
      let iv = this.intervals[this.iv]!;
      if (!belowUpperBound(c.row, iv, compareBytes)) {
        do iv = this.intervals[++this.iv]!;
        while (iv && !belowUpperBound(c.row, iv, compareBytes));
        if (!iv) {
          this.done = true;
          break;
        }
        if (!aboveLowerBound(c.row, iv, compareBytes)) {
          await this.seekAll(startKey(iv));
          continue;
        }
      }
      if (spec.columns && !matchesColumn(spec, c.column)) continue;
      if (this.groupRow === undefined || compareBytes(c.column, this.groupColumn!) !== 0 || compareBytes(c.row, this.groupRow) !== 0) {
        this.groupRow = c.row;
        this.groupColumn = c.column;
        this.versionIndex = 0;
        this.historyIndex = 0;
        if (purgeOf) this.purgeNow = purgeOf(c.column);
      }
      if (c.value === null) continue;
      const v = this.versionIndex++;
      const purge = this.purgeNow;
      if (purge && purge(v, c.timestamp)) continue;
      if (spec.times && !matchesTime(spec, c.timestamp)) continue;
      const h = this.historyIndex++;
      if (history !== undefined && (history > 0 ? h >= history : h < -history)) continue;
      if (this.after) {
        if (compareCellKeys(c, this.after) <= 0) continue;
        this.after = undefined;
      }
      out.push(c);
      bytes += cellSize(c);
    }
    return { cells: out, end: this.done };
  }
}

function startKey(iv: Interval<Uint8Array>): Cell {
  if (!iv.lower) return seekKey(new Uint8Array(0));
  return iv.lower.inclusive ? seekKey(iv.lower.value) : rowSuccessorKey(iv.lower.value);
}
