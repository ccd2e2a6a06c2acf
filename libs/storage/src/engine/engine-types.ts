// The engine's option and result types, apart so that the engine's parts
// (tablet-reads.ts and others) can name them without importing the facade.

import type { Cell, Clock } from '@kdi/primitives';
import type { BlockCache } from '../cache/block-cache.js';
import type { BlockCodec } from '../codec/block-codec.js';
import type { CompactionPickerOptions } from '../compaction/compaction-picker.js';
import type { FileSystem } from '../fs/file-system.js';
import type { FragmentWorkerPool } from '../workers/fragment-worker-pool.js';
import type { DiskMigrationState } from './disk-migration.js';

export interface EngineOptions {
  readonly fs: FileSystem;
  /** The engine's directory (one disk of the server); a relative path resolves against the working directory. */
  readonly dir: string;
  readonly codec?: BlockCodec | null;
  readonly cache?: BlockCache;
  /** Time (default systemClock): the wall for txns and purge-by-age, the monotonic reading and sleep for back-pressure waits. */
  readonly clock?: Clock;
  readonly blockSize?: number;
  readonly logSegmentBytes?: number;
  /** Serialize memory fragments when they hold more than this. */
  readonly memoryBudgetBytes?: number;
  /** Applies wait (back-pressure) while memory fragments hold more than this; default 2 × the budget. */
  readonly maxMemoryBytes?: number;
  /** How long an apply may wait for memory before failing 'busy' (default 10 s). */
  readonly backPressureWaitMs?: number;
  /** Compact in the background after serializations. */
  readonly autoCompact?: boolean;
  readonly picker?: CompactionPickerOptions;
  /** Run serializations and compactions on these worker threads (real filesystem only). */
  readonly workers?: FragmentWorkerPool;
  /**
   * Tablet configs are published outside the engine (META, DESIGN §7):
   * keep log segments and replaced fragment files that a config may still
   * name until the caller acknowledges the configs (publication.ts).
   */
  readonly publication?: boolean;
  /** With publication: called after the manifest changed (fragment lists may have moved; time to publish). */
  readonly onManifestSaved?: () => void;
  /**
   * More disks (data directories, absolute or relative to the working
   * directory) beside `dir`, which is disk 0 and keeps the manifest and the
   * log. New tablets and fragments go to the disk with the most free bytes
   * (disk-set.ts); tablets move between disks with startDiskMigration.
   */
  readonly disks?: readonly string[];
  /** The latest capacity and free bytes of a disk's filesystem (statfs), or undefined when unknown. */
  readonly diskSpace?: (dir: string) => { capacityBytes: number; freeBytes: number } | undefined;
  /** Usage (0..1) at or above which a disk takes no new fragments (default 0.9). */
  readonly highWaterMark?: number;
  /** Called as a disk migration enters each state (disk-migration.ts); awaited. For crash tests. */
  readonly onDiskMigrationState?: (tablet: string, state: DiskMigrationState) => void | Promise<void>;
  /** Called with errors of background work (serialization, compaction). */
  readonly onBackgroundError?: (e: unknown) => void;
}

export interface ScanOptions {
  /** Resume strictly after this key (the last key of the previous page). */
  readonly after?: Pick<Cell, 'row' | 'column' | 'timestamp'> | undefined;
  readonly maxCells?: number;
  readonly maxBytes?: number;
}

export interface ApplyOptions {
  /** Wait for the log's fdatasync (default true). */
  readonly sync?: boolean;
  /** Row transaction: fail 'aborted' if any touched row changed after this txn. */
  readonly commitMaxTxn?: number;
  /** Longest back-pressure wait for this call (default the engine's backPressureWaitMs). */
  readonly maxWaitMs?: number;
}

export interface DiskSizes {
  readonly fragments: number;
  readonly diskBytes: number;
  readonly diskCells: number;
}

export interface TabletSizes extends DiskSizes {
  /** Bytes of the table's memory fragments (shared by its tablets). */
  readonly tableMemoryBytes: number;
  /** Per locality group (its chain). The totals above also count legacy fragments. */
  readonly groups: Readonly<Record<string, DiskSizes>>;
  /** Fragments retired by a schema change, waiting to be repartitioned. */
  readonly legacy: DiskSizes;
}
