// Builds one disk fragment for one (tablet, locality group): used by
// serialization, compaction, repartitioning and tablet loads. The merge of
// `src` (memory newest, then disk fragments newest first) is cut to the
// tablet's rows and the group's families, with the group's codec, block
// size and purge policy; it runs on a worker thread when the engine has a
// pool. The file is written under a temp name and renamed into place once
// complete, so a crash never leaves a half-written `.frag`.
//
// Where: the tablet's home disk while it has room, else the disk with the
// most free bytes (disk-set.ts). A build that runs out of space (ENOSPC)
// marks its disk full, removes its temp file and is tried once more on
// another disk; when that fails too the error goes to the caller, whose
// data stays where it was (memory and log, or the chain being compacted).

import type { BlockCodec } from '../codec/block-codec.js';
import { lz4Codec } from '../codec/lz4-codec.js';
import { mergeIntoWriter } from '../compaction/merge-fragments.js';
import { FragmentWriter } from '../fragment/fragment-writer.js';
import type { FileSystem } from '../fs/file-system.js';
import { isNoSpace } from '../fs/fs-error.js';
import type { Cursor } from '../merge/cursor.js';
import { DiskCursor } from '../merge/disk-cursor.js';
import { MemoryCursor } from '../merge/memory-cursor.js';
import type { MemoryFragment } from '../memory/memory-fragment.js';
import { purgeTest } from '../purge/purge-policy.js';
import { compileFamilyFilter } from '../schema/family-filter.js';
import type { Clock } from '@kdi/primitives';
import type { FragmentWorkerPool } from '../workers/fragment-worker-pool.js';
import type { DiskFragment } from './disk-fragment.js';
import type { FragmentStore } from './fragment-store.js';
import { encodeLogBatch } from './log-batch.js';
import type { Tablet } from './tablet.js';

export interface FragmentWriteContext {
  readonly fs: FileSystem;
  readonly store: FragmentStore;
  readonly clock: Clock;
  /** The engine's default codec and block size (a group may override them). */
  readonly codec?: BlockCodec | null | undefined;
  readonly blockSize?: number | undefined;
  readonly workers?: FragmentWorkerPool | undefined;
}

export interface FragmentSources {
  readonly memory?: MemoryFragment;
  /** Newest first. */
  readonly disks: readonly DiskFragment[];
}

export interface FragmentWriteMode {
  readonly dropErasures: boolean;
  readonly purgeByVersion: boolean;
}

/** Writes the fragment and opens it (holding one reference); undefined when nothing survives. */
export async function writeTabletFragment(
  ctx: FragmentWriteContext,
  tablet: Tablet,
  group: number,
  src: FragmentSources,
  how: FragmentWriteMode,
): Promise<DiskFragment | undefined> {
  const { disks } = ctx.store;
  const first = disks.choose(tablet.homeDisk);
  try {
    return await writeOnDisk(ctx, tablet, group, src, how, first);
  } catch (e) {
    if (!isNoSpace(e)) throw e;
    disks.markFull(first);
    const second = disks.choose(tablet.homeDisk);
    if (second === first) throw e;
    try {
      return await writeOnDisk(ctx, tablet, group, src, how, second);
    } catch (e2) {
      if (isNoSpace(e2)) disks.markFull(second);
      throw e2;
    }
  }
}

async function writeOnDisk(
  ctx: FragmentWriteContext,
  tablet: Tablet,
  group: number,
  src: FragmentSources,
  how: FragmentWriteMode,
  disk: number,
): Promise<DiskFragment | undefined> {
  const spec = tablet.routing.groups[group]!;
  const { name, path } = ctx.store.newFragment(tablet.def.table, tablet.def.id, spec.name, disk);
  const tmp = `${path}.tmp`;
  try {
    await ctx.fs.mkdir(path.slice(0, path.lastIndexOf('/')));
    const { lowerExclusive, upperInclusive } = tablet.range;
    const nowMicros = ctx.clock.wallMicros();
    const codec = spec.compression === undefined ? (ctx.codec ?? null) : spec.compression === 'lz4' ? lz4Codec : null;
    const blockSize = spec.blockSize ?? ctx.blockSize;
    // One wildcard group holds every family: nothing to filter.
    const familyFilter = tablet.routing.single ? undefined : tablet.routing.familyFilter(group);
    const keep = familyFilter ? compileFamilyFilter(familyFilter) : undefined;
    let cellsOut: number;
    if (ctx.workers) {
      let memory: Uint8Array | undefined;
      if (src.memory) {
        const cells = [...src.memory.cellsInRange(lowerExclusive, upperInclusive)];
        memory = encodeLogBatch('', keep ? cells.filter((c) => keep(c.column)) : cells);
      }
      ({ cellsOut } = await ctx.workers.run({
        output: tmp,
        memory,
        disks: src.disks.map((f) => f.path),
        lowerExclusive,
        upperInclusive,
        dropErasures: how.dropErasures,
        familyFilter,
        purge: spec.purge,
        nowMicros,
        purgeByVersion: how.purgeByVersion,
        blockSize,
        codecId: codec?.id ?? null,
      }));
    } else {
      const writer = await FragmentWriter.create(ctx.fs, tmp, { ...(blockSize ? { blockSize } : {}), codec });
      try {
        const cursors: Cursor[] = src.memory ? [new MemoryCursor(src.memory)] : [];
        for (const f of src.disks) cursors.push(await DiskCursor.open(f.reader, undefined));
        ({ cellsOut } = await mergeIntoWriter({
          cursors,
          range: tablet.range,
          dropErasures: how.dropErasures,
          purge: purgeTest(spec.purge, nowMicros),
          purgeByVersion: how.purgeByVersion,
          keep,
          writer,
        }));
        if (cellsOut === 0) await writer.abort();
        else await writer.finish();
      } catch (e) {
        await writer.abort().catch(() => {});
        throw e;
      }
    }
    if (cellsOut === 0) return undefined;
    await ctx.fs.rename(tmp, path);
    ctx.store.disks.markWritten(disk);
    return (await ctx.store.open(name, spec.inMemory === true)).ref();
  } catch (e) {
    // A half-written temp file (a full disk, a worker's failure) is not left for the next open to find.
    if (isNoSpace(e)) await ctx.fs.unlink(tmp).catch(() => {});
    throw e;
  } finally {
    // Open (held by the caller's reference) or never made: either way no longer "being built".
    ctx.store.finishedWriting(name);
  }
}
