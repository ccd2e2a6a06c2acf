// Reopening an engine directory (DESIGN §5 Log): the manifest names
// the tablets and their fragment chains, the log holds everything applied
// since the manifest's log floor. Steps, in order: read the manifest (an
// empty one for a new directory), leave out the tablets it marks "staged"
// (a migration's preload whose commit never began: no META config can
// name them, so they go as an abort would drop them), restore released
// names and publication,
// register the tablets and open their fragments, delete fragment files
// nothing names (orphans of a crash mid-build), hold owned files META may
// still name, replay the log from the floor into memory, raise every
// tablet's floor above everything replayed, open the log writer after the
// last replayed record.
//
// Promises:
//  - every batch whose apply resolved with sync: true before a crash is in
//    memory or in a fragment afterwards, with its own txn; batches of
//    tables or rows no tablet here holds any more are skipped (they were
//    serialized or dropped);
//  - every txn handed out afterwards is above every replayed one, and
//    every tablet's floor is a fresh txn above them too, so a row
//    transaction that read before the crash conflicts (row-txns.ts);
//  - a corrupt manifest, fragment or log record fails the open with an
//    error naming the file; nothing is deleted that the manifest names,
//    except the files of staged tablets (no other tablet, released name
//    or published set names them: they were renamed in for that tablet
//    alone), whose ids are pushed to `droppedStaged`.

import type { FileSystem } from '../fs/file-system.js';
import { replayLog } from '../log/log-reader.js';
import { LogWriter } from '../log/log-writer.js';
import type { FragmentStore } from './fragment-store.js';
import { decodeLogRecord, type LogBatch } from './log-batch.js';
import { decodeManifest, MANIFEST_NAME, type Manifest, manifestFragments } from './manifest.js';
import type { PublicationApi } from './publication-api.js';
import type { TabletRegistry } from './tablet-registry.js';
import type { TxnSequencer } from './txn-sequencer.js';

/** A temp file of the manifest's atomic write (node-file-system.ts: `<path>.tmp-<hex>`). */
const MANIFEST_TEMP = new RegExp(`^${MANIFEST_NAME}\\.tmp-[0-9a-f]+$`);

/** The parts of a freshly constructed engine that recovery fills. */
export interface RecoveryParts {
  readonly fs: FileSystem;
  /** The engine directory (absolute) and its log directory. */
  readonly dir: string;
  readonly logDirectory: string;
  readonly logSegmentBytes?: number | undefined;
  readonly registry: TabletRegistry;
  readonly store: FragmentStore;
  readonly txns: TxnSequencer;
  /** Restored from the manifest when the engine runs with publication. */
  readonly publication: PublicationApi | undefined;
  /** Filled with the ids of the staged tablets left out. */
  readonly droppedStaged: string[];
}

/** Restores an engine's state from its directory; resolves with the log writer to append to. */
export async function recover(p: RecoveryParts): Promise<LogWriter> {
  const { fs, dir, registry, store } = p;
  await fs.mkdir(p.logDirectory);
  let manifest: Manifest = { nextFragmentId: 1, logFloor: 0, tablets: [], released: [] };
  const mpath = `${dir}/${MANIFEST_NAME}`;
  if (await fs.exists(mpath)) manifest = withoutStaged(decodeManifest(await fs.readFile(mpath), mpath), p.droppedStaged);
  // A crash inside writeFileAtomic leaves its temp file beside the manifest; the manifest itself is whole.
  for (const name of await fs.list(dir)) if (MANIFEST_TEMP.test(name)) await fs.unlink(`${dir}/${name}`);
  store.nextFragmentId = manifest.nextFragmentId;
  await store.restoreReleased(manifest.released);
  p.publication?.restore(manifest);
  for (const t of manifest.tablets) {
    const tablet = registry.add({ id: t.id, table: t.table, lowerExclusive: t.lower, upperInclusive: t.upper, groups: t.groups }, () => 0);
    tablet.homeDisk = homeDisk(store, t);
    for (const [i, g] of tablet.routing.groups.entries()) {
      const chain = tablet.chains[i]!;
      for (const name of t.chains[g.name] ?? []) chain.fragments.push((await store.open(store.canonical(name), g.inMemory === true)).ref());
    }
    for (const l of t.legacy) tablet.legacy.push((await store.open(store.canonical(l.fragment), l.inMemory)).ref());
  }
  const named = new Set([...manifestFragments(manifest)].map((n) => store.canonical(n)));
  await store.removeOrphans(named);
  p.publication?.holdPublishedFiles();
  const replay = await replayLog(
    fs,
    p.logDirectory,
    (r) => {
      for (const batch of decodeLogRecord(r.payload, `log segment ${r.segmentId}`)) replayBatch(p, r.segmentId, batch);
    },
    { fromSegmentId: manifest.logFloor },
  );
  // Everything replayed is durable and visible; rows not replayed may have
  // changed at any txn before this moment, so every tablet's floor is now.
  p.txns.recovered();
  const floor = p.txns.floor();
  for (const t of registry.tablets.values()) t.floorTxn = floor;
  return LogWriter.open(fs, p.logDirectory, {
    ...(p.logSegmentBytes ? { segmentBytes: p.logSegmentBytes } : {}),
    firstSegmentId: Math.max(replay.lastSegmentId + 1, manifest.logFloor),
    nextSeq: replay.lastSeq + 1,
  });
}

/**
 * A tablet's home disk: the manifest's when it is still one of the
 * engine's disks, else the disk of its newest own fragment, else the disk
 * with the most free bytes (a manifest from before several disks, or a
 * data directory removed from the configuration).
 */
function homeDisk(store: FragmentStore, t: Manifest['tablets'][number]): number {
  const named = t.disk === undefined ? undefined : store.disks.indexOf(t.disk);
  if (named !== undefined) return named;
  const newest = Object.values(t.chains)
    .flatMap((names) => names.map((n) => store.canonical(n)))
    .map((n) => ({ disk: store.disks.diskOfName(n), id: Number(/(\d+)\.frag$/.exec(n)?.[1] ?? -1) }))
    .filter((x) => x.disk !== undefined)
    .sort((a, b) => b.id - a.id)[0];
  return newest?.disk ?? store.disks.choose();
}

/**
 * The manifest without its staged tablets (and what the publication keeps
 * for them: a snapshot may have listed a staged tablet, but no META write
 * named it — beginPublish clears the mark first). Their ids go to `dropped`.
 */
function withoutStaged(m: Manifest, dropped: string[]): Manifest {
  const staged = m.tablets.filter((t) => t.staged === true).map((t) => t.id);
  if (staged.length === 0) return m;
  dropped.push(...staged);
  const published = m.publication && Object.fromEntries(Object.entries(m.publication.published).filter(([id]) => !staged.includes(id)));
  return {
    ...m,
    tablets: m.tablets.filter((t) => t.staged !== true),
    ...(m.publication && published && { publication: { ...m.publication, published } }),
  };
}

function replayBatch(p: RecoveryParts, segmentId: number, batch: LogBatch): void {
  p.txns.observe(batch.txn);
  const table = p.registry.tables.get(batch.table);
  // Data for a table with no tablet left here was serialized or dropped.
  if (!table) return;
  for (const c of batch.cells) {
    if (!p.registry.tabletFor(table, c.row)) continue;
    table.active.insert(c);
  }
  table.active.oldestLogSegment = Math.min(table.active.oldestLogSegment, segmentId);
  if (batch.txn > table.active.maxTxn) table.active.maxTxn = batch.txn;
}
