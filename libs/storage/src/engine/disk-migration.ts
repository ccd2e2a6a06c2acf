// Moving one tablet's fragment files from one of the engine's disks to
// another (DESIGN §11; Pegasus's disk-migrator, whose state names it
// keeps). The tablet serves reads and writes throughout: fragments are
// immutable, so copies are exact, and the swap of references is one
// synchronous step.
//
//   IDLE      nothing runs (also where a failed migration ends, its error kept)
//   MOVING    the tablet's files on disk A are copied, fsynced, into
//             <B>/tables/<table>/<tablet>.migrate.tmp/<group>/<id>.frag;
//             compaction of the tablet waits, serialization goes on (its
//             new fragments are copied in a later round)
//   MOVED     the final pass: with serialization and compaction paused
//             (writes still land in memory and the log) the files written
//             since the last round are copied; every copy is complete
//   CLOSED    the copies are renamed into place, opened, and swapped for
//             the old files in the tablet's chains in one synchronous step;
//             the tablet's home disk becomes B and the manifest is saved
//   COMPLETED the old files are let go: each is deleted once no scan holds
//             it and no tablet config in META names it (publication.ts)
//
// The old files keep their names instead of becoming `.ori` files (the
// seed's word): until the tablet server has written the new lists to
// META, META names them, and a server loading the tablet after a crash
// must find them. They are this migration's "ori" files all the same —
// kept while needed, counted in the status (`oriFiles`), deleted after.
//
// Failure before the swap (a read or write error, a full disk B, the
// tablet unloaded, split or dropped meanwhile, the engine closing) returns
// to IDLE: the `.tmp` directory is removed and nothing the tablet uses
// changed. A rename that fails is undone (the files renamed before it go
// back) and the migration returns to IDLE the same way.
//
// A crash leaves either the old manifest (the copies are orphans: the open
// deletes them and their `.migrate.tmp` directory, fragment-store.ts) or
// the new one (the old files are orphans, or held while META may name
// them). Exactly one copy is in use either way.

import { type Clock } from '@kdi/primitives';
import type { BlockCache } from '../cache/block-cache.js';
import { invalidArgument, notFound } from '../errors.js';
import type { FileSystem } from '../fs/file-system.js';
import type { SerialQueue } from '../util/serial-queue.js';
import type { DiskFragment } from './disk-fragment.js';
import type { FragmentStore } from './fragment-store.js';
import { MIGRATE_TMP_SUFFIX } from './fragment-files.js';
import { isNoSpace } from '../fs/fs-error.js';
import type { TabletRegistry } from './tablet-registry.js';
import { allFragments, type Tablet } from './tablet.js';

export type DiskMigrationState = 'IDLE' | 'MOVING' | 'MOVED' | 'CLOSED' | 'COMPLETED';

export interface DiskMigrationStatus {
  readonly tablet: string;
  readonly table: string;
  /** Source and target disks (absolute directories). */
  readonly from: string;
  readonly to: string;
  readonly state: DiskMigrationState;
  /** Files (and their bytes) to copy: those on the source disk at the start, plus those written there since. */
  readonly files: number;
  readonly filesCopied: number;
  readonly bytes: number;
  readonly bytesCopied: number;
  /** Wall-clock milliseconds. */
  readonly startedAtMs: number;
  readonly endedAtMs?: number;
  /** Why it returned to IDLE. */
  readonly error?: string;
  /** Old files still on the source disk after the swap (held by a scan, or named by META until the new lists are written). */
  readonly oriFiles: number;
}

export interface DiskMigrationHost {
  readonly fs: FileSystem;
  readonly store: FragmentStore;
  readonly registry: TabletRegistry;
  readonly clock: Clock;
  /** The block cache: a copy's blocks are cached under its path before the swap (no cold reads after it). */
  readonly cache?: BlockCache | undefined;
  /** Serialization's and compaction's queues: the final pass and the swap run with both paused. */
  readonly serializerQueue: SerialQueue;
  readonly compactQueue: SerialQueue;
  checkOpen(): void;
  saveManifest(): Promise<void>;
  /** The tablet is pinned for a move to another server (tablet-pin.ts). */
  isPinned(id: string): boolean;
  /** Is the file at this absolute path still kept: open, held, or possibly named by META? */
  isFragmentInUse(path: string): boolean;
  /** Compaction may run again for the tablet. */
  resumeCompaction(): void;
  readonly onState?: ((tablet: string, state: DiskMigrationState) => void | Promise<void>) | undefined;
}

const COPY_CHUNK = 1 << 20;
/**
 * A copy is fsynced every this many bytes, not only at its end: a long
 * copy left to the page cache is written back in one burst at its final
 * fsync, and the log's fsyncs queue behind it (bench:disk measured the
 * longest write at 116–143 ms that way, 41–51 ms with this — the
 * machine's baseline).
 */
const COPY_SYNC_BYTES = 8 << 20;

/** One migration's mutable record. */
interface Running {
  status: { -readonly [K in keyof DiskMigrationStatus]: DiskMigrationStatus[K] };
  readonly done: Promise<DiskMigrationStatus>;
  aborted: string | undefined;
  /** Old files swapped out (absolute paths), for oriFiles. */
  readonly ori: string[];
}

export class DiskMigrations {
  private readonly byTablet = new Map<string, Running>();

  constructor(private readonly host: DiskMigrationHost) {}

  /** Validates and starts moving tablet `id`'s files from disk `from` to disk `to` (paths or indexes). */
  start(id: string, from: string, to: string): DiskMigrationStatus {
    const { host } = this;
    host.checkOpen();
    const { disks } = host.store;
    if (!host.registry.tablets.has(id)) throw notFound(`no tablet ${id} is served here`);
    const t = host.registry.get(id);
    const a = disks.indexOf(from);
    const b = disks.indexOf(to);
    const known = disks.dirs.map((d, i) => `${i}: ${d}`).join(', ');
    if (a === undefined) throw invalidArgument(`unknown source disk ${JSON.stringify(from)}; this server's disks are ${known}`, { reason: 'unknown-disk' });
    if (b === undefined) throw invalidArgument(`unknown target disk ${JSON.stringify(to)}; this server's disks are ${known}`, { reason: 'unknown-disk' });
    if (a === b) throw invalidArgument(`source and target are the same disk (${disks.dirs[a]}); name two different disks`, { reason: 'same-disk' });
    const running = this.byTablet.get(id);
    if (t.diskMigrating || (running !== undefined && running.status.endedAtMs === undefined)) {
      throw invalidArgument(`a disk migration of tablet ${id} is already running (${running?.status.state ?? 'MOVING'}); wait for it to end`, { reason: 'already-migrating' });
    }
    if (t.unloading || t.staged)
      throw invalidArgument(`tablet ${id} is ${t.unloading ? 'unloading' : 'being loaded by a migration'}; try again once it is served here`, { reason: 'not-served' });
    const target = disks.state(b);
    if (target.state !== 'ok') {
      throw invalidArgument(`target disk ${disks.dirs[b]} takes no new files: ${target.reason ?? target.state}; free space there or choose another disk`, {
        reason: 'target-full',
      });
    }
    if (host.isPinned(id)) throw invalidArgument(`tablet ${id} is moving to another server; move it between disks after that`, { reason: 'already-migrating' });
    if (t.homeDisk !== a && filesOn(host.store, t, a).length === 0) {
      throw invalidArgument(`tablet ${id} has no files on disk ${disks.dirs[a]} and its new fragments go to ${disks.dirs[t.homeDisk]}; nothing to move`, { reason: 'not-on-disk' });
    }
    const status: Running['status'] = {
      tablet: id,
      table: t.def.table,
      from: disks.dirs[a]!,
      to: disks.dirs[b]!,
      state: 'MOVING',
      files: 0,
      filesCopied: 0,
      bytes: 0,
      bytesCopied: 0,
      startedAtMs: Math.floor(host.clock.wallMicros() / 1000),
      oriFiles: 0,
    };
    t.diskMigrating = true;
    const heldBefore = t.holdCompaction;
    t.holdCompaction = true;
    let resolve!: (s: DiskMigrationStatus) => void;
    const record: Running = { status, done: new Promise((r) => (resolve = r)), aborted: undefined, ori: [] };
    this.byTablet.set(id, record);
    void this.run(record, t, a, b)
      .then(
        () => {
          status.state = 'COMPLETED';
        },
        (e: unknown) => {
          status.state = 'IDLE';
          status.error = e instanceof Error ? e.message : String(e);
        },
      )
      .finally(() => {
        t.diskMigrating = false;
        if (host.registry.tablets.get(id) === t && !heldBefore) {
          t.holdCompaction = false;
          host.resumeCompaction();
        }
        status.endedAtMs = Math.floor(host.clock.wallMicros() / 1000);
        resolve(this.status(id)!);
      });
    return this.snapshot(record);
  }

  /** The last migration of tablet `id` (running or ended), or undefined. */
  status(id: string): DiskMigrationStatus | undefined {
    const r = this.byTablet.get(id);
    return r && this.snapshot(r);
  }

  all(): DiskMigrationStatus[] {
    return [...this.byTablet.values()].map((r) => this.snapshot(r));
  }

  /** Resolves when tablet `id`'s migration has ended (at once with its last status when none runs); undefined if it never had one. */
  async wait(id: string): Promise<DiskMigrationStatus | undefined> {
    const r = this.byTablet.get(id);
    if (r === undefined) return undefined;
    await r.done;
    return this.snapshot(r);
  }

  /** Makes every running migration fail at its next step (the engine is closing), and waits for them to end. */
  async abortAll(why: string): Promise<void> {
    const running = [...this.byTablet.values()].filter((r) => r.status.endedAtMs === undefined);
    for (const r of running) r.aborted = why;
    await Promise.all(running.map((r) => r.done));
  }

  private snapshot(r: Running): DiskMigrationStatus {
    const oriFiles = r.ori.filter((p) => this.host.isFragmentInUse(p)).length;
    return { ...r.status, oriFiles };
  }

  private async run(r: Running, t: Tablet, a: number, b: number): Promise<void> {
    const { host } = this;
    const { store, fs } = host;
    const id = t.def.id;
    /** Old canonical name → its copy: the final name (reserved as being written) and the temp path. */
    const copies = new Map<string, { final: string; tmp: string }>();
    const check = () => {
      host.checkOpen();
      if (r.aborted !== undefined) throw new Error(`disk migration of tablet ${id} stopped: ${r.aborted}`);
      if (host.registry.tablets.get(id) !== t || t.unloading) throw new Error(`tablet ${id} left this server (unloaded, split, merged or dropped) during its disk migration`);
    };
    /** Copies the tablet's files on disk a that have no copy yet; true when there were any. */
    const copyNew = async (): Promise<boolean> => {
      const todo = filesOn(store, t, a).filter((f) => !copies.has(f.name));
      for (const f of todo) {
        r.status.files++;
        r.status.bytes += f.fileBytes;
      }
      for (const f of todo) {
        check();
        f.ref(); // the source stays on disk while it is read, whatever the tablet does meanwhile
        try {
          const { name: final, path } = store.newFragment(t.def.table, id, groupDirOf(t, f), b);
          const tmp = tmpPathOf(path, id);
          copies.set(f.name, { final, tmp });
          await copyFile(fs, f.path, tmp, (n) => (r.status.bytesCopied += n)).catch((e: unknown) => {
            if (isNoSpace(e)) store.disks.markFull(b);
            throw e;
          });
        } finally {
          f.unref();
        }
        r.status.filesCopied++;
        if (r.status.filesCopied === 1) await host.onState?.(id, 'MOVING');
      }
      return todo.length > 0;
    };
    try {
      // Rounds while serialization keeps adding files; each is smaller than the last.
      if (!(await copyNew())) await host.onState?.(id, 'MOVING');
      for (let round = 0; round < 8; round++) {
        if (!(await copyNew())) break;
      }
      await host.serializerQueue.run(() =>
        host.compactQueue.run(async () => {
          check();
          await copyNew(); // the final pass: nothing adds files while it runs
          r.status.state = 'MOVED';
          await host.onState?.(id, 'MOVED');
          check();
          await this.swap(r, t, b, copies);
        }),
      );
    } catch (e) {
      await this.removeCopies(copies, true).catch(() => {});
      throw e;
    } finally {
      for (const { final } of copies.values()) store.finishedWriting(final);
    }
    r.status.state = 'CLOSED';
    await this.removeCopies(copies, false); // the emptied .migrate.tmp directories
    await host.onState?.(id, 'CLOSED');
    await host.onState?.(id, 'COMPLETED');
  }

  /** CLOSED: renames the copies into place (undone on failure), opens them, swaps them in, saves the manifest. */
  private async swap(r: Running, t: Tablet, b: number, copies: Map<string, { final: string; tmp: string }>): Promise<void> {
    const { store, fs } = this.host;
    const renamed: { tmp: string; path: string }[] = [];
    const opened = new Map<string, DiskFragment>();
    try {
      for (const { final, tmp } of copies.values()) {
        const path = store.pathOf(final);
        await fs.mkdir(path.slice(0, path.lastIndexOf('/')));
        await fs.rename(tmp, path);
        renamed.push({ tmp, path });
      }
      for (const [old, { final }] of copies) {
        const was = allFragments(t).find((f) => f.name === old);
        // Blocks cached for the old file are cached for its copy before it opens (in-memory groups preload from the cache).
        if (was !== undefined) this.host.cache?.copyFile(was.path, store.pathOf(final));
        opened.set(old, (await store.open(final, was?.inMemory ?? false)).ref());
      }
    } catch (e) {
      for (const f of opened.values()) f.unref();
      for (const { tmp, path } of renamed.reverse()) await fs.rename(path, tmp).catch(() => {});
      throw e;
    }
    if (this.host.registry.tablets.get(t.def.id) !== t) {
      // Dropped or unloaded while the copies opened: they are orphans now (unreferenced, owned: deleted).
      for (const f of opened.values()) f.unref();
      throw new Error(`tablet ${t.def.id} left this server during its disk migration`);
    }
    this.host.checkOpen();
    // One synchronous step: every list of the tablet names the copies from here on.
    const replaced: DiskFragment[] = [];
    const swapIn = (f: DiskFragment): DiskFragment => {
      const copy = opened.get(f.name);
      if (copy === undefined) return f;
      replaced.push(f);
      opened.delete(f.name);
      return copy;
    };
    for (const c of t.chains) c.fragments = c.fragments.map(swapIn);
    t.legacy = t.legacy.map(swapIn);
    t.homeDisk = b;
    for (const f of opened.values()) f.unref(); // copies of files the tablet no longer lists (none while paused)
    r.ori.push(...replaced.map((f) => f.path));
    await this.host.saveManifest();
    for (const f of replaced) f.unref();
  }

  /** Removes the temp copies (with `files`; else they were renamed away) and their directories. */
  private async removeCopies(copies: Map<string, { final: string; tmp: string }>, files: boolean): Promise<void> {
    const { fs } = this.host;
    const dirs = new Set<string>();
    for (const { tmp } of copies.values()) {
      if (files) await fs.unlink(tmp).catch(() => {});
      dirs.add(tmp.slice(0, tmp.lastIndexOf('/')));
    }
    for (const dir of dirs) {
      await fs.rmdir(dir).catch(() => {});
      await fs.rmdir(dir.slice(0, dir.lastIndexOf('/'))).catch(() => {});
    }
  }
}

/** The tablet's own files on disk `disk` (chains and legacy), each once. */
export function filesOn(store: FragmentStore, t: Tablet, disk: number): DiskFragment[] {
  const seen = new Set<string>();
  return allFragments(t).filter((f) => {
    if (seen.has(f.name) || store.disks.diskOfName(f.name) !== disk) return false;
    seen.add(f.name);
    return true;
  });
}

/** Bytes of the tablet's own files on each disk. */
export function tabletBytesPerDisk(store: FragmentStore, t: Tablet): number[] {
  const out = store.disks.dirs.map(() => 0);
  const seen = new Set<string>();
  for (const f of allFragments(t)) {
    const d = store.disks.diskOfName(f.name);
    if (d === undefined || seen.has(f.name)) continue;
    seen.add(f.name);
    out[d]! += f.fileBytes;
  }
  return out;
}

/** The directory a copy of `f` goes in: its chain's group, or 'legacy'. */
function groupDirOf(t: Tablet, f: DiskFragment): string {
  const i = t.chains.findIndex((c) => c.fragments.includes(f));
  return i >= 0 ? t.routing.groups[i]!.name : 'legacy';
}

/** `…/tables/<table>/<tablet>/<group>/<id>.frag` → `…/tables/<table>/<tablet>.migrate.tmp/<group>/<id>.frag`. */
export function tmpPathOf(path: string, tablet: string): string {
  const marker = `/${tablet}/`;
  const at = path.lastIndexOf(marker);
  return `${path.slice(0, at)}/${tablet}${MIGRATE_TMP_SUFFIX}/${path.slice(at + marker.length)}`;
}

/** Copies a file, fsynced, to a new path (its directory created); `progress` gets the bytes of each chunk. */
async function copyFile(fs: FileSystem, from: string, to: string, progress: (bytes: number) => void): Promise<void> {
  await fs.mkdir(to.slice(0, to.lastIndexOf('/')));
  const src = await fs.openRead(from);
  try {
    const dst = await fs.openWrite(to, 'truncate');
    try {
      let unsynced = 0;
      for (let pos = 0; pos < src.size; pos += COPY_CHUNK) {
        const chunk = await src.read(pos, Math.min(COPY_CHUNK, src.size - pos));
        await dst.append(chunk);
        progress(chunk.length);
        unsynced += chunk.length;
        if (unsynced >= COPY_SYNC_BYTES) {
          await dst.sync();
          unsynced = 0;
        }
      }
      await dst.sync();
    } finally {
      await dst.close();
    }
  } finally {
    await src.close();
  }
}
