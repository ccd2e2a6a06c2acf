// EmbeddedLockStore: the LockStore of standalone mode — the state machine
// in-process (lock-state-machine.ts), non-ephemeral files persisted to
// `<dataDir>/lock-state.json` (state-file.ts), a sweeper that expires
// sessions without traffic, and in-process waiters for waitForChange.
//
// Opening a data directory starts a new incarnation:
//  - the revision counter starts at max(stored ceiling + 1, wall-clock
//    microseconds): the state file's revision is a ceiling above every
//    revision handed out (lock-state-machine.ts), so the counter never goes
//    down across restarts, whatever the wall clock did;
//  - when the directory held a state file (a restart), grants are refused
//    for maxTtlMs + lockDelayMs: the previous process's sessions and locks
//    are lost, and their holders may still believe they hold them — unless
//    that process closed with no live session and no lock in its
//    lock-delay (close() then marks the file `stoppedIdle`): nobody can
//    believe they hold anything, so the restart grants at once (standalone
//    mode stops every client before the lock server);
//  - the state file is rewritten at once with the new ceiling, so even a
//    process that never changed a persistent file leaves a mark that makes
//    the next one start in safe mode.
// One process per data directory: two stores on one directory would each
// grant the same locks.

import { randomBytes } from 'node:crypto';
import { KdiError, type LockMode, type Sequencer } from '@kdi/protocol';
import {
  DEFAULT_LOCK_STORE_LIMITS,
  type AcquireOutcome,
  type ChildEntry,
  type EventBatch,
  type LockStore,
  type LockStoreLimits,
  type Read,
  type SessionGrant,
  type StoredFile,
  type StoreStatus,
} from '../lock-store.js';
import { systemClock, type Clock } from '@kdi/primitives';
import { ChangeWaiters } from './change-waiters.js';
import { LockStateMachine } from './lock-state-machine.js';
import { NODE_STATE_FILE_SYSTEM, type StateFileSystem } from './state-file-system.js';
import { readStateFile, removeUnfinishedWrite, writeStateFile } from './state-file.js';

export interface EmbeddedLockStoreOptions {
  readonly dataDir: string;
  readonly limits?: Partial<LockStoreLimits>;
  readonly clock?: Clock;
  readonly fileSystem?: StateFileSystem;
  /** How often the sweeper expires sessions; default minTtlMs / 4 within [10 ms, 500 ms]. */
  readonly sweepIntervalMs?: number;
  /** Revisions reserved per write of the ceiling (default 1,000,000; small in tests). */
  readonly revisionReserve?: number;
}

const DEFAULT_REVISION_RESERVE = 1_000_000;

export class EmbeddedLockStore implements LockStore {
  readonly backend = 'embedded' as const;
  private readonly waiters = new ChangeWaiters();
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  private constructor(
    readonly limits: LockStoreLimits,
    private readonly machine: LockStateMachine,
    private readonly incarnation: string,
    sweepIntervalMs: number,
  ) {
    this.sweeper = setInterval(() => {
      // A failure here (the state file cannot be written) is not lost: the
      // next call runs the same step and reports it to its caller.
      this.expireSessions().catch(() => undefined);
    }, sweepIntervalMs);
    this.sweeper.unref();
  }

  /** Opens (creating if needed) the store on `dataDir`; DATA_CORRUPTION when its state file is unreadable. */
  static async open(opts: EmbeddedLockStoreOptions): Promise<EmbeddedLockStore> {
    const limits = checkedLimits({ ...DEFAULT_LOCK_STORE_LIMITS, ...opts.limits });
    const clock = opts.clock ?? systemClock;
    const fs = opts.fileSystem ?? NODE_STATE_FILE_SYSTEM;
    const dataDir = opts.dataDir;
    fs.makeDirectory(dataDir);
    removeUnfinishedWrite(fs, dataDir);
    const stored = readStateFile(fs, dataDir);
    const firstRevision = Math.max(stored ? stored.revision + 1 : 0, Math.floor(clock.wallMicros()));
    if (!Number.isSafeInteger(firstRevision)) throw new KdiError('INTERNAL', `the revision counter would start at ${firstRevision}, beyond safe integers`);
    const files = stored?.files ?? [];
    const revisionReserve = opts.revisionReserve ?? DEFAULT_REVISION_RESERVE;
    if (!Number.isSafeInteger(revisionReserve) || revisionReserve < 2) throw new KdiError('INVALID_ARGUMENT', `revisionReserve must be an integer ≥ 2, got ${revisionReserve}`);
    const ceiling = firstRevision + revisionReserve;
    writeStateFile(fs, dataDir, { revision: ceiling, files });
    const machine = new LockStateMachine({
      limits,
      clock,
      firstRevision,
      ceiling,
      revisionReserve,
      files,
      safeModeUntil: stored !== undefined && stored.stoppedIdle !== true ? clock.monotonicMs() + limits.maxTtlMs + limits.lockDelayMs : 0,
      persist: (state) => writeStateFile(fs, dataDir, state),
    });
    const sweep = opts.sweepIntervalMs ?? Math.min(500, Math.max(10, Math.floor(limits.minTtlMs / 4)));
    return new EmbeddedLockStore(limits, machine, randomBytes(8).toString('hex'), sweep);
  }

  openSession(ttlMs: number | undefined): Promise<SessionGrant> {
    return this.step(() => this.machine.openSession(ttlMs));
  }

  keepAlive(sessionId: string): Promise<SessionGrant> {
    return this.step(() => this.machine.keepAlive(sessionId));
  }

  closeSession(sessionId: string): Promise<void> {
    return this.step(() => this.machine.closeSession(sessionId));
  }

  createFile(path: string, contents: Uint8Array, opts?: { ephemeralOwner?: string }): Promise<Read<StoredFile>> {
    return this.step(() => this.machine.createFile(path, contents, opts));
  }

  getFile(path: string): Promise<Read<StoredFile>> {
    return this.step(() => this.machine.getFile(path));
  }

  setContents(path: string, contents: Uint8Array, opts?: { ifGeneration?: number }): Promise<Read<StoredFile>> {
    return this.step(() => this.machine.setContents(path, contents, opts));
  }

  deleteFile(path: string, opts?: { ifGeneration?: number; sessionId?: string }): Promise<void> {
    return this.step(() => this.machine.deleteFile(path, opts));
  }

  listChildren(dir: string): Promise<Read<ChildEntry[]>> {
    return this.step(() => this.machine.listChildren(dir));
  }

  acquire(req: { sessionId: string; path: string; mode: LockMode; requestId: string }): Promise<AcquireOutcome> {
    return this.step(() => this.machine.acquire(req));
  }

  release(sessionId: string, path: string): Promise<boolean> {
    return this.step(() => this.machine.release(sessionId, path));
  }

  validateSequencer(s: Sequencer): Promise<{ valid: boolean; reason?: string }> {
    return this.step(() => this.machine.validateSequencer(s));
  }

  readEvents(after: number | undefined, limit: number): Promise<EventBatch> {
    return this.step(() => this.machine.readEvents(after, limit));
  }

  waitForChange(after: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.resolve();
    try {
      // A session that ran out is a change the caller may be waiting for.
      this.run(() => this.machine.expireDue());
    } catch {
      // The state file could not be written; the caller's next read reports it.
    }
    if (this.machine.revision > after) return Promise.resolve();
    return this.waiters.wait(after, timeoutMs, signal);
  }

  expireSessions(): Promise<void> {
    return this.step(() => this.machine.expireDue());
  }

  status(): Promise<StoreStatus> {
    return this.step(() => ({
      backend: this.backend,
      incarnation: this.incarnation,
      sessions: this.machine.sessionCount,
      revision: this.machine.revision,
      safeModeRemainingMs: this.machine.safeModeRemainingMs(),
    }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      this.machine.persistIdleStop();
    } catch {
      // Not marked idle: the next open starts in safe mode, as after a crash.
    }
    this.closed = true;
    clearInterval(this.sweeper);
    this.waiters.wakeAll();
  }

  /** One step of the state machine as a promise: a throw becomes a rejection. */
  private step<T>(change: () => T): Promise<T> {
    try {
      return Promise.resolve(this.run(change));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /**
   * Runs one synchronous step of the state machine, then wakes the waiters
   * its events concern. Nothing awaits inside, so steps never interleave.
   */
  private run<T>(change: () => T): T {
    if (this.closed) throw new KdiError('UNAVAILABLE', 'the embedded lock store is closed');
    const before = this.machine.revision;
    try {
      return change();
    } finally {
      if (this.machine.revision !== before) this.waiters.wake(this.machine.revision);
    }
  }
}

function checkedLimits(limits: LockStoreLimits): LockStoreLimits {
  const problems: string[] = [];
  for (const key of ['minTtlMs', 'maxTtlMs', 'maxContentsBytes', 'eventRetention'] as const) {
    if (!Number.isSafeInteger(limits[key]) || limits[key] < 1) problems.push(`${key} must be a positive integer, got ${limits[key]}`);
  }
  if (!Number.isSafeInteger(limits.lockDelayMs) || limits.lockDelayMs < 0) problems.push(`lockDelayMs must be a non-negative integer, got ${limits.lockDelayMs}`);
  if (limits.minTtlMs > limits.maxTtlMs) problems.push(`minTtlMs (${limits.minTtlMs}) must not exceed maxTtlMs (${limits.maxTtlMs})`);
  if (problems.length > 0) throw new KdiError('INVALID_ARGUMENT', `bad lock store limits: ${problems.join('; ')}`);
  return Object.freeze({ ...limits });
}
