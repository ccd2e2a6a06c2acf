// The master's records of the tablet moves it asked for (docs/migration.md
// "Master"): in memory only — the truth of where a tablet is served stays
// META, and a source server reports its own moves (GET
// /v1/admin/migrations). A master that takes over starts with an empty
// book; moves the old master started still finish (the sources drive
// them) and show in META and in the sources' lists.
//
// Promises: every running record stays until it ends; of the ended ones
// the newest `keepEnded` are kept (the oldest forgotten first); list()
// returns newest first; a record ends once (end() on an ended record does
// nothing) and never changes after.

import type { MasterMigration, MigrationProgress } from '@kdi/protocol';

export const KEEP_ENDED = 100;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class MigrationBook {
  /** By migrationId, in the order requested. */
  readonly #records = new Map<string, Mutable<MasterMigration>>();

  constructor(
    private readonly keepEnded: number = KEEP_ENDED,
    private readonly now: () => Date = () => new Date(),
  ) {}

  add(record: MasterMigration): void {
    this.#records.set(record.migrationId, { ...record });
    this.trim();
  }

  get(migrationId: string): MasterMigration | undefined {
    const r = this.#records.get(migrationId);
    return r === undefined ? undefined : { ...r };
  }

  /** Newest first. */
  list(): MasterMigration[] {
    return [...this.#records.values()].reverse().map((r) => ({ ...r }));
  }

  running(): MasterMigration[] {
    return [...this.#records.values()].filter((r) => r.state === 'running').map((r) => ({ ...r }));
  }

  /** The running move of tablet `key` (see tabletKey), if any. */
  runningFor(match: (r: MasterMigration) => boolean): MasterMigration | undefined {
    for (const r of this.#records.values()) if (r.state === 'running' && match(r)) return { ...r };
    return undefined;
  }

  progress(migrationId: string, progress: MigrationProgress): void {
    const r = this.#records.get(migrationId);
    if (r === undefined || r.state !== 'running') return;
    r.progress = progress;
    r.progressAt = this.now().toISOString();
  }

  /** Ends a running record; false when it was not running. */
  end(migrationId: string, state: 'committed' | 'aborted' | 'failed', error?: string): boolean {
    const r = this.#records.get(migrationId);
    if (r === undefined || r.state !== 'running') return false;
    r.state = state;
    r.endedAt = this.now().toISOString();
    if (error !== undefined) r.error = error;
    this.trim();
    return true;
  }

  private trim(): void {
    const ended = [...this.#records.values()].filter((r) => r.state !== 'running');
    for (const r of ended.slice(0, Math.max(0, ended.length - this.keepEnded))) this.#records.delete(r.migrationId);
  }
}
