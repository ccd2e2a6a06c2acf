// Files of the embedded store, with their locks. Directories are implicit
// (lock-path.ts): a path is a directory when some file lies below it, so a
// listing scans the paths under the directory. The lock service holds a few
// hundred small files, so a scan is cheaper than keeping an index right.

import { KdiError, lockPathProblem, type LockMode } from '@kdi/protocol';
import type { ChildEntry, StoredFile } from '../lock-store.js';
import type { PersistedFile } from './state-file.js';

export interface Holder {
  /** The sequencer generation: the revision of the grant. */
  readonly generation: number;
  /** The acquire's request id, so a retry gets the same grant. */
  readonly requestId: string;
  readonly mode: LockMode;
}

export interface FileEntry {
  contents: Uint8Array;
  /** Revision of the last change to contents or existence. */
  generation: number;
  readonly ephemeralOwner: string | undefined;
  /** Current holders by session id (one when exclusive). */
  readonly holders: Map<string, Holder>;
  /** Monotonic milliseconds until which no grant is made (lock-delay after expiry); 0 when none. */
  lockDelayUntil: number;
}

/** The path, or INVALID_ARGUMENT saying what is wrong with it. */
export function checkedPath(path: string): string {
  const problem = lockPathProblem(path);
  if (problem) throw new KdiError('INVALID_ARGUMENT', problem);
  return path;
}

/** Contents as a private copy, or INVALID_ARGUMENT when not bytes or over the limit. */
export function checkedContents(contents: Uint8Array, maxBytes: number): Uint8Array {
  if (!(contents instanceof Uint8Array)) throw new KdiError('INVALID_ARGUMENT', 'contents must be bytes (a Uint8Array)');
  if (contents.length > maxBytes) {
    throw new KdiError('INVALID_ARGUMENT', `contents are ${contents.length} bytes; the limit is ${maxBytes} bytes — store less in a lock file`);
  }
  return new Uint8Array(contents);
}

export function lockModeOf(entry: FileEntry): LockMode | undefined {
  for (const h of entry.holders.values()) return h.mode;
  return undefined;
}

export function storedFile(path: string, entry: FileEntry, now: number): StoredFile {
  const mode = lockModeOf(entry);
  return {
    path,
    contents: new Uint8Array(entry.contents),
    generation: entry.generation,
    ephemeralOwner: entry.ephemeralOwner,
    lock: mode === undefined ? undefined : { mode, holders: [...entry.holders.values()].map((h) => h.generation).sort((a, b) => a - b) },
    lockDelayRemainingMs: Math.max(0, Math.ceil(entry.lockDelayUntil - now)),
  };
}

export class FileTable {
  private readonly files = new Map<string, FileEntry>();

  get(path: string): FileEntry | undefined {
    return this.files.get(path);
  }

  /** The file, or NOT_FOUND. */
  existing(path: string): FileEntry {
    const entry = this.files.get(path);
    if (!entry) throw new KdiError('NOT_FOUND', `lock file ${path} does not exist`);
    return entry;
  }

  set(path: string, entry: FileEntry): void {
    this.files.set(path, entry);
  }

  delete(path: string): void {
    this.files.delete(path);
  }

  /** Immediate children of `dir` ('/' or a valid path), sorted by name (code units). */
  children(dir: string): ChildEntry[] {
    if (dir !== '/') checkedPath(dir);
    const prefix = dir === '/' ? '/' : `${dir}/`;
    const byName = new Map<string, { file: boolean; children: boolean }>();
    for (const path of this.files.keys()) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      const slash = rest.indexOf('/');
      const name = slash < 0 ? rest : rest.slice(0, slash);
      const entry = byName.get(name) ?? { file: false, children: false };
      if (slash < 0) entry.file = true;
      else entry.children = true;
      byName.set(name, entry);
    }
    return [...byName.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, e]) => ({ name, path: `${prefix}${name}`, file: e.file, children: e.children }));
  }

  /**
   * The non-ephemeral files as they would be persisted, with `path`
   * replaced by `replacement` (or removed when it is null).
   */
  /** Whether some file's lock is still refused to new holders after its holder's session expired. */
  anyInLockDelay(now: number): boolean {
    for (const entry of this.files.values()) if (entry.lockDelayUntil > now) return true;
    return false;
  }

  persistent(change?: { path: string; replacement: PersistedFile | null }): PersistedFile[] {
    const out: PersistedFile[] = [];
    for (const [path, e] of this.files) {
      if (e.ephemeralOwner !== undefined || path === change?.path) continue;
      out.push({ path, generation: e.generation, contents: e.contents });
    }
    if (change?.replacement) out.push(change.replacement);
    return out;
  }
}
