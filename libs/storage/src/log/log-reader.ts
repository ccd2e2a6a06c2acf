// Log replay at start-up (DESIGN §5 Log): every record of every segment, in
// order, with the rule that decides between "torn tail" and "corruption".
//
//  - Torn tail: the LAST segment ends in an incomplete or failing record and
//    no valid record of that segment starts anywhere after it. That is what a
//    crash during an unsynced write (or a failed writer's short write) leaves;
//    those bytes were never acknowledged as durable. The file is cut at the
//    end of the last good record and synced before replayLog resolves, so a
//    new writer may append after it.
//  - Corruption: a bad record followed by a valid record (damage inside data
//    that was acknowledged), a bad record in any segment but the last
//    (segments are synced in full before the next one is created), or a
//    sequence number not above the previous one. replayLog throws
//    StorageError('corruption') naming the file, the offset and the reason;
//    it never skips over records.
//
// Read-only replay (opts.readOnly) is for reading another server's log when
// a tablet moves (DESIGN §7 "Loading a tablet"): the same rules, except a
// torn tail is simply where the log ends — the file is never truncated,
// synced or otherwise written, because the log is not ours to repair.
// Corruption is still refused: skipping damaged acknowledged data would
// silently lose writes.
// Segment ids need not be contiguous (older segments are deleted once
// serialized; the caller may choose ids); empty segments hold no records.
import { corruption } from '../errors.js';
import type { FileSystem } from '../fs/file-system.js';
import { findNextValidRecord, parseRecord } from './log-format.js';
import { listSegments, segmentPath } from './segment-files.js';

export interface LogRecord {
  segmentId: number;
  seq: number;
  /**
   * The record's bytes: a view into the buffer holding the whole segment, so
   * copy what you keep if keeping the view would pin a large segment.
   */
  payload: Uint8Array;
}

export interface ReplayOptions {
  /** Skip segments below this id (already serialized). */
  fromSegmentId?: number;
  /** Never write to the log: a torn tail is left as it is (another server's log). */
  readOnly?: boolean;
}

export interface ReplayResult {
  /** Highest segment id seen (0 if there is none). */
  lastSegmentId: number;
  /** Seq of the last record replayed (0 if there is none): a new writer starts at lastSeq + 1. */
  lastSeq: number;
  /** Bytes cut from the end of the last segment (a torn tail); always 0 when readOnly. */
  truncatedBytes: number;
  /** Bytes of a torn tail at the end of the last segment (cut unless readOnly). */
  tornTailBytes: number;
  /** Records replayed. */
  records: number;
}

/**
 * Calls `onRecord` for every record in `dir`, oldest first, awaiting it when
 * it returns a promise. A missing directory is an empty log.
 */
export async function replayLog(fs: FileSystem, dir: string, onRecord: (record: LogRecord) => void | Promise<void>, opts: ReplayOptions = {}): Promise<ReplayResult> {
  const from = opts.fromSegmentId ?? 0;
  const ids = (await listSegments(fs, dir)).filter((id) => id >= from);
  const result: ReplayResult = { lastSegmentId: ids.at(-1) ?? 0, lastSeq: 0, truncatedBytes: 0, tornTailBytes: 0, records: 0 };
  for (const [i, segmentId] of ids.entries()) {
    const path = segmentPath(dir, segmentId);
    const buf = await fs.readFile(path);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const size = buf.length;
    let offset = 0;
    while (offset < size) {
      const r = parseRecord(buf, view, offset, size, segmentId);
      if (r.kind === 'ok') {
        if (r.seq <= result.lastSeq) {
          throw corruption(`${path}: offset ${offset}: sequence number ${r.seq} does not follow ${result.lastSeq}`, path);
        }
        result.lastSeq = r.seq;
        result.records++;
        const pending = onRecord({ segmentId, seq: r.seq, payload: buf.subarray(r.payloadStart, r.end) });
        if (pending !== undefined) await pending;
        offset = r.end;
        continue;
      }
      if (i < ids.length - 1) {
        throw corruption(`${path}: offset ${offset}: ${r.reason}, in a segment that is not the last`, path);
      }
      const next = findNextValidRecord(buf, view, offset, size, segmentId);
      if (next >= 0) {
        throw corruption(`${path}: offset ${offset}: ${r.reason}, yet a valid record follows at offset ${next}`, path);
      }
      result.tornTailBytes = size - offset;
      if (!opts.readOnly) {
        await truncateFile(fs, path, offset);
        result.truncatedBytes = size - offset;
      }
      break;
    }
  }
  return result;
}

/** Cuts `path` to `length` bytes and makes that durable. */
async function truncateFile(fs: FileSystem, path: string, length: number): Promise<void> {
  const file = await fs.openWrite(path, 'append');
  try {
    await file.truncate(length);
    await file.sync();
  } finally {
    await file.close();
  }
}
