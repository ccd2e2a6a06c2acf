// What the disk routes need of the storage engine (the contract of issue
// 11, /work/notes/disks-contract.md; the engine's own types in
// @kdi/storage): its disks, each tablet's bytes on each, the disks'
// states, and the disk migrations it runs. Kept to this narrow view so the
// routes, the disk-balance executor and their tests name exactly what
// they use.

export type DiskMigrationState = 'IDLE' | 'MOVING' | 'MOVED' | 'CLOSED' | 'COMPLETED';

export interface DiskMigrationStatus {
  readonly tablet: string;
  readonly table: string;
  readonly from: string;
  readonly to: string;
  readonly state: DiskMigrationState;
  readonly files: number;
  readonly filesCopied: number;
  readonly bytes: number;
  readonly bytesCopied: number;
  readonly startedAtMs: number;
  readonly endedAtMs?: number | undefined;
  readonly error?: string | undefined;
  readonly oriFiles: number;
}

export interface DiskStateView {
  readonly disk: string;
  readonly state: 'ok' | 'high-water' | 'full';
  readonly reason?: string | undefined;
}

export interface DiskEngine {
  /** Absolute; disk 0 is the engine's dir. */
  readonly disks: readonly string[];
  tabletIds(): string[];
  /** Bytes of the tablet's fragment files on each disk (every disk has a key). */
  tabletDiskBytes(id: string): Record<string, number>;
  /** Where its new fragments go. */
  tabletHomeDisk(id: string): string;
  diskStates(): DiskStateView[];
  /** Validates, then starts in the background; throws StorageError invalid-argument (details.reason) or not-found. */
  startDiskMigration(id: string, from: string, to: string): DiskMigrationStatus;
  diskMigration(id: string): DiskMigrationStatus | undefined;
  diskMigrations(): DiskMigrationStatus[];
  awaitDiskMigration(id: string): Promise<DiskMigrationStatus>;
}

/** The engine as a DiskEngine, or undefined when it has no disk migration (an engine from before issue 11). */
export function diskEngineOf(engine: object): DiskEngine | undefined {
  const e = engine as Partial<DiskEngine>;
  return typeof e.startDiskMigration === 'function' && typeof e.diskStates === 'function' && Array.isArray(e.disks) ? (engine as DiskEngine) : undefined;
}

/** A migration that has not ended. */
export const isRunning = (s: DiskMigrationStatus): boolean => s.endedAtMs === undefined;
