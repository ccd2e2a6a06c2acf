// One system under test, behind the few operations the workloads need.
// Each store turns entries into its native form (`prepareBatch`,
// `prepareKey`) before the clock starts, so timed loops measure the engine
// and not our conversion code.
import type { Entry } from './dataset.js';

export interface ScanTotals {
  readonly entries: number;
  /** Row + column + value bytes seen, to check both stores hold the same data. */
  readonly bytes: number;
}

export interface Store<Batch, Key> {
  readonly name: string;
  prepareBatch(entries: readonly Entry[]): Batch;
  prepareKey(entry: Entry): Key;
  write(batch: Batch, sync: boolean): Promise<void>;
  /** The stored value, or undefined when the key is missing. */
  get(key: Key): Promise<Uint8Array | undefined>;
  /** The store's fastest point read, when it has one faster than get (LevelDB: getSync). */
  getFastest?(key: Key): Promise<Uint8Array | undefined>;
  /** Brings the store to its read-optimised shape: memory written out, everything compacted. */
  settle(): Promise<void>;
  scanAll(): Promise<ScanTotals>;
  close(): Promise<void>;
}

/** Opens a store of one kind in an empty directory. */
export interface StoreKind {
  /** Short label used in tables ("ours", "leveldb"). */
  readonly label: string;
  open(dir: string): Promise<Store<unknown, unknown>>;
}
