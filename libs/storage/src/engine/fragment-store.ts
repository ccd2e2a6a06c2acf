// The engine's open disk fragments and the rule for when a file may go.
//
// Each file is opened once (keyed by absolute path) and shared by
// reference between tablet chains and scans (disk-fragment.ts). When the
// last holder lets go and no chain lists it, the reader is closed and —
// only if this engine OWNS the file — the file is deleted. The engine owns
// a file when it lies inside the engine directory and was never handed to
// another server. The engine's directory is its disk 0; the server's
// other data directories are its other disks (disk-set.ts), whose files
// are named by absolute path and owned all the same:
//  - a file outside every disk (an absolute reference: another server's
//    disk or a shared mount) is never deleted here;
//  - a file on a disk is "released" for good once a tablet config may name
//    it for another server: every fragment of a tablet unloaded from here,
//    and every fragment a loaded tablet's config named. Released names are
//    kept in the manifest, so a restart does not mistake them for orphans
//    of interrupted work; an entry is dropped once its file is gone.
// Files this engine does not own belong to the master's GC (DESIGN §5 GC),
// which knows every tablet config. With publication (publication.ts) an
// owned file that META may still name is not deleted when the last holder
// lets go: it is "held" (closed, kept on disk) until sweepHeld finds that
// no published set names it any more.

import type { BlockCache } from '../cache/block-cache.js';
import { isStorageError } from '../errors.js';
import { FragmentReader } from '../fragment/fragment-reader.js';
import type { FileSystem } from '../fs/file-system.js';
import { DiskFragment } from './disk-fragment.js';
import type { DiskSet } from './disk-set.js';
import { canonicalFragmentName, fragmentName, fragmentPath, listFragmentFiles, MIGRATE_TMP_SUFFIX } from './fragment-files.js';

/** What the store needs from the engine. */
export interface FragmentStoreHost {
  /** Some tablet's chain or legacy list names the fragment. */
  isListed(f: DiskFragment): boolean;
  /** Runs cleanup off the caller's path; errors go to the engine's background handler. */
  background(job: () => Promise<unknown>): void;
  /** Saved manifests must stop naming a file before it is deleted. */
  saveManifest(): Promise<void>;
  /** META may still name the file (publication.ts): keep it. */
  isPublished(name: string): boolean;
}

export class FragmentStore {
  private readonly byPath = new Map<string, Promise<DiskFragment>>();
  /** Bytes of each open file (by path), for placement by bytes. */
  private readonly sizes = new Map<string, number>();
  private readonly released = new Set<string>();
  /** Owned files nothing holds, kept because META may name them (closed). */
  private readonly held = new Set<string>();
  /** Files being built (newFragment until the build opened them or failed): named nowhere yet, but not garbage. */
  private readonly writing = new Set<string>();
  /** Id of the next fragment file written here (kept in the manifest, never reused). */
  nextFragmentId = 1;

  constructor(
    private readonly fs: FileSystem,
    /** The engine directory, absolute and normalized. */
    readonly dir: string,
    private readonly cache: BlockCache | undefined,
    private readonly host: FragmentStoreHost,
    /** The engine's disks ([0] is `dir`). */
    readonly disks: DiskSet,
  ) {}

  /** The canonical reference of `name` (relative to the engine directory, or absolute). */
  canonical(name: string): string {
    return canonicalFragmentName(this.dir, name);
  }

  pathOf(name: string): string {
    return fragmentPath(this.dir, name);
  }

  /** May this engine delete the file once nothing holds it? */
  owns(name: string): boolean {
    return this.isOnOwnDisk(name) && !this.released.has(name);
  }

  /** Does the canonical reference name a file on one of this engine's disks? */
  isOnOwnDisk(name: string): boolean {
    return this.disks.diskOfName(name) !== undefined;
  }

  /** Hands a file's fate to the master's GC: this engine will never delete it. */
  release(name: string): void {
    if (this.isOnOwnDisk(name)) this.released.add(name);
  }

  /** Names on this engine's disks that it must not delete, for the manifest. */
  releasedNames(): string[] {
    return [...this.released].sort();
  }

  /** At open: restores the manifest's released names, dropping those whose files are gone. */
  async restoreReleased(names: readonly string[]): Promise<void> {
    for (const n of names) {
      const name = this.canonical(n);
      if (await this.fs.exists(this.pathOf(name))) this.released.add(name);
    }
  }

  /** A new fragment file for one (tablet, group) on disk `disk` (default 0): its canonical name and path. */
  newFragment(table: string, tablet: string, group: string, disk = 0): { name: string; path: string } {
    const relative = fragmentName(table, tablet, group, this.nextFragmentId++);
    const name = disk === 0 ? relative : `${this.disks.dirs[disk]!}/${relative}`;
    this.writing.add(name);
    return { name, path: this.pathOf(name) };
  }

  /** The build of `name` (from newFragment) is over: the file is open (held by a chain) or was never made. */
  finishedWriting(name: string): void {
    this.writing.delete(name);
  }

  /**
   * Is the file at absolute `path` in use here: open (a chain, a legacy
   * list or a running scan holds it), being built, or held because META
   * may name it? Anything else under the engine directory is the master's
   * GC's to judge (DESIGN §5 GC).
   */
  inUse(path: string, isPublished: (name: string) => boolean): boolean {
    if (this.byPath.has(path)) return true;
    let name: string;
    try {
      // A disk migration's copy in its .migrate.tmp directory is being built under its final name.
      name = this.canonical(path.replace(/\/([^/]+)\.migrate\.tmp\//, '/$1/'));
    } catch {
      return false;
    }
    return this.held.has(name) || this.writing.has(name) || isPublished(name);
  }

  /**
   * Opens a fragment once (concurrent opens of one file share the reader);
   * fragments of in-memory groups load every block into the cache at high
   * priority. A missing or damaged file rejects with the reader's error,
   * which names the file. The caller must take a reference.
   */
  open(name: string, inMemory = false): Promise<DiskFragment> {
    const path = this.pathOf(name);
    const existing = this.byPath.get(path);
    if (existing) return existing;
    const opening = (async () => {
      const cache = this.cache;
      const reader = await FragmentReader.open(this.fs, path, { ...(cache ? { cache } : {}), fileId: path, inMemory });
      try {
        if (inMemory) await reader.preload();
      } catch (e) {
        await reader.close().catch(() => {});
        throw e;
      }
      this.sizes.set(path, reader.info.fileBytes);
      return new DiskFragment(name, path, reader, reader.info.fileBytes, (f) => this.unreferenced(f), inMemory);
    })();
    this.byPath.set(path, opening);
    // A failed open is forgotten, so a later attempt (the file restored) tries again.
    opening.catch(() => {
      if (this.byPath.get(path) === opening) this.byPath.delete(path);
    });
    return opening;
  }

  /** The last holder let go: close the reader, and delete the file if this engine owns it and no chain lists it. */
  private unreferenced(f: DiskFragment): void {
    if (this.host.isListed(f)) return;
    this.byPath.delete(f.path);
    this.sizes.delete(f.path);
    const remove = this.owns(f.name) && !this.host.isPublished(f.name);
    if (this.owns(f.name) && !remove) this.held.add(f.name);
    this.host.background(async () => {
      await f.reader.close();
      if (!remove) return;
      await this.host.saveManifest();
      await this.fs.unlink(f.path);
    });
  }

  /** At open: owned files META may name that no chain lists (they were held when the engine stopped). */
  hold(names: Iterable<string>): void {
    for (const n of names) if (this.owns(n) && !this.byPath.has(this.pathOf(n))) this.held.add(n);
  }

  /** Deletes held files that no published set names any more (and that nothing reopened). */
  async sweepHeld(): Promise<void> {
    const gone: string[] = [];
    for (const name of this.held) {
      if (this.byPath.has(this.pathOf(name))) {
        this.held.delete(name); // listed again: the normal rule applies when it is let go
      } else if (!this.host.isPublished(name) || !this.owns(name)) {
        this.held.delete(name);
        if (this.owns(name)) gone.push(name);
      }
    }
    if (gone.length === 0) return;
    await this.host.saveManifest();
    for (const name of gone) {
      try {
        await this.fs.unlink(this.pathOf(name));
      } catch (e) {
        if (!isStorageError(e, 'not-found')) throw e;
      }
    }
  }

  /**
   * Removes files under each disk's tables/ that neither `named` (the
   * manifest's canonical references) nor the released set names: outputs
   * of work a crash interrupted, temp files, and what a disk migration
   * left in its `.migrate.tmp` directories (removed too). Never looks
   * outside the disks.
   */
  async removeOrphans(named: ReadonlySet<string>): Promise<void> {
    for (const [i, dir] of this.disks.dirs.entries()) {
      for (const rel of await listFragmentFiles(this.fs, dir)) {
        const name = i === 0 ? rel : `${dir}/${rel}`;
        if (!named.has(name) && !this.released.has(name)) await this.fs.unlink(this.pathOf(name));
      }
      const tables = `${dir}/tables`;
      if (!(await this.fs.exists(tables))) continue;
      for (const table of await this.fs.list(tables)) {
        for (const entry of await this.fs.list(`${tables}/${table}`)) {
          if (entry.endsWith(MIGRATE_TMP_SUFFIX)) await removeTree(this.fs, `${tables}/${table}/${entry}`);
        }
      }
    }
  }

  /** Bytes of the open fragment files on each disk (foreign files not counted). */
  bytesPerDisk(): number[] {
    const out = this.disks.dirs.map(() => 0);
    for (const opening of this.byPath.keys()) {
      const disk = this.disks.diskOfPath(opening);
      const size = this.sizes.get(opening);
      if (disk !== undefined && size !== undefined) out[disk]! += size;
    }
    return out;
  }

  async closeAll(): Promise<void> {
    for (const opening of this.byPath.values()) {
      const f = await opening.catch(() => undefined);
      await f?.reader.close();
    }
  }
}

/** Removes a directory and everything under it (files first, then the directories, deepest first). */
async function removeTree(fs: FileSystem, dir: string): Promise<void> {
  if (!(await fs.exists(dir))) return;
  for (const entry of await fs.list(dir)) {
    const path = `${dir}/${entry}`;
    if ((await fs.stat(path)).isDirectory) await removeTree(fs, path);
    else await fs.unlink(path);
  }
  await fs.rmdir(dir);
}
