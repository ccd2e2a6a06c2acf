// What the tablets side needs of META (DESIGN §7), as a port: the tablets
// side names the calls and their types here, meta/meta-sync.ts implements
// them, and only the composition (node/tablet-node.ts) joins the two
// — tablets/ imports nothing from meta/.
//
// Promises of an implementation:
//  - run() runs jobs one after another, after every META write queued
//    before them (a load's read and write, a split, an unload are never
//    interleaved with another write of this server);
//  - planLoad answers only for a tablet whose `location:` names this
//    server with the given epoch (else FAILED_PRECONDITION);
//  - a write refused because `location:` moved is FAILED_PRECONDITION
//    (fenced), and the tablet is then abandoned through the host;
//  - start(host) publishes the host's fragment lists after every manifest
//    change and reconciles tablets that left, until stop().

import type { Engine, FragmentLists, ReplayLog } from '@kdi/storage';
import type { TableSchema, TabletConfig } from '@kdi/protocol';
import type { TabletEntry, TabletMap } from './tablet-map.js';

/** The META table: one tablet, never split; its config is the root. */
export { META_TABLE } from '@kdi/protocol';

/** What a load needs from META: the tablet's bounds, its fragments and logs, its table's schema. */
export interface LoadPlan {
  readonly lowerExclusive: Uint8Array | undefined;
  readonly upperInclusive: Uint8Array | undefined;
  readonly fragments: Readonly<Record<string, readonly string[]>>;
  /** Logs to replay, in order, each from the first segment of the tenure that wrote it. */
  readonly logs: readonly ReplayLog[];
  readonly schema: TableSchema | undefined;
}

/** A tablet as META knows it: table, bounds, assignment epoch. */
export type AssignedTablet = Pick<TabletEntry, 'table' | 'lowerExclusive' | 'upperInclusive'> & {
  readonly epoch: number;
  /** First segment of this server's log to replay for it (its tenure's start). */
  readonly logFrom: number;
  /** Being moved by a migration: its config says `state: migrating`. */
  readonly migrating?: boolean | undefined;
};

/** The entry as META knows it, or undefined for a tablet loaded with its bounds (no assignment). */
export function assignedTablet(entry: TabletEntry): AssignedTablet | undefined {
  return entry.epoch === undefined ? undefined : { ...entry, epoch: entry.epoch, logFrom: entry.logFrom ?? 0 };
}

/** What the publisher needs of the server. */
export interface PublishHost {
  readonly engine: Engine;
  readonly map: TabletMap;
  /** The master moved the tablet elsewhere: stop serving it. */
  abandon(id: string, reason: string): void;
  /** A migration preloaded the tablet here (not served yet): not a tablet that left. */
  isIncoming(id: string): boolean;
}

/** A read of a tablet's META row (its config and the txn it saw), for writeMigrated. */
export interface MigrationMetaRead {
  readonly config: TabletConfig | undefined;
  readonly txn: number;
}

/** Where META says a row is served (a WRONG_TABLET reply's location hint). */
export interface RowLocation {
  readonly serverId: string;
  readonly url: string;
  readonly epoch: number;
  readonly state?: string | undefined;
}

/** META as tablet lifecycle (and the WRONG_TABLET hint) uses it (implemented by meta/meta-sync.ts). */
export interface TabletMeta {
  /** This server's log directory (what `log:` names). */
  readonly logDir: string;
  /** Runs `job` after every META write queued before it. */
  run<T>(job: () => Promise<T>): Promise<T>;
  /** The config of the tablet of `table` ending at `upperInclusive`, checked to name this server with `epoch`. */
  planLoad(table: string, upperInclusive: Uint8Array | undefined, epoch: number): Promise<LoadPlan>;
  /** The tablet is served here with these fragments and this server's log. */
  writeServing(t: AssignedTablet, lists: FragmentLists): Promise<void>;
  /** The tablet left this server cleanly: its fragments, no log. */
  writeUnloaded(id: string, t: AssignedTablet, lists: FragmentLists): Promise<void>;
  /**
   * A migration's commit (DESIGN §10): the tablet is served here with these
   * fragments and this server's log, written only if `location:` still
   * names `source` with its epoch and `state: migrating`
   * (FAILED_PRECONDITION otherwise) — in its META row, or, for META
   * itself, in the root.
   */
  writeMigrated(t: AssignedTablet, lists: FragmentLists, source: { readonly serverId: string; readonly epoch: number }, read?: MigrationMetaRead): Promise<void>;
  /**
   * A read of the tablet's row ahead of a migration's commit (taken while
   * the source still takes writes): writeMigrated with it skips its own
   * read — one round trip to the META server less inside the write stall.
   * Not for META itself (its config is the root).
   */
  readForMigration(table: string, upperInclusive: Uint8Array | undefined): Promise<MigrationMetaRead>;
  /**
   * Source of a move of META (whose config is the root): the root's
   * `state` only — migrating, or (false) serving again, which fences a
   * commit that has not landed — if the root names this server with
   * `epoch` (FAILED_PRECONDITION otherwise). Not queued behind run().
   */
  writeRootState(epoch: number, migrating: boolean): Promise<void>;
  /** The server and epoch `location:` names for the tablet of `table` ending at `upperInclusive` (undefined: none). */
  assignment(table: string, upperInclusive: Uint8Array | undefined): Promise<RowLocation | undefined>;
  /** The split of `parent` at `row`: both halves' configs, the parent's lists. */
  writeSplit(parent: AssignedTablet, row: Uint8Array, lists: FragmentLists): Promise<void>;
  /** Did a split write whose answer was lost commit? */
  splitCommitted(parent: AssignedTablet, row: Uint8Array): Promise<boolean>;
  /** The merge of adjacent `low` and `high` into `merged` (high's row widened, low's erased), with `lists`. */
  writeMerge(low: AssignedTablet, high: AssignedTablet, merged: AssignedTablet, lists: FragmentLists): Promise<void>;
  /** Did a merge write whose answer was lost commit? */
  mergeCommitted(merged: AssignedTablet): Promise<boolean>;
  /** The table's schema in META now (undefined: none, every family accepted); FAILED_PRECONDITION when what META holds is invalid. */
  readTableSchema(table: string): Promise<TableSchema | undefined>;
  /** Where META says `row` of `table` is served; undefined when it names no server. */
  locate(table: string, row: Uint8Array): Promise<RowLocation | undefined>;
  /** Starts publishing for `host`. */
  start(host: PublishHost): void;
  /** Stops publishing and waits for the running round. */
  stop(): Promise<void>;
}
