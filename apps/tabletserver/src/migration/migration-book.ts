// The moves this server drives (source) or receives (target), running
// and the last ENDED_KEPT ended, as GET /v1/admin/migrations reports them
// (docs/migration.md MigrationStatus). In memory only: a migration is
// stateless (DESIGN §10), and a restart forgets it.
//
// A record times its steps on the monotonic clock: entering a step ends
// the previous one; the running step's `ms` is its time so far.

import type { MigrationStatus, MigrationStep } from '@kdi/protocol';

export const ENDED_KEPT = 100;

export interface Peer {
  readonly serverId: string;
  readonly url: string;
}

export class MigrationRecord {
  step: MigrationStep = 'prepare';
  bytesCopied = 0;
  bytesTotal = 0;
  filesCopied = 0;
  filesTotal = 0;
  outcome: 'committed' | 'aborted' | undefined;
  error: string | undefined;
  writeStallMs: number | undefined;
  /** Source: the delta rounds after the preload, in order. */
  readonly deltaRounds: { cells: number; bytes: number; ms: number }[] = [];
  /** Source: how long the freeze waited for admitted writes. */
  freezeWaitMs: number | undefined;
  /** Source: the cells the commit carried. */
  finalCells: number | undefined;
  /** The target's commit parts (ms since it started), as its answer (source) or its own timing (target) says. */
  commitParts: Record<string, number> | undefined;
  private readonly startedAt = new Date();
  private endedAt: Date | undefined;
  private readonly steps: { step: MigrationStep; started: number; ms: number | undefined }[] = [];

  constructor(
    readonly migrationId: string,
    readonly tabletId: string,
    readonly table: string,
    readonly role: 'source' | 'target',
    readonly peer: Peer,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.enter('prepare');
  }

  get ended(): boolean {
    return this.outcome !== undefined || this.endedAt !== undefined;
  }

  /** Starts `step` (ending the one before). */
  enter(step: MigrationStep): void {
    const t = this.now();
    const last = this.steps.at(-1);
    if (last !== undefined && last.step === step && last.ms === undefined) return; // already in it
    if (last !== undefined && last.ms === undefined) last.ms = t - last.started;
    this.step = step;
    this.steps.push({ step, started: t, ms: undefined });
  }

  /** The move is over: `outcome`, or none when it is not known (the target's unknown META write). */
  end(outcome: 'committed' | 'aborted' | undefined, error?: string): void {
    const t = this.now();
    const last = this.steps.at(-1);
    if (last !== undefined && last.ms === undefined) last.ms = t - last.started;
    this.outcome = outcome;
    if (error !== undefined) this.error = error;
    this.endedAt = new Date();
  }

  /** ms since `step` started (0 when it was never entered). */
  msSince(step: MigrationStep): number {
    const s = this.steps.find((x) => x.step === step);
    return s === undefined ? 0 : this.now() - s.started;
  }

  status(): MigrationStatus {
    const t = this.now();
    return {
      migrationId: this.migrationId,
      tabletId: this.tabletId,
      table: this.table,
      role: this.role,
      peer: { serverId: this.peer.serverId, url: this.peer.url },
      step: this.step,
      bytesCopied: this.bytesCopied,
      bytesTotal: this.bytesTotal,
      filesCopied: this.filesCopied,
      filesTotal: this.filesTotal,
      startedAt: this.startedAt.toISOString(),
      ...(this.endedAt && { endedAt: this.endedAt.toISOString() }),
      steps: this.steps.map((s) => ({ step: s.step, ms: round(s.ms ?? t - s.started) })),
      ...(this.outcome && { outcome: this.outcome }),
      ...(this.error !== undefined && { error: this.error }),
      ...(this.writeStallMs !== undefined && { writeStallMs: round(this.writeStallMs) }),
      ...(this.deltaRounds.length > 0 && { deltaRounds: this.deltaRounds.map((d) => ({ ...d, ms: round(d.ms) })) }),
      ...(this.freezeWaitMs !== undefined && { freezeWaitMs: round(this.freezeWaitMs) }),
      ...(this.finalCells !== undefined && { finalCells: this.finalCells }),
      ...(this.commitParts !== undefined && { commitParts: { ...this.commitParts } }),
    };
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;

export class MigrationBook {
  private readonly running = new Map<string, MigrationRecord>();
  private readonly endedList: MigrationRecord[] = [];

  add(rec: MigrationRecord): void {
    this.running.set(`${rec.role}:${rec.migrationId}`, rec);
  }

  /** A running record of this role and id. */
  get(role: 'source' | 'target', migrationId: string): MigrationRecord | undefined {
    return this.running.get(`${role}:${migrationId}`);
  }

  /** A running or ended record of this role and id. */
  find(role: 'source' | 'target', migrationId: string): MigrationRecord | undefined {
    return this.get(role, migrationId) ?? this.endedList.find((r) => r.role === role && r.migrationId === migrationId);
  }

  /** The running move of `tabletId` in `role`, if any. */
  movingTablet(role: 'source' | 'target', tabletId: string): MigrationRecord | undefined {
    for (const r of this.running.values()) if (r.role === role && r.tabletId === tabletId) return r;
    return undefined;
  }

  /** The record ended (call after rec.end): it moves to the ended list, which keeps the last ENDED_KEPT. */
  finished(rec: MigrationRecord): void {
    const key = `${rec.role}:${rec.migrationId}`;
    if (this.running.get(key) === rec) this.running.delete(key);
    this.endedList.push(rec);
    if (this.endedList.length > ENDED_KEPT) this.endedList.splice(0, this.endedList.length - ENDED_KEPT);
  }

  list(): MigrationStatus[] {
    return [...this.running.values(), ...this.endedList].map((r) => r.status());
  }
}
