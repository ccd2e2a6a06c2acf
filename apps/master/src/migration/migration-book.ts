// The master's records of the tablet moves it asked for (docs/migration.md
// "Master"). The truth of where a tablet is served stays META, and a
// source server reports its own moves (GET /v1/admin/migrations); the
// book is what the master remembers of them. It is written to the lock
// service as part of the master's history (src/history/) and restored by
// a master that takes over, which also learns moves it was not told of
// from their sources (learn-moves.ts).
//
// Promises: every running record stays until it ends; of the ended ones
// the newest `keepEnded` are kept (the oldest forgotten first); list()
// returns newest first (by requestedAt once restore() merged records in);
// a record ends once (end() on an ended record does nothing) and never
// changes after; the onChange listener is called after every add, end and
// restore — not after progress, which a new master reads from the source
// again.

import type { MasterMigration, MigrationProgress } from '@kdi/protocol';

export const KEEP_ENDED = 100;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class MigrationBook {
  /** By migrationId, in the order requested. */
  readonly #records = new Map<string, Mutable<MasterMigration>>();

  #onChange: () => void = () => {};

  constructor(
    private readonly keepEnded: number = KEEP_ENDED,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Called after each add, end and restore (the history recorder marks itself dirty). */
  onChange(listener: () => void): void {
    this.#onChange = listener;
  }

  add(record: MasterMigration): void {
    this.#records.set(record.migrationId, { ...record });
    this.trim();
    this.#onChange();
  }

  /**
   * Merges records another master kept (or a source reported) into the book: a migrationId already
   * here is left as it is; the book is then ordered by requestedAt and trimmed as usual.
   */
  restore(records: readonly MasterMigration[]): void {
    const all = [...this.#records.values()];
    for (const r of records) if (!this.#records.has(r.migrationId)) all.push({ ...r });
    all.sort((a, b) => (a.requestedAt < b.requestedAt ? -1 : a.requestedAt > b.requestedAt ? 1 : 0));
    this.#records.clear();
    for (const r of all) this.#records.set(r.migrationId, r);
    this.trim();
    this.#onChange();
  }

  has(migrationId: string): boolean {
    return this.#records.has(migrationId);
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
    this.#onChange();
    return true;
  }

  private trim(): void {
    const ended = [...this.#records.values()].filter((r) => r.state !== 'running');
    for (const r of ended.slice(0, Math.max(0, ended.length - this.keepEnded))) this.#records.delete(r.migrationId);
  }
}
