// The write-ahead log writer, with group commit (DESIGN §4, §5 Log).
//
// Records get increasing sequence numbers in call order and are encoded at
// once into the pending batch (one buffer). A single pump writes batches in
// order, each with ONE append call, then — if any waiter in it asked for
// durability — ONE fdatasync covering everything written so far. Appends that
// arrive while a write or sync is in flight gather in the next batch, so at
// most one sync is ever in flight and n concurrent durable appends cost far
// fewer than n syncs.
//
// Promises:
//  - append(p) (sync, the default) resolves after the record is durable;
//    append(p, {sync: false}) resolves once the record's bytes were handed to
//    the file (LevelDB's non-sync write: survives a process kill, not a
//    machine crash, until a later sync);
//  - sync() resolves once everything appended before it is durable;
//  - a segment is synced in full before the next one is created, so after a
//    crash the log is a prefix of what was appended;
//  - if a write, sync or segment switch fails (ENOSPC, EIO, ...), every
//    waiter of the batch being flushed and every queued append rejects with
//    that error, and the writer is failed for good: every later call rejects.
//    The file may now end in a partial record or hold bytes whose durability
//    is unknown; only replayLog (which truncates a torn tail) followed by a
//    new writer may append again. Never "retry" on a log that may have a hole.
import { closed, invalidArgument, isStorageError, StorageError } from '../errors.js';
import type { FileSystem, WritableFile } from '../fs/file-system.js';
import { encodeRecord, MAX_RECORD_PAYLOAD, recordSize } from './log-format.js';
import { listSegments, segmentPath } from './segment-files.js';

export interface LogWriterOptions {
  /** Start a new segment when the current one would pass this size (default 64 MiB). */
  segmentBytes?: number;
  /** Id of the first segment written (default: one past the highest existing, 1 in an empty log). */
  firstSegmentId?: number;
  /**
   * Sequence number of the first record (default 1). Required when the log
   * already has segments: replay it first and pass `lastSeq + 1`.
   */
  nextSeq?: number;
}

export interface LogPosition {
  segmentId: number;
  seq: number;
}

export interface AppendOptions {
  /** Resolve only once the record is durable (default true). */
  sync?: boolean;
}

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const MIN_BATCH_BYTES = 64 * 1024;
/** Batch buffers up to this size are kept for reuse. */
const MAX_SPARE_BYTES = 8 * 1024 * 1024;

/** One fdatasync of the log: how long it took and what it made durable (for metrics; plain numbers). */
export interface LogSyncSample {
  readonly seconds: number;
  /** Bytes appended since the previous sync. */
  readonly bytes: number;
  /** Records appended since the previous sync. */
  readonly records: number;
}

interface Waiter {
  resolve(): void;
  reject(e: unknown): void;
}

/** Records bound for one segment, written with one append call. */
interface Batch {
  readonly segmentId: number;
  buf: Uint8Array;
  view: DataView;
  len: number;
  /** Records encoded into `buf`. */
  records: number;
  /** Resolved once the batch is written. */
  readonly written: Waiter[];
  /** Resolved once the batch is written and synced. */
  readonly synced: Waiter[];
}

export class LogWriter {
  /** Segment new records go to (may be ahead of the open file until the pump switches). */
  private assignedSegmentId: number;
  private assignedBytes = 0;
  private seq: number;
  /** Segment of the open file. */
  private fileSegmentId: number;
  private file: WritableFile | undefined;
  /** Bytes written since the last sync started. */
  private dirty = false;
  private unsyncedBytes = 0;
  private unsyncedRecords = 0;
  /** Called after every fdatasync of the log (metrics); must not throw. */
  onSync: ((sample: LogSyncSample) => void) | undefined;
  private readonly queue: Batch[] = [];
  private pumping = false;
  private spare: Uint8Array | undefined;
  private failure: StorageError | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly fs: FileSystem,
    readonly dir: string,
    file: WritableFile,
    segmentId: number,
    nextSeq: number,
    readonly segmentBytes: number,
  ) {
    this.file = file;
    this.fileSegmentId = segmentId;
    this.assignedSegmentId = segmentId;
    this.seq = nextSeq;
  }

  /** Opens a writer that appends to a new segment in `dir` (created if missing). */
  static async open(fs: FileSystem, dir: string, opts: LogWriterOptions = {}): Promise<LogWriter> {
    const segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!Number.isSafeInteger(segmentBytes) || segmentBytes <= 0) {
      throw invalidArgument(`segmentBytes must be a positive integer, got ${segmentBytes}`);
    }
    await fs.mkdir(dir);
    const existing = await listSegments(fs, dir);
    const highest = existing.at(-1) ?? 0;
    if (existing.length > 0 && opts.nextSeq === undefined) {
      throw invalidArgument(`log ${dir} already has segments: replay it and pass nextSeq = lastSeq + 1`);
    }
    const first = opts.firstSegmentId ?? highest + 1;
    if (!Number.isSafeInteger(first) || first < 1 || first <= highest) {
      throw invalidArgument(`firstSegmentId must be an integer above ${highest} (the highest segment in ${dir}), got ${first}`);
    }
    const nextSeq = opts.nextSeq ?? 1;
    if (!Number.isSafeInteger(nextSeq) || nextSeq < 1) {
      throw invalidArgument(`nextSeq must be a positive integer, got ${nextSeq}`);
    }
    const file = await fs.openWrite(segmentPath(dir, first), 'create-new');
    return new LogWriter(fs, dir, file, first, nextSeq, segmentBytes);
  }

  /** The segment the next record goes to. */
  get currentSegmentId(): number {
    return this.assignedSegmentId;
  }

  /** The sequence number the next record gets. */
  get nextSeq(): number {
    return this.seq;
  }

  /** The error that failed the writer, if any. */
  get failed(): StorageError | undefined {
    return this.failure;
  }

  append(payload: Uint8Array, opts?: AppendOptions): Promise<LogPosition> {
    const refusal = this.refusal();
    if (refusal !== undefined) return Promise.reject(refusal);
    if (payload.length > MAX_RECORD_PAYLOAD) {
      return Promise.reject(invalidArgument(`log record of ${payload.length} bytes exceeds ${MAX_RECORD_PAYLOAD}`));
    }
    const size = recordSize(payload.length);
    if (this.assignedBytes > 0 && this.assignedBytes + size > this.segmentBytes) {
      this.assignedSegmentId++;
      this.assignedBytes = 0;
    }
    const batch = this.batchWithRoom(size);
    const pos: LogPosition = { segmentId: this.assignedSegmentId, seq: this.seq++ };
    batch.len = encodeRecord(batch.buf, batch.view, batch.len, pos.segmentId, pos.seq, payload);
    batch.records++;
    this.assignedBytes += size;
    const waiters = opts?.sync === false ? batch.written : batch.synced;
    const done = new Promise<LogPosition>((resolve, reject) => {
      waiters.push({ resolve: () => resolve(pos), reject });
    });
    this.kick();
    return done;
  }

  /** Resolves once every record appended so far is durable. */
  sync(): Promise<void> {
    const refusal = this.refusal();
    if (refusal !== undefined) return Promise.reject(refusal);
    return this.enqueueSync();
  }

  /**
   * Starts a new segment: records appended before this call are in segments
   * below the returned id, records appended after it in that segment or later.
   * Resolves once the old segment is synced and closed and the new one exists.
   * If the current segment holds no record yet, it is kept and its id returned.
   */
  rollSegment(): Promise<number> {
    const refusal = this.refusal();
    if (refusal !== undefined) return Promise.reject(refusal);
    if (this.assignedBytes > 0) {
      this.assignedSegmentId++;
      this.assignedBytes = 0;
    }
    const id = this.assignedSegmentId;
    if (id === this.fileSegmentId) return Promise.resolve(id);
    const batch = this.batchWithRoom(0);
    const done = new Promise<number>((resolve, reject) => {
      batch.written.push({ resolve: () => resolve(id), reject });
    });
    this.kick();
    return done;
  }

  /**
   * Deletes the segment files with ids below `segmentId` (the engine calls it
   * once the memory fragments they back are serialized). Never deletes the
   * segment being written. Returns the ids deleted.
   */
  async deleteSegmentsBefore(segmentId: number): Promise<number[]> {
    const limit = Math.min(segmentId, this.fileSegmentId);
    const deleted: number[] = [];
    for (const id of await listSegments(this.fs, this.dir)) {
      if (id >= limit) break;
      try {
        await this.fs.unlink(segmentPath(this.dir, id));
        deleted.push(id);
      } catch (e) {
        if (!isStorageError(e, 'not-found')) throw e;
      }
    }
    return deleted;
  }

  /**
   * Flushes and syncs everything appended, then closes the segment file.
   * Later calls reject as closed. On a failed writer it only releases the file.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    let error: unknown;
    if (this.failure === undefined) {
      try {
        await this.enqueueSync();
      } catch (e) {
        error = e;
      }
    }
    const file = this.file;
    this.file = undefined;
    if (file !== undefined) {
      try {
        await file.close();
      } catch (e) {
        if (this.failure === undefined) error ??= e;
      }
    }
    if (error !== undefined) throw error;
  }

  private refusal(): StorageError | undefined {
    if (this.failure !== undefined) {
      return new StorageError('io', `log writer stopped by an earlier failure: ${this.failure.message}`, this.failure.path, {
        cause: this.failure.cause ?? this.failure,
      });
    }
    if (this.closing !== undefined) return closed(`log writer for ${this.dir}`);
    return undefined;
  }

  private enqueueSync(): Promise<void> {
    if (!this.dirty && !this.pumping && this.queue.length === 0) return Promise.resolve();
    const batch = this.batchWithRoom(0);
    const done = new Promise<void>((resolve, reject) => {
      batch.synced.push({ resolve, reject });
    });
    this.kick();
    return done;
  }

  /** The queued batch for the assigned segment, with room for `bytes` more. */
  private batchWithRoom(bytes: number): Batch {
    const tail = this.queue.at(-1);
    if (tail !== undefined && tail.segmentId === this.assignedSegmentId) {
      if (tail.len + bytes > tail.buf.length) {
        const grown = new Uint8Array(Math.max(tail.buf.length * 2, tail.len + bytes));
        grown.set(tail.buf.subarray(0, tail.len));
        tail.buf = grown;
        tail.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
      }
      return tail;
    }
    let buf = this.spare;
    if (buf === undefined || buf.length < bytes) buf = new Uint8Array(Math.max(MIN_BATCH_BYTES, bytes));
    else this.spare = undefined;
    const batch: Batch = {
      segmentId: this.assignedSegmentId,
      buf,
      view: new DataView(buf.buffer, buf.byteOffset, buf.byteLength),
      len: 0,
      records: 0,
      written: [],
      synced: [],
    };
    this.queue.push(batch);
    return batch;
  }

  /** Starts the pump on the next microtask, so appends made together share a batch. */
  private kick(): void {
    if (this.pumping) return;
    this.pumping = true;
    queueMicrotask(() => void this.pump());
  }

  private async pump(): Promise<void> {
    try {
      for (let batch = this.queue.shift(); batch !== undefined; batch = this.queue.shift()) {
        try {
          await this.flush(batch);
        } catch (e) {
          this.fail(e, batch);
          return;
        }
        if (batch.buf.length <= MAX_SPARE_BYTES && (this.spare === undefined || this.spare.length < batch.buf.length)) {
          this.spare = batch.buf;
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private async flush(batch: Batch): Promise<void> {
    if (batch.segmentId !== this.fileSegmentId) await this.switchTo(batch.segmentId);
    const file = this.file;
    if (file === undefined) throw closed(`log writer for ${this.dir}`);
    if (batch.len > 0) {
      this.dirty = true;
      await file.append(batch.len === batch.buf.length ? batch.buf : batch.buf.subarray(0, batch.len));
      this.unsyncedBytes += batch.len;
      this.unsyncedRecords += batch.records;
    }
    for (const w of batch.written) w.resolve();
    if (batch.synced.length === 0) return;
    if (this.dirty) {
      this.dirty = false;
      const started = performance.now();
      await file.sync();
      const sample = { seconds: (performance.now() - started) / 1000, bytes: this.unsyncedBytes, records: this.unsyncedRecords };
      this.unsyncedBytes = 0;
      this.unsyncedRecords = 0;
      this.onSync?.(sample);
    }
    for (const w of batch.synced) w.resolve();
  }

  /** Syncs and closes the current segment, then creates segment `id`. */
  private async switchTo(id: number): Promise<void> {
    const old = this.file;
    if (old !== undefined) {
      if (this.dirty) {
        this.dirty = false;
        await old.sync();
        this.unsyncedBytes = 0;
        this.unsyncedRecords = 0;
      }
      this.file = undefined;
      await old.close();
    }
    this.file = await this.fs.openWrite(segmentPath(this.dir, id), 'create-new');
    this.fileSegmentId = id;
  }

  private fail(e: unknown, batch: Batch): void {
    const error = e instanceof StorageError ? e : new StorageError('io', `log write to ${this.dir} failed: ${String(e)}`, this.dir, { cause: e });
    this.failure = error;
    // Waiters already resolved (written before a failed sync) ignore this.
    for (const w of batch.written) w.reject(error);
    for (const w of batch.synced) w.reject(error);
    for (const queued of this.queue.splice(0)) {
      for (const w of queued.written) w.reject(error);
      for (const w of queued.synced) w.reject(error);
    }
  }
}
