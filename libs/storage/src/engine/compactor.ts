// Compaction of a tablet's chains (DESIGN §5), one (tablet, locality
// group) chain at a time, plus the repartitioning of legacy fragments a
// schema change left behind (DESIGN §6). Everything here runs in the
// engine's compaction queue: one compaction at a time, and schema changes
// wait for it. Serializations may append to chains meanwhile; a split or a
// drop of the tablet meanwhile discards the result.

import { type CompactionPickerOptions, compactionScore, pickCompaction } from '../compaction/compaction-picker.js';
import { invalidArgument } from '../errors.js';
import type { MemoryFragment } from '../memory/memory-fragment.js';
import type { SerialQueue } from '../util/serial-queue.js';
import type { DiskFragment } from './disk-fragment.js';
import type { Tablet } from './tablet.js';

/** What the compactor needs from the engine. */
export interface CompactorHost {
  readonly closed: boolean;
  readonly picker: CompactionPickerOptions;
  tablets(): Iterable<Tablet>;
  getTablet(id: string): Tablet;
  /** Still the registered tablet of its id (not split or dropped). */
  isCurrent(t: Tablet): boolean;
  checkOpen(): void;
  writeFragment(
    tablet: Tablet,
    group: number,
    src: { memory?: MemoryFragment; disks: readonly DiskFragment[] },
    how: { dropErasures: boolean; purgeByVersion: boolean },
  ): Promise<DiskFragment | undefined>;
  saveManifest(): Promise<void>;
}

/** What compaction did since the engine opened, and what waits (for metrics; plain numbers). */
export interface CompactionStats {
  /** (tablet, group) chains the picker would compact now, plus tablets with legacy fragments to repartition. */
  readonly pending: number;
  /** Compactions (and repartitionings) that wrote their result. */
  readonly compactions: number;
  /** File bytes of the fragments compactions read. */
  readonly bytesRead: number;
  /** File bytes of the fragments compactions wrote. */
  readonly bytesWritten: number;
}

export class Compactor {
  private done = { compactions: 0, bytesRead: 0, bytesWritten: 0 };

  constructor(
    private readonly host: CompactorHost,
    private readonly queue: SerialQueue,
  ) {}

  stats(): CompactionStats {
    let pending = 0;
    for (const t of this.host.tablets()) {
      if (t.legacy.length > 0 && !t.repartitioning) pending++;
      for (const c of t.chains)
        if (
          !c.compacting &&
          pickCompaction(
            c.fragments.map((f) => f.fileBytes),
            this.host.picker,
          )
        )
          pending++;
    }
    return { pending, ...this.done };
  }

  private count(read: readonly DiskFragment[], written: readonly (DiskFragment | undefined)[]): void {
    this.done.compactions++;
    for (const f of read) this.done.bytesRead += f.fileBytes;
    for (const f of written) this.done.bytesWritten += f?.fileBytes ?? 0;
  }

  /**
   * Repartitions legacy fragments (left by schema changes), then compacts
   * the (tablet, group) chains that need it most, until none does.
   */
  async compactAll(): Promise<void> {
    for (;;) {
      if (this.host.closed) return;
      const legacy = [...this.host.tablets()].find((t) => t.legacy.length > 0 && !t.repartitioning);
      if (legacy) {
        await this.compactTablet(legacy.def.id);
        continue;
      }
      let best: { tablet: Tablet; group: string } | undefined;
      let bestScore = 0;
      for (const t of this.host.tablets()) {
        t.chains.forEach((c, g) => {
          if (c.compacting) return;
          const sizes = c.fragments.map((f) => f.fileBytes);
          if (!pickCompaction(sizes, this.host.picker)) return;
          const score = compactionScore(sizes);
          if (score > bestScore) {
            best = { tablet: t, group: t.routing.groups[g]!.name };
            bestScore = score;
          }
        });
      }
      if (!best) return;
      await this.compactTablet(best.tablet.def.id, { group: best.group });
    }
  }

  /**
   * Compacts a tablet. With `group`: that group's chain only. Without: if
   * a schema change left legacy fragments, they are repartitioned into the
   * current groups first (and that is all, unless `full`); otherwise the
   * chain that most needs it. `full` merges whole chains (every group's,
   * or `group`'s) into one fragment each instead of the picker's window.
   */
  compactTablet(id: string, opts: { full?: boolean; group?: string } = {}): Promise<void> {
    return this.queue.run(async () => {
      this.host.checkOpen();
      const t = this.host.getTablet(id);
      const full = opts.full === true;
      if (opts.group !== undefined) {
        const g = t.routing.groups.findIndex((x) => x.name === opts.group);
        if (g < 0) throw invalidArgument(`tablet ${id} has no locality group ${JSON.stringify(opts.group)}`);
        return this.compactChain(t, g, full);
      }
      if (t.legacy.length > 0) {
        await this.repartition(t);
        if (!full) return;
      }
      if (full) {
        for (let g = 0; g < t.chains.length; g++) if (this.host.isCurrent(t)) await this.compactChain(t, g, true);
        return;
      }
      let best = -1;
      let bestScore = 0;
      t.chains.forEach((c, g) => {
        const sizes = c.fragments.map((f) => f.fileBytes);
        const score = pickCompaction(sizes, this.host.picker) ? compactionScore(sizes) : 0;
        if (score > bestScore) {
          best = g;
          bestScore = score;
        }
      });
      if (best >= 0) await this.compactChain(t, best, false);
    });
  }

  /** Merges part of one group's chain (the picker's choice) or, when `full`, all of it. In the compaction queue. */
  private async compactChain(t: Tablet, g: number, full: boolean): Promise<void> {
    const chain = t.chains[g]!;
    const sizes = chain.fragments.map((f) => f.fileBytes);
    const pick = full ? (sizes.length >= 1 ? { start: 0, end: sizes.length, major: true } : undefined) : pickCompaction(sizes, this.host.picker);
    if (!pick) return;
    const window = chain.fragments.slice(pick.start, pick.end);
    for (const f of window) f.ref();
    chain.compacting = true;
    try {
      const out = await this.host.writeFragment(
        t,
        g,
        { disks: [...window].reverse() },
        {
          // Legacy fragments may hold older cells that an erasure here still hides.
          dropErasures: pick.major && t.legacy.length === 0,
          purgeByVersion: pick.major && pick.end === chain.fragments.length,
        },
      );
      this.count(window, [out]);
      if (!this.host.isCurrent(t) || t.chains[g] !== chain) {
        out?.unref();
        return;
      }
      // Serializations only append (and repartitioning runs in this same
      // queue), so the window is still contiguous.
      const at = chain.fragments.indexOf(window[0]!);
      chain.fragments.splice(at, window.length, ...(out ? [out] : []));
      await this.host.saveManifest();
      for (const f of window) f.unref(); // the chain's references
    } finally {
      chain.compacting = false;
      for (const f of window) f.unref(); // this compaction's own
    }
  }

  /**
   * Rewrites every legacy fragment of a tablet into its current groups:
   * one fragment per group holding that group's families, placed at the
   * oldest end of the group's chain (legacy cells are older than any chain
   * cell of the same family). Cells of families no group holds are
   * dropped; so are erasures, as legacy holds the tablet's oldest data.
   * Version-count purging waits for a chain compaction: newer erasures in
   * the chains could change the counts. In the compaction queue.
   */
  private async repartition(t: Tablet): Promise<void> {
    const legacy = [...t.legacy];
    for (const f of legacy) f.ref();
    t.repartitioning = true;
    const made: (DiskFragment | undefined)[] = [];
    try {
      for (let g = 0; g < t.chains.length; g++) {
        made.push(await this.host.writeFragment(t, g, { disks: legacy }, { dropErasures: true, purgeByVersion: false }));
      }
      this.count(legacy, made);
      // Schema changes wait for this queue, so the legacy list is unchanged unless the tablet went.
      if (!this.host.isCurrent(t)) {
        for (const f of made.splice(0)) f?.unref();
        return;
      }
      made.forEach((f, g) => {
        if (f) t.chains[g]!.fragments.unshift(f);
      });
      made.length = 0;
      t.legacy = [];
      await this.host.saveManifest();
      for (const f of legacy) f.unref(); // the tablet's references
    } finally {
      for (const f of made) f?.unref();
      t.repartitioning = false;
      for (const f of legacy) f.unref(); // this compaction's own
    }
  }
}
