// A pin on a tablet's disk fragments, for a migration's copy (DESIGN §10
// `copy`): the fragment files the tablet lists at pin time stay on disk
// and readable while the pin holds them, whatever compaction, a split,
// an unload or a drop does meanwhile — the pin is one more holder of each
// file (disk-fragment.ts), like a running scan. There is no compaction
// switch to forget: a pin dies with its engine (closed with it) or its
// process.
//
// Promises:
//  - lists are the tablet's fragment lists at pin time (absolute paths,
//    per group oldest first, legacy under LEGACY_FRAGMENTS — the shape of
//    a tablet config's `fragments:`); files has each file once with its
//    size;
//  - read(path) streams a pinned file's bytes, in order, through the
//    engine's FileSystem port; a path the pin does not hold is
//    'invalid-argument';
//  - release() lets go of every file (idempotent); a file nothing else
//    holds then goes the usual way (fragment-store.ts).

import { invalidArgument } from '../errors.js';
import type { FileSystem } from '../fs/file-system.js';
import type { DiskFragment } from './disk-fragment.js';
import type { FragmentLists } from './tablet-transfer.js';

export interface PinnedFile {
  /** Absolute path. */
  readonly path: string;
  readonly bytes: number;
}

const READ_CHUNK = 1 << 20;

export class TabletPin {
  private held: DiskFragment[] | undefined;
  readonly files: readonly PinnedFile[];

  constructor(
    readonly tabletId: string,
    /** The tablet's fragment lists at pin time (absolute paths). */
    readonly lists: FragmentLists,
    fragments: readonly DiskFragment[],
    private readonly fs: FileSystem,
    private readonly onRelease: (pin: TabletPin) => void,
  ) {
    const unique = [...new Map(fragments.map((f) => [f.path, f])).values()];
    this.held = unique.map((f) => f.ref());
    this.files = unique.map((f) => ({ path: f.path, bytes: f.fileBytes }));
  }

  get released(): boolean {
    return this.held === undefined;
  }

  /** The bytes of pinned file `path`, in chunks of at most `chunkBytes`. */
  async *read(path: string, chunkBytes = READ_CHUNK): AsyncGenerator<Uint8Array> {
    if (this.held === undefined) throw invalidArgument(`the pin on tablet ${this.tabletId} was released`);
    if (!this.held.some((f) => f.path === path)) throw invalidArgument(`${path} is not a file pinned for tablet ${this.tabletId}`);
    const file = await this.fs.openRead(path);
    try {
      for (let at = 0; at < file.size;) {
        const chunk = await file.read(at, Math.min(chunkBytes, file.size - at));
        if (chunk.length === 0) break;
        at += chunk.length;
        yield chunk;
      }
    } finally {
      await file.close();
    }
  }

  release(): void {
    const held = this.held;
    if (held === undefined) return;
    this.held = undefined;
    this.onRelease(this);
    for (const f of held) f.unref();
  }
}
