// @kdi/storage — the per-server storage engine (DESIGN §5). This file is the
// package's only public entry. The engine imports only @kdi/primitives (the
// cell model, intervals, CRC-32C, byte codecs, the clock port) and, lazily,
// its native addons; no HTTP. Callers take those primitives from
// @kdi/primitives directly.

export { StorageError, type StorageErrorKind, isStorageError } from './errors.js';
export { blockCrc32c } from './util/block-checksum.js';

export * from './fs/index.js';
export * from './log/index.js';
export * from './codec/index.js';
export * from './cache/index.js';
export * from './fragment/index.js';

export { MemoryFragment } from './memory/memory-fragment.js';
export type { Cursor } from './merge/cursor.js';
export { MergedScan, type ScanPage, type ScanSource } from './merge/merged-scan.js';
export type { RowRange } from './merge/row-range.js';
export { type CompiledScanSpec, compileScanSpec, type ScanSpec } from './scan/scan-spec.js';
export { type PurgePolicy, purgeTest, validatePurgePolicy } from './purge/purge-policy.js';
export { type CompactionPick, type CompactionPickerOptions, compactionScore, DEFAULT_PICKER_OPTIONS, pickCompaction } from './compaction/compaction-picker.js';
export {
  type AdoptTabletDefinition,
  type ApplyOptions,
  type DiskSizes,
  type DiskMigrationState,
  type DiskMigrationStatus,
  type DiskState,
  type HotBlock,
  type PinnedFile,
  TabletPin,
  type TabletWriteTap,
  type WriteFreeze,
  type ReadGate,
  Engine,
  type EngineOptions,
  EngineScanner,
  type EngineScanPage,
  type FragmentLists,
  LEGACY_FRAGMENTS,
  type LoadedTablet,
  type LoadTabletDefinition,
  type PublicationSnapshot,
  type PublishedTablet,
  type ReplayLog,
  type ScanOptions,
  type TabletDefinition,
  type TabletSizes,
  type TabletStat,
  type UnloadedTablet,
} from './engine/engine.js';
export type { CompactionStats } from './engine/compactor.js';
export { isFragmentFileName, listFragmentFiles } from './engine/fragment-files.js';
export { DEFAULT_GROUP_NAME, defaultGroups, type GroupProblem, type LocalityGroupSpec, validateLocalityGroups } from './schema/locality-group.js';
export { FragmentWorkerPool } from './workers/fragment-worker-pool.js';
export type { FragmentBuildTask, FragmentBuildResult } from './workers/fragment-build.js';
