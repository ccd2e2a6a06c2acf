// The layer between the HTTP routes and the LockStore: it validates what
// the wire schemas cannot (paths, contents encodings and sizes, option
// combinations), renders store values as wire values, and owns everything
// that waits (blocking acquire, watches). Routes stay thin; the store stays
// free of HTTP concerns.
//
// Every wait ends early when the service closes (close()), so shutting the
// server down never hangs on a 60-second long poll.

import {
  KdiError,
  type AcquireResult,
  type DirListing,
  type FileInfo,
  type LockMode,
  type LockServiceStatus,
  type Sequencer,
  type SessionInfo,
  type ValidateResult,
  type WatchResult,
} from '@kdi/protocol';
import type { LockStore, SessionGrant } from '../store/lock-store.js';
import { blockingAcquire } from './blocking-acquire.js';
import { decodeContents, type ContentsEncoding } from './contents.js';
import { renderFileInfo } from './file-info.js';
import { requireDirPath, requireFilePath } from './paths.js';
import { watch } from './watch.js';

export interface LockServiceOptions {
  /** Monotonic milliseconds; performance.now by default. */
  readonly now?: () => number;
}

export class LockService {
  readonly store: LockStore;
  private readonly now: () => number;
  private readonly closing = new AbortController();

  constructor(store: LockStore, opts: LockServiceOptions = {}) {
    this.store = store;
    this.now = opts.now ?? (() => performance.now());
  }

  /** Ends every wait in progress (they answer with what they have). */
  close(): void {
    this.closing.abort();
  }

  // ---- sessions ---------------------------------------------------------

  async openSession(ttlMs: number | undefined): Promise<SessionInfo> {
    return sessionInfo(await this.store.openSession(ttlMs));
  }

  async keepAlive(sessionId: string): Promise<SessionInfo> {
    return sessionInfo(await this.store.keepAlive(sessionId));
  }

  async closeSession(sessionId: string): Promise<void> {
    await this.store.closeSession(sessionId);
  }

  // ---- files ------------------------------------------------------------

  async createFile(path: string, req: { contents: string; encoding: ContentsEncoding; ephemeral: boolean; sessionId?: string | undefined }): Promise<FileInfo> {
    requireFilePath(path);
    if (req.ephemeral && req.sessionId === undefined) {
      throw new KdiError('INVALID_ARGUMENT', 'an ephemeral file needs the sessionId of the session it vanishes with', { details: { field: 'sessionId' } });
    }
    // A sessionId on a non-ephemeral file only names the caller (LockSession
    // always sends it); the file does not belong to the session.
    const bytes = decodeContents(req.contents, req.encoding, this.store.limits.maxContentsBytes);
    const read = await this.store.createFile(path, bytes, req.ephemeral ? { ephemeralOwner: req.sessionId } : {});
    return renderFileInfo(read);
  }

  async getFile(path: string, encoding: ContentsEncoding): Promise<FileInfo> {
    requireFilePath(path);
    return renderFileInfo(await this.store.getFile(path), encoding);
  }

  async stat(path: string): Promise<FileInfo> {
    requireFilePath(path);
    return renderFileInfo(await this.store.getFile(path));
  }

  async setContents(path: string, req: { contents: string; encoding: ContentsEncoding; ifGeneration?: number | undefined }): Promise<FileInfo> {
    requireFilePath(path);
    const bytes = decodeContents(req.contents, req.encoding, this.store.limits.maxContentsBytes);
    const read = await this.store.setContents(path, bytes, req.ifGeneration === undefined ? {} : { ifGeneration: req.ifGeneration });
    return renderFileInfo(read);
  }

  async deleteFile(path: string, opts: { ifGeneration?: number | undefined; sessionId?: string | undefined }): Promise<void> {
    requireFilePath(path);
    await this.store.deleteFile(path, {
      ...(opts.ifGeneration !== undefined && { ifGeneration: opts.ifGeneration }),
      ...(opts.sessionId !== undefined && { sessionId: opts.sessionId }),
    });
  }

  async listDir(path: string): Promise<DirListing> {
    requireDirPath(path);
    const read = await this.store.listChildren(path);
    return {
      path,
      entries: read.value.map((e) => ({ name: e.name, path: e.path, file: e.file, children: e.children })),
      revision: read.revision,
    };
  }

  // ---- locks and sequencers --------------------------------------------

  async acquire(path: string, req: { sessionId: string; mode: LockMode; requestId: string; waitMs: number }, signal?: AbortSignal): Promise<AcquireResult> {
    requireFilePath(path);
    const outcome = await blockingAcquire(this.store, { ...req, path }, { now: this.now, signal: this.waitSignal(signal) });
    if (outcome.acquired) return { acquired: true, sequencer: { ...outcome.sequencer } };
    return {
      acquired: false,
      reason: outcome.reason,
      ...(outcome.retryAfterMs !== undefined && { retryAfterMs: Math.max(0, Math.ceil(outcome.retryAfterMs)) }),
    };
  }

  async release(path: string, sessionId: string): Promise<{ released: boolean }> {
    requireFilePath(path);
    return { released: await this.store.release(sessionId, path) };
  }

  async validateSequencer(sequencer: Sequencer): Promise<ValidateResult> {
    const result = await this.store.validateSequencer(sequencer);
    return { valid: result.valid, ...(result.reason !== undefined && { reason: result.reason }) };
  }

  // ---- watches and status ----------------------------------------------

  async watch(req: { path: string; recursive: boolean; after?: number | undefined; timeoutMs: number }, signal?: AbortSignal): Promise<WatchResult> {
    if (req.recursive) requireDirPath(req.path);
    else requireFilePath(req.path);
    return watch(this.store, { path: req.path, recursive: req.recursive, after: req.after, timeoutMs: req.timeoutMs }, { now: this.now, signal: this.waitSignal(signal) });
  }

  async status(): Promise<LockServiceStatus> {
    const s = await this.store.status();
    return {
      backend: s.backend,
      incarnation: s.incarnation,
      revision: s.revision,
      safeModeRemainingMs: Math.max(0, Math.ceil(s.safeModeRemainingMs)),
      sessions: s.sessions,
    };
  }

  private waitSignal(signal: AbortSignal | undefined): AbortSignal {
    return signal ? AbortSignal.any([signal, this.closing.signal]) : this.closing.signal;
  }
}

function sessionInfo(grant: SessionGrant): SessionInfo {
  return { sessionId: grant.sessionId, ttlMs: grant.ttlMs, lockDelayMs: grant.lockDelayMs };
}
