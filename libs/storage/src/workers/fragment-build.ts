// A serialization or compaction described as plain data, so it can run on
// a worker thread (DESIGN §5: heavy CPU work off the event loop). The
// worker opens the input fragments itself and writes the output file; the
// engine only renames it into place and swaps it into the chain.
//
// Memory data travels as one encoded log batch (the engine's log-batch
// format) of cells already in key order, transferred without a copy.
// A task builds one (tablet, locality group) fragment: the group's codec,
// block size, purge policy and family filter travel with it.

import type { Cell } from '@kdi/primitives';
import { codecById } from '../codec/codec-registry.js';
import { mergeIntoWriter } from '../compaction/merge-fragments.js';
import { decodeLogBatch } from '../engine/log-batch.js';
import { invalidArgument } from '../errors.js';
import { FragmentReader } from '../fragment/fragment-reader.js';
import { FragmentWriter } from '../fragment/fragment-writer.js';
import type { FileSystem } from '../fs/file-system.js';
import { ArrayCursor } from '../merge/array-cursor.js';
import type { Cursor } from '../merge/cursor.js';
import { DiskCursor } from '../merge/disk-cursor.js';
import { type PurgePolicy, purgeTest } from '../purge/purge-policy.js';
import { compileFamilyFilter, type FamilyFilterSpec } from '../schema/family-filter.js';

export interface FragmentBuildTask {
  /** Where to write the fragment (the engine's temporary name). */
  readonly output: string;
  /** Sorted cells newer than every disk input (serialization), as a log batch. */
  readonly memory?: Uint8Array | undefined;
  /** Input fragment paths, newest first. */
  readonly disks: readonly string[];
  readonly lowerExclusive?: Uint8Array | undefined;
  readonly upperInclusive?: Uint8Array | undefined;
  readonly dropErasures: boolean;
  /** The locality group's families: other cells are dropped. Absent: keep every cell. */
  readonly familyFilter?: FamilyFilterSpec | undefined;
  /** The locality group's purge policy. */
  readonly purge?: PurgePolicy | undefined;
  readonly nowMicros: number;
  readonly purgeByVersion: boolean;
  /** The locality group's block size. */
  readonly blockSize?: number | undefined;
  /** The locality group's block codec id (see codec-registry), or null for none. */
  readonly codecId: number | null;
}

export interface FragmentBuildResult {
  /** 0 when nothing survived: no file is left behind. */
  readonly cellsOut: number;
}

/** Runs a build task on this thread with `fs`. */
export async function runFragmentBuild(fs: FileSystem, task: FragmentBuildTask): Promise<FragmentBuildResult> {
  const codec = task.codecId === null ? null : codecById(task.codecId);
  if (codec === undefined) throw invalidArgument(`unknown block codec id ${task.codecId}`);
  const readers: FragmentReader[] = [];
  const writer = await FragmentWriter.create(fs, task.output, { ...(task.blockSize ? { blockSize: task.blockSize } : {}), codec });
  try {
    const cursors: Cursor[] = [];
    if (task.memory) cursors.push(new ArrayCursor(decodeLogBatch(task.memory, 'fragment build task').cells as Cell[]));
    for (const path of task.disks) {
      const r = await FragmentReader.open(fs, path);
      readers.push(r);
      cursors.push(await DiskCursor.open(r, undefined));
    }
    const stats = await mergeIntoWriter({
      cursors,
      range: { lowerExclusive: task.lowerExclusive, upperInclusive: task.upperInclusive },
      dropErasures: task.dropErasures,
      purge: purgeTest(task.purge, task.nowMicros),
      purgeByVersion: task.purgeByVersion,
      keep: task.familyFilter ? compileFamilyFilter(task.familyFilter) : undefined,
      writer,
    });
    if (stats.cellsOut === 0) await writer.abort();
    else await writer.finish();
    return { cellsOut: stats.cellsOut };
  } catch (e) {
    await writer.abort().catch(() => {});
    throw e;
  } finally {
    for (const r of readers) await r.close().catch(() => {});
  }
}
