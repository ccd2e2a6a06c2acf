// Bytes per data directory (DESIGN §9 heartbeats, §11 disk-capacity): for
// each of the server's data directories, the size and free bytes of the
// filesystem holding it (statfs) and the bytes of the files under it (the
// log, the manifest, fragment files — everything KDI keeps there).
//
// Given the engine's disk states (setStates), each status says ok,
// high-water or full (issue 11).
//
// Promises: statuses() never throws — a directory that cannot be read
// reports what could be measured (0 for the rest) and the problem goes to
// the logger; the walk for kdiBytes, the costly part, runs at most once
// per `kdiBytesMaxAgeMs` per directory (heartbeats come every second),
// never follows symbolic links and counts each file once.
//
// The engine places new tablets and fragments by free bytes (libs/storage
// disk-set.ts) and asks synchronously: space(dir) answers the last statfs
// figures, which refreshSpace() (every second once startRefresh() runs,
// and on every statuses()) keeps current.

import { lstat, readdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { DiskStatus } from '@kdi/protocol';

export interface FilesystemSpace {
  readonly blocks: number;
  readonly bsize: number;
  /** Blocks free for unprivileged users. */
  readonly bavail: number;
}

/** The capacity and free bytes a statfs result describes. */
export function diskSpace(s: FilesystemSpace): { capacityBytes: number; freeBytes: number } {
  return { capacityBytes: Math.max(0, s.blocks * s.bsize), freeBytes: Math.max(0, s.bavail * s.bsize) };
}

/** Bytes of the regular files under `dir` (not following symbolic links); files that vanish during the walk count 0. */
export async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await bytesUnder(path);
    else if (entry.isFile()) {
      try {
        total += (await lstat(path)).size;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  }
  return total;
}

export interface DiskUsageOptions {
  /** The filesystem's figures for a directory; default node:fs statfs (tests give a disk the fullness they need). */
  readonly statfs?: (dir: string) => Promise<FilesystemSpace>;
  /** A directory's kdiBytes is walked again only when older than this (default 5000 ms). */
  readonly kdiBytesMaxAgeMs?: number;
  /** Monotonic milliseconds; default performance.now. */
  readonly now?: () => number;
  readonly onError?: (dir: string, error: unknown) => void;
}

/** The engine's state of each disk (issue 11), merged into the statuses when given. */
export type DiskStates = () => readonly { disk: string; state: 'ok' | 'high-water' | 'full'; reason?: string | undefined }[];

export class DiskUsage {
  private states: DiskStates | undefined;
  private readonly walked = new Map<string, { atMs: number; bytes: number }>();
  private readonly walking = new Map<string, Promise<number>>();
  private readonly spaces = new Map<string, { capacityBytes: number; freeBytes: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** The data directories, absolute. */
    readonly dirs: readonly string[],
    private readonly o: DiskUsageOptions = {},
  ) {}

  /** From now on each status carries its disk's state and reason (the storage engine's, once it is open). */
  setStates(states: DiskStates | undefined): void {
    this.states = states;
  }

  async statuses(): Promise<DiskStatus[]> {
    const figures = await Promise.all(this.dirs.map((dir) => this.status(dir)));
    if (this.states === undefined) return figures;
    let states;
    try {
      states = new Map(this.states().map((s) => [s.disk, s]));
    } catch (e) {
      this.o.onError?.(this.dirs[0] ?? '', e);
      return figures;
    }
    return figures.map((d) => {
      const s = states.get(d.path);
      return s === undefined ? d : { ...d, state: s.state, ...(s.reason !== undefined && { reason: s.reason }) };
    });
  }

  /** The last statfs figures of a data directory, or undefined before the first (or after a failed) measurement. */
  space(dir: string): { capacityBytes: number; freeBytes: number } | undefined {
    return this.spaces.get(dir);
  }

  /** Measures every directory's filesystem again (statfs only: cheap). */
  async refreshSpace(): Promise<void> {
    await Promise.all(this.dirs.map((dir) => this.measure(dir)));
  }

  /** Refreshes the figures every `intervalMs` until stop(). */
  startRefresh(intervalMs = 1000): void {
    this.stop();
    this.timer = setInterval(() => void this.refreshSpace(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The next status walks every directory's KDI bytes again (after a disk migration moved bytes between them). */
  forgetKdiBytes(): void {
    this.walked.clear();
  }

  private async measure(path: string): Promise<{ capacityBytes: number; freeBytes: number }> {
    try {
      const space = diskSpace(await (this.o.statfs ?? statfs)(path));
      this.spaces.set(path, space);
      return space;
    } catch (e) {
      this.spaces.delete(path);
      this.o.onError?.(path, e);
      return { capacityBytes: 0, freeBytes: 0 };
    }
  }

  private async status(path: string): Promise<DiskStatus> {
    const space = await this.measure(path);
    return { path, ...space, kdiBytes: await this.kdiBytes(path) };
  }

  private async kdiBytes(dir: string): Promise<number> {
    const now = this.o.now ?? (() => performance.now());
    const known = this.walked.get(dir);
    if (known !== undefined && now() - known.atMs < (this.o.kdiBytesMaxAgeMs ?? 5_000)) return known.bytes;
    let walk = this.walking.get(dir);
    if (walk === undefined) {
      walk = bytesUnder(dir)
        .then((bytes) => {
          this.walked.set(dir, { atMs: now(), bytes });
          return bytes;
        })
        .catch((e: unknown) => {
          this.o.onError?.(dir, e);
          return known?.bytes ?? 0;
        })
        .finally(() => this.walking.delete(dir));
      this.walking.set(dir, walk);
    }
    return walk;
  }
}
