// The embedded store's state machine: sessions, files, locks, the revision
// counter and the event log, changed only by synchronous methods, so every
// change is one atomic step (nothing else runs in the middle of it). Each
// method first expires the sessions whose deadline has passed, with their
// locks and ephemeral files, exactly as lock-store.ts promises.
//
// Revisions: each event takes the next revision, so a file's generation is
// its created/changed event's revision and a sequencer's generation is its
// lock-acquired event's revision.
//
// Revision ceiling: the state file records a revision no handed-out
// revision exceeds (the counter plus a reserve), rewritten when less than
// half the reserve is left; a restart starts above it. So the counter never
// goes down across restarts even for changes that are not persisted (lock
// grants) and even when the wall clock was stepped back.
//
// Persistence: a change to a non-ephemeral file is first written (through
// `persist`) as the complete next persistent state, and applied to memory
// only when that write succeeded; so memory never shows what the disk does
// not hold, and a failed write changes nothing and is reported UNAVAILABLE.
// (When the new file replaced the old but the directory fsync failed, the
// change is applied — the file on disk has it — and still reported
// UNAVAILABLE: its durability is unknown.)

import { KdiError, type LockMode, type Sequencer, type WatchEventType } from '@kdi/protocol';
import type { AcquireOutcome, ChildEntry, EventBatch, LockStoreLimits, Read, SessionGrant, StoredFile } from '../lock-store.js';
import type { Clock } from '@kdi/primitives';
import { EventLog } from './event-log.js';
import { checkedContents, checkedPath, FileTable, lockModeOf, storedFile, type FileEntry } from './file-table.js';
import { sessionGrant, SessionTable, type Session } from './session-table.js';
import { StateWriteError, type PersistedFile, type PersistedState } from './state-file.js';

export interface LockStateMachineOptions {
  readonly limits: LockStoreLimits;
  readonly clock: Clock;
  /** The counter's value at start: events of this incarnation get higher revisions. */
  readonly firstRevision: number;
  /** The revision ceiling already recorded in the state file (≥ firstRevision). */
  readonly ceiling: number;
  /** How far above the counter a new ceiling is set. */
  readonly revisionReserve: number;
  readonly files: readonly PersistedFile[];
  /** Monotonic milliseconds until which no lock is granted. */
  readonly safeModeUntil: number;
  /** Durably stores the persistent state; throws StateWriteError. */
  readonly persist: (state: PersistedState) => void;
  readonly newSessionId?: () => string;
}

const MODES: readonly string[] = ['exclusive', 'shared'];

export class LockStateMachine {
  private readonly limits: LockStoreLimits;
  private readonly clock: Clock;
  private readonly persist: (state: PersistedState) => void;
  private readonly safeModeUntil: number;
  private readonly files = new FileTable();
  private readonly sessions: SessionTable;
  private readonly log: EventLog;
  private readonly revisionReserve: number;
  private counter: number;
  private ceiling: number;

  constructor(opts: LockStateMachineOptions) {
    this.limits = opts.limits;
    this.clock = opts.clock;
    this.persist = opts.persist;
    this.safeModeUntil = opts.safeModeUntil;
    this.counter = opts.firstRevision;
    this.ceiling = opts.ceiling;
    this.revisionReserve = opts.revisionReserve;
    if (!(this.ceiling >= this.counter)) throw new Error(`revision ceiling ${this.ceiling} is below the counter ${this.counter}`);
    this.sessions = new SessionTable(opts.limits, opts.newSessionId);
    this.log = new EventLog(opts.limits.eventRetention, opts.firstRevision);
    for (const f of opts.files) {
      this.files.set(f.path, { contents: f.contents, generation: f.generation, ephemeralOwner: undefined, holders: new Map(), lockDelayUntil: 0 });
    }
  }

  get revision(): number {
    return this.counter;
  }

  get sessionCount(): number {
    this.expireDue();
    return this.sessions.size;
  }

  /**
   * At a clean close: when nobody can believe they hold a lock here (no
   * live session, no lock in its lock-delay), records that in the state
   * file so the next open may skip safe mode. Returns whether it did;
   * throws StateWriteError when the write failed.
   */
  persistIdleStop(): boolean {
    if (this.sessionCount > 0) return false;
    if (this.files.anyInLockDelay(this.clock.monotonicMs())) return false;
    this.persist({ revision: this.ceiling, files: this.files.persistent(), stoppedIdle: true });
    return true;
  }

  safeModeRemainingMs(): number {
    return Math.max(0, Math.ceil(this.safeModeUntil - this.clock.monotonicMs()));
  }

  /** Ends every session whose deadline has passed: locks released (with lock-delay), ephemerals deleted. */
  expireDue(): void {
    this.keepHeadroom();
    const now = this.clock.monotonicMs();
    for (const s of this.sessions.due(now)) this.endSession(s, now, true);
  }

  // ---- sessions ---------------------------------------------------------

  openSession(ttlMs: number | undefined): SessionGrant {
    this.expireDue();
    return sessionGrant(this.sessions.open(ttlMs, this.clock.monotonicMs()));
  }

  keepAlive(sessionId: string): SessionGrant {
    this.expireDue();
    const s = this.sessions.live(sessionId);
    s.deadline = this.clock.monotonicMs() + s.ttlMs;
    return sessionGrant(s);
  }

  closeSession(sessionId: string): void {
    this.expireDue();
    this.endSession(this.sessions.live(sessionId), this.clock.monotonicMs(), false);
  }

  // ---- files ------------------------------------------------------------

  createFile(path: string, contents: Uint8Array, opts: { ephemeralOwner?: string } = {}): Read<StoredFile> {
    this.expireDue();
    checkedPath(path);
    const data = checkedContents(contents, this.limits.maxContentsBytes);
    if (this.files.get(path)) throw new KdiError('ALREADY_EXISTS', `lock file ${path} already exists`);
    const owner = opts.ephemeralOwner;
    let session: Session | undefined;
    if (owner !== undefined) {
      session = this.sessions.find(owner);
      if (!session) {
        throw new KdiError('FAILED_PRECONDITION', `ephemeral file ${path} needs a live session; session ${JSON.stringify(owner)} does not exist (expired or closed)`);
      }
    }
    const apply = (): void => {
      const generation = this.emit('created', path);
      this.files.set(path, { contents: data, generation, ephemeralOwner: owner, holders: new Map(), lockDelayUntil: 0 });
      session?.ephemerals.add(path);
    };
    if (session) apply();
    else this.persistThenApply(1, path, { path, generation: this.counter + 1, contents: data }, apply);
    return this.readFile(path);
  }

  getFile(path: string): Read<StoredFile> {
    this.expireDue();
    checkedPath(path);
    this.files.existing(path);
    return this.readFile(path);
  }

  setContents(path: string, contents: Uint8Array, opts: { ifGeneration?: number } = {}): Read<StoredFile> {
    this.expireDue();
    checkedPath(path);
    const data = checkedContents(contents, this.limits.maxContentsBytes);
    const entry = this.files.existing(path);
    this.checkGeneration(path, entry, opts.ifGeneration);
    const apply = (): void => {
      entry.generation = this.emit('changed', path);
      entry.contents = data;
    };
    if (entry.ephemeralOwner !== undefined) apply();
    else this.persistThenApply(1, path, { path, generation: this.counter + 1, contents: data }, apply);
    return this.readFile(path);
  }

  deleteFile(path: string, opts: { ifGeneration?: number; sessionId?: string } = {}): void {
    this.expireDue();
    checkedPath(path);
    const entry = this.files.existing(path);
    this.checkGeneration(path, entry, opts.ifGeneration);
    const others = [...entry.holders.keys()].filter((id) => id !== opts.sessionId);
    if (others.length > 0) {
      throw new KdiError(
        'FAILED_PRECONDITION',
        `lock file ${path} is locked by ${others.length === 1 ? 'another session' : `${others.length} other sessions`}; it can be deleted once they release it`,
      );
    }
    const ownHold = opts.sessionId !== undefined && entry.holders.has(opts.sessionId);
    const apply = (): void => this.removeFile(path, entry);
    if (entry.ephemeralOwner !== undefined) apply();
    else this.persistThenApply(ownHold ? 2 : 1, path, null, apply);
  }

  listChildren(dir: string): Read<ChildEntry[]> {
    this.expireDue();
    return { value: this.files.children(dir), revision: this.counter };
  }

  // ---- locks ------------------------------------------------------------

  acquire(req: { sessionId: string; path: string; mode: LockMode; requestId: string }): AcquireOutcome {
    this.expireDue();
    checkedPath(req.path);
    if (!MODES.includes(req.mode)) throw new KdiError('INVALID_ARGUMENT', `mode must be 'exclusive' or 'shared', got ${JSON.stringify(req.mode)}`);
    if (typeof req.requestId !== 'string' || req.requestId.length === 0) throw new KdiError('INVALID_ARGUMENT', 'requestId must be a non-empty string');
    const session = this.sessions.live(req.sessionId);
    const entry = this.files.existing(req.path);
    const mine = entry.holders.get(session.id);
    if (mine) {
      if (mine.requestId === req.requestId && mine.mode === req.mode) return { acquired: true, sequencer: { path: req.path, mode: mine.mode, generation: mine.generation } };
      throw new KdiError(
        'FAILED_PRECONDITION',
        `session ${session.id} already holds ${req.path} (${mine.mode}, request ${JSON.stringify(mine.requestId)}); release it before acquiring it again`,
      );
    }
    const now = this.clock.monotonicMs();
    if (now < this.safeModeUntil) return { acquired: false, reason: 'safe-mode', retryAfterMs: Math.ceil(this.safeModeUntil - now) };
    const held = lockModeOf(entry);
    if (held !== undefined && (held === 'exclusive' || req.mode === 'exclusive')) return { acquired: false, reason: 'held' };
    if (now < entry.lockDelayUntil) return { acquired: false, reason: 'lock-delay', retryAfterMs: Math.ceil(entry.lockDelayUntil - now) };
    const generation = this.emit('lock-acquired', req.path);
    entry.holders.set(session.id, { generation, requestId: req.requestId, mode: req.mode });
    session.locks.add(req.path);
    return { acquired: true, sequencer: { path: req.path, mode: req.mode, generation } };
  }

  release(sessionId: string, path: string): boolean {
    this.expireDue();
    checkedPath(path);
    const session = this.sessions.live(sessionId);
    const entry = this.files.get(path);
    if (!entry?.holders.has(session.id)) return false;
    this.releaseHold(session.id, path, entry);
    return true;
  }

  validateSequencer(s: Sequencer): { valid: boolean; reason?: string } {
    this.expireDue();
    checkedPath(s.path);
    const entry = this.files.get(s.path);
    if (!entry) return { valid: false, reason: `lock file ${s.path} does not exist` };
    for (const h of entry.holders.values()) {
      if (h.generation !== s.generation) continue;
      if (h.mode !== s.mode) return { valid: false, reason: `generation ${s.generation} holds ${s.path} in ${h.mode} mode, not ${s.mode}` };
      return { valid: true };
    }
    const newest = Math.max(-1, ...[...entry.holders.values()].map((h) => h.generation));
    return { valid: false, reason: newest > s.generation ? `${s.path} is held at a newer generation` : `${s.path} is not held at generation ${s.generation}` };
  }

  // ---- events -----------------------------------------------------------

  readEvents(after: number | undefined, limit: number): EventBatch {
    this.expireDue();
    if (!Number.isInteger(limit) || limit < 1) throw new KdiError('INVALID_ARGUMENT', `limit must be a positive integer, got ${limit}`);
    if (after === undefined) return { events: [], revision: this.counter, reset: false };
    if (!Number.isSafeInteger(after) || after < 0) throw new KdiError('INVALID_ARGUMENT', `after must be a non-negative integer revision, got ${after}`);
    return this.log.read(after, limit, this.counter);
  }

  // ---- internals ----------------------------------------------------------

  private emit(type: WatchEventType, path: string): number {
    this.counter += 1;
    this.log.append(this.counter, type, path);
    return this.counter;
  }

  private readFile(path: string): Read<StoredFile> {
    return { value: storedFile(path, this.files.existing(path), this.clock.monotonicMs()), revision: this.counter };
  }

  private checkGeneration(path: string, entry: FileEntry, ifGeneration: number | undefined): void {
    if (ifGeneration !== undefined && ifGeneration !== entry.generation) {
      throw new KdiError('ABORTED', `lock file ${path} is at generation ${entry.generation}, not ${ifGeneration}; read it again and retry`, {
        details: { generation: entry.generation },
      });
    }
  }

  /**
   * Writes the persistent state as it will be once `apply` (which emits
   * `events` events) has run, then applies. `replacement` is the new state
   * of `path` (null: deleted).
   */
  private persistThenApply(events: number, path: string, replacement: PersistedFile | null, apply: () => void): void {
    const after = this.counter + events;
    const state = { revision: Math.max(this.ceiling, after), files: this.files.persistent({ path, replacement }) };
    let failure: StateWriteError | undefined;
    try {
      this.persist(state);
    } catch (e) {
      if (!(e instanceof StateWriteError)) throw e;
      if (!e.replaced) throw unavailable(e, false);
      failure = e;
    }
    this.ceiling = state.revision;
    apply();
    if (this.counter !== after) throw new Error(`persisted a change ending at revision ${after} but it reached ${this.counter}`);
    if (failure) throw unavailable(failure, true);
  }

  /** Records a higher ceiling before the counter can come near the recorded one. */
  private keepHeadroom(): void {
    if (this.ceiling - this.counter >= this.revisionReserve / 2) return;
    const state = { revision: this.counter + this.revisionReserve, files: this.files.persistent() };
    try {
      this.persist(state);
    } catch (e) {
      // Even when the new file replaced the old one, keep the old ceiling:
      // the counter stays below both.
      if (e instanceof StateWriteError) throw unavailable(e, false);
      throw e;
    }
    this.ceiling = state.revision;
  }

  private removeFile(path: string, entry: FileEntry): void {
    for (const id of [...entry.holders.keys()]) this.releaseHold(id, path, entry);
    this.files.delete(path);
    if (entry.ephemeralOwner !== undefined) this.sessions.find(entry.ephemeralOwner)?.ephemerals.delete(path);
    this.emit('deleted', path);
  }

  private releaseHold(sessionId: string, path: string, entry: FileEntry): void {
    entry.holders.delete(sessionId);
    this.sessions.find(sessionId)?.locks.delete(path);
    this.emit('lock-released', path);
  }

  private endSession(s: Session, now: number, expired: boolean): void {
    for (const path of [...s.locks]) {
      const entry = this.files.get(path);
      if (!entry) continue;
      this.releaseHold(s.id, path, entry);
      // The holder may not know yet that its lease ran out: keep the lock
      // ungrantable until it surely does (DESIGN §8).
      if (expired) entry.lockDelayUntil = Math.max(entry.lockDelayUntil, now + s.lockDelayMs);
    }
    for (const path of [...s.ephemerals]) {
      const entry = this.files.get(path);
      if (entry) this.removeFile(path, entry);
    }
    this.sessions.remove(s.id);
  }
}

function unavailable(e: StateWriteError, applied: boolean): KdiError {
  const outcome = applied ? 'the change is visible but may not survive a crash' : 'nothing was changed';
  return new KdiError('UNAVAILABLE', `the lock store could not persist the change (${e.message}); ${outcome}`, { cause: e, retryAfterMs: 1_000 });
}
