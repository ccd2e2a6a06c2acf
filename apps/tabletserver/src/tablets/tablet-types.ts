// The tablet server's domain types: its options, the tablet as reported
// to callers, split results, and the logger it writes to.

import { type Cell, type CellLimits, type TableSchema } from '@kdi/protocol';
import type { TabletState } from './tablet-map.js';
import type { TabletMeta } from './tablet-meta.js';

export interface ServerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface TabletServerOptions {
  readonly serverId: string;
  readonly limits: CellLimits;
  /** Longest back-pressure wait of one apply before RESOURCE_EXHAUSTED. */
  readonly backPressureWaitMs: number;
  /** Reported in status: the engine's memory budget. */
  readonly memoryBudgetBytes: number;
  readonly logger?: ServerLogger;
  /** Ids for the halves of automatic splits; default random. */
  readonly newTabletId?: () => string;
  /** A tablet whose disk size passes this is split automatically. */
  readonly splitThresholdBytes: number;
  /** How often tablets are checked for a split; 0 = only by checkSplits(). */
  readonly splitCheckIntervalMs: number;
  readonly onSplit?: (split: SplitResult) => void;
  /** Monotonic milliseconds (request-rate windows); default performance.now. */
  readonly now?: () => number;
  /**
   * The server's lease (its /kdi/servers/<id> lock, see
   * membership/server-membership.ts). While it is not live the server
   * acknowledges no write (its tablets may already be assigned elsewhere),
   * loads nothing and is not ready; `notLiveReason` says why (e.g. another
   * live process holds the id).
   */
  readonly lease?: { isLive(): boolean; notLiveReason?(): string | undefined };
  /**
   * In a cluster: META (the port in tablet-meta.ts; meta/meta-sync.ts implements it). Tablets are then loaded from
   * their configs in META (with the assignment epoch), and every load,
   * split, unload and change of fragment lists is written there.
   */
  readonly meta?: TabletMeta;
}

export interface LoadTabletRequest {
  readonly table: string;
  readonly tabletId: string;
  readonly lowerExclusive?: Uint8Array | undefined;
  readonly upperInclusive?: Uint8Array | undefined;
  /** The table's schema; without one every family is accepted. */
  readonly schema?: TableSchema | undefined;
}

/** A load from META (cluster mode): the tablet is named by its META row; bounds, fragments, logs and schema come from there. */
export interface LoadFromMetaRequest {
  readonly table: string;
  readonly tabletId: string;
  /** The tablet's upper bound (its META row); undefined for the table's last tablet. */
  readonly upperInclusive: Uint8Array | undefined;
  /** The assignment epoch the master wrote to `location:`. */
  readonly epoch: number;
}

/** A migration's preload at the target (tablet-lifecycle.ts preloadMigrated). */
export interface PreloadTabletRequest {
  readonly tabletId: string;
  readonly table: string;
  readonly lowerExclusive: Uint8Array | undefined;
  readonly upperInclusive: Uint8Array | undefined;
  /** Per group (or LEGACY_FRAGMENTS), received files (absolute paths inside the engine directory), oldest first. */
  readonly files: Readonly<Record<string, readonly string[]>>;
  /** Blocks hot at the source, by received file path. */
  readonly hotBlocks: readonly { readonly path: string; readonly block: number }[];
}

/** A migration's commit at the target (tablet-lifecycle.ts receiveMigrated), after its preload. */
export interface MigratedTabletRequest {
  readonly migrationId: string;
  readonly tabletId: string;
  /** The source and the epoch location: names it with (the commit's condition). */
  readonly source: { readonly serverId: string; readonly epoch: number };
  readonly newEpoch: number;
  /**
   * The final lists: per group (or LEGACY_FRAGMENTS), files oldest first — adopted paths the preload returned, or newly
   * received paths. Undefined: the tablet keeps the lists it preloaded (delta shipping).
   */
  readonly files: Readonly<Record<string, readonly string[]>> | undefined;
  /** The tablet's cells still in memory at the source (with delta shipping: written since the last delta round). */
  readonly memory: readonly Cell[];
  /** Blocks hot at the source, by path (received or adopted). */
  readonly hotBlocks: readonly { readonly path: string; readonly block: number }[];
  /** Called right before the META write (test crash point). */
  readonly beforeMetaWrite?: () => Promise<void> | void;
}

export interface TabletView {
  readonly tabletId: string;
  readonly table: string;
  readonly lowerExclusive: Uint8Array | undefined;
  readonly upperInclusive: Uint8Array | undefined;
  readonly state: TabletState;
  readonly fragments: number;
  /** Bytes of the fragment files in its chain (shared with the other half after a split, until compaction). */
  readonly diskBytes: number;
  readonly diskCells: number;
}

/**
 * A tablet the storage engine holds that this server does not serve:
 * `restart` — kept from before a restart (load it by its id to serve it
 * again); `fenced` — the master gave it to another server (its data stays
 * until a load here settles it).
 */
export interface DormantTabletView {
  readonly tabletId: string;
  readonly table: string;
  readonly lowerExclusive: Uint8Array | undefined;
  readonly upperInclusive: Uint8Array | undefined;
  readonly reason: 'restart' | 'fenced';
  /** Why, in words, and what to do. */
  readonly detail: string;
}

export interface TabletStatView {
  readonly tabletId: string;
  readonly cells: number;
  readonly bytes: number;
}

export interface SplitResult {
  readonly parent: string;
  readonly row: Uint8Array;
  readonly low: TabletView;
  readonly high: TabletView;
}

export interface MergeResult {
  /** Ids of the two tablets merged, the lower first. */
  readonly low: string;
  readonly high: string;
  readonly merged: TabletView;
}

/** A change of which tablets this server serves (heartbeats report it at once; request rates follow splits). */
export type TabletChange =
  | { readonly kind: 'load'; readonly tabletId: string }
  | { readonly kind: 'unload'; readonly tabletId: string }
  | { readonly kind: 'split'; readonly parent: string; readonly low: string; readonly high: string }
  | { readonly kind: 'merge'; readonly low: string; readonly high: string; readonly merged: string };
