// The engine's disks (DESIGN §11): the engine directory is disk 0 — it
// holds the manifest, the log and fragments named relative to it — and
// every extra data directory is one more disk, whose fragments are named
// by absolute path. A fragment on any of them is this engine's own (it may
// delete it under fragment-store.ts's rules); a file anywhere else is
// foreign (another server's disk, a shared mount) and never deleted here.
//
// Placement: a tablet has a home disk, chosen when it is created or loaded
// here as the usable disk with the most free bytes (bytes, not tablet
// count); its new fragments go there while it is usable, else to the
// usable disk with the most free bytes. A disk is unusable while its usage
// is at or above the high-water mark, or while it is marked full (a write
// there failed with ENOSPC) — until its figures show it below the mark
// again or, with no figures, `fullRetryMs` later. When no disk is usable
// the one with the most free bytes takes the fragment all the same (the
// build may fail; the caller keeps its data and retries later).
//
// Free bytes come from `space` (the tablet server's statfs figures,
// refreshed every second); without them the engine's own bytes per disk
// stand in (fewest bytes = most free).

import type { Clock } from '@kdi/primitives';

export type DiskState = 'ok' | 'high-water' | 'full';

export interface DiskSpace {
  readonly capacityBytes: number;
  readonly freeBytes: number;
}

export interface DiskSetOptions {
  /** Absolute, normalized; [0] is the engine directory. */
  readonly dirs: readonly string[];
  readonly space?: ((dir: string) => DiskSpace | undefined) | undefined;
  /** Usage (0..1) at or above which a disk takes no new fragments (default 0.9). */
  readonly highWaterMark?: number | undefined;
  /** Without figures, how long a disk marked full is avoided (default 5000 ms). */
  readonly fullRetryMs?: number | undefined;
  readonly clock: Clock;
  /** The engine's bytes of open fragments on each disk (the stand-in for free bytes). */
  readonly ownBytes: () => readonly number[];
}

export const DEFAULT_HIGH_WATER_MARK = 0.9;

export class DiskSet {
  readonly dirs: readonly string[];
  private readonly highWaterMark: number;
  /** Disk index → monotonic ms when a write there failed with ENOSPC. */
  private readonly fullSince = new Map<number, number>();

  constructor(private readonly o: DiskSetOptions) {
    this.dirs = o.dirs;
    this.highWaterMark = o.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  }

  /** The own disk holding the file at absolute `path`, or undefined (foreign). */
  diskOfPath(path: string): number | undefined {
    // Longest prefix first would matter only for nested disks, which the server refuses.
    for (let i = 0; i < this.dirs.length; i++) if (path.startsWith(`${this.dirs[i]}/`)) return i;
    return undefined;
  }

  /** The own disk of a canonical fragment reference (relative = disk 0), or undefined (foreign). */
  diskOfName(name: string): number | undefined {
    return name.startsWith('/') ? this.diskOfPath(name) : 0;
  }

  /** The index of a disk given by absolute path or by index ("0", "1", …), or undefined. */
  indexOf(disk: string): number | undefined {
    if (/^\d+$/.test(disk)) {
      const i = Number(disk);
      return i < this.dirs.length ? i : undefined;
    }
    const norm = disk.length > 1 && disk.endsWith('/') ? disk.slice(0, -1) : disk;
    const i = this.dirs.indexOf(norm);
    return i >= 0 ? i : undefined;
  }

  /** A write on disk `i` failed for lack of space. */
  markFull(i: number): void {
    this.fullSince.set(i, this.o.clock.monotonicMs());
  }

  /** A write on disk `i` succeeded: it has room again. */
  markWritten(i: number): void {
    this.fullSince.delete(i);
  }

  state(i: number): { state: DiskState; reason?: string } {
    const space = this.o.space?.(this.dirs[i]!);
    const usage = space && space.capacityBytes > 0 ? (space.capacityBytes - space.freeBytes) / space.capacityBytes : undefined;
    const since = this.fullSince.get(i);
    if (since !== undefined) {
      const cleared = usage !== undefined ? usage < this.highWaterMark : this.o.clock.monotonicMs() - since >= (this.o.fullRetryMs ?? 5000);
      if (!cleared) return { state: 'full', reason: 'a write failed: no space left on the device' };
      this.fullSince.delete(i);
    }
    if (usage !== undefined && usage >= this.highWaterMark) {
      return { state: 'high-water', reason: `${(usage * 100).toFixed(1)}% used, at or above the high-water mark of ${(this.highWaterMark * 100).toFixed(0)}%` };
    }
    return { state: 'ok' };
  }

  /** `preferred` when it is usable, else the usable disk with the most free bytes, else the disk with the most free bytes. */
  choose(preferred?: number): number {
    if (this.dirs.length === 1) return 0;
    if (preferred !== undefined && preferred < this.dirs.length && this.state(preferred).state === 'ok') return preferred;
    const free = this.freeBytes();
    const byFree = [...this.dirs.keys()].sort((a, b) => free[b]! - free[a]! || a - b);
    return byFree.find((i) => this.state(i).state === 'ok') ?? byFree[0]!;
  }

  /** Free bytes per disk: the figures when every disk has them, else minus the engine's own bytes. */
  private freeBytes(): number[] {
    const figures = this.dirs.map((d) => this.o.space?.(d));
    if (figures.every((f) => f !== undefined && f.capacityBytes > 0)) return figures.map((f) => f!.freeBytes);
    return this.o.ownBytes().map((b) => -b);
  }
}
