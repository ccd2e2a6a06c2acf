// The active master's durable history (docs/master.md "History"): restores
// what its predecessor wrote to /kdi/master-history at takeover, and writes
// its own moves, balancer decisions and events back, batched — at most one
// write per KDI_MASTER_HISTORY_FLUSH_MS, one at a time, never awaited by a
// move, a balancer run or a route: a change only marks the history dirty.
//
// Takeover: the file is read (bounded: READ_TIMEOUT_MS); a good file is
// restored (merged into the book, the balancer and the event log), a bad
// one is replaced, a missing one created; the first write follows at once
// and is this master's claim (history-store.ts: fencing). A file that
// cannot be read (the lock service does not answer) is read again before
// each later write, and merged in when it can be: until then nothing is
// written, so an unread history is never overwritten.
//
// Promises: the master becomes active whatever the file holds or whether
// it can be read (a warning says what was lost); nothing is written once
// `isWriter()` says this master is no longer the active one, nor after a
// write found a newer master's file (the recorder then stops for good);
// close() writes what is dirty once more (a clean stop loses nothing).

import type { FastifyBaseLogger } from 'fastify';
import { encodeHistory, type History, type HistoryWriter } from './history-file.js';
import type { HistoryRead, HistoryStore } from './history-store.js';

/** The longest a takeover waits to read the history before it goes on without it. */
export const READ_TIMEOUT_MS = 3_000;
/** Writes after a failed one wait at least this long. */
const RETRY_MS = 1_000;
/** Conflicts in a row one flush resolves (read, merge, write again) before it waits for the next. */
const MAX_CONFLICTS = 3;

/** What the history is made of: taken for each write, restored into at takeover. */
export interface HistoryParts {
  snapshot(): Pick<History, 'migrations' | 'decisions' | 'events' | 'diskDecisions'>;
  restore(h: History): void;
}

export interface HistoryRecorderOptions {
  readonly store: HistoryStore;
  readonly parts: HistoryParts;
  readonly writer: HistoryWriter;
  /** KDI_MASTER_HISTORY_FLUSH_MS; 0: the history is neither read nor written. */
  readonly flushMs: number;
  /** KDI_MASTER_HISTORY_MAX_BYTES. */
  readonly maxBytes: number;
  /** Whether this master still holds /kdi/master with the writer's sequencer. */
  readonly isWriter: () => boolean;
  readonly log: FastifyBaseLogger;
}

export class HistoryRecorder {
  #unread = true;
  /** Until takeOver(): changes are not written before the predecessor's history is read. */
  #stopped = true;
  #restoredWrittenAt: string | undefined;
  #dirty = false;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  #trimWarned = false;

  constructor(private readonly o: HistoryRecorderOptions) {}

  /** When the history restored at takeover was written (undefined: none was). */
  get restoredWrittenAt(): string | undefined {
    return this.#restoredWrittenAt;
  }

  /** Reads and restores the predecessor's history (never throws), then writes the claim soon. */
  async takeOver(): Promise<void> {
    if (this.o.flushMs === 0) return;
    this.#stopped = false;
    await this.readAndRestore(AbortSignal.timeout(READ_TIMEOUT_MS)).catch((e: unknown) =>
      this.o.log.warn(
        { err: e },
        `reading the master history (${this.o.store.path}) failed; this master starts with no history of moves, balancer decisions and events, and writes none until it can read it`,
      ),
    );
    // The claim: written at once, whatever restoring scheduled.
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#dirty = true;
    this.schedule(0);
  }

  /** Something in the history changed: write it within flushMs. */
  markDirty(): void {
    this.#dirty = true;
    this.schedule(this.o.flushMs);
  }

  /** Stops writing (the session is lost: a newer master may be writing). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** A clean stop: waits for the write under way and writes what is still dirty, then stops. */
  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#writing;
    if (!this.#stopped && this.#dirty) await this.flush();
    this.stop();
  }

  private schedule(delayMs: number): void {
    if (this.#stopped || this.#timer !== undefined || this.#writing !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, delayMs);
    this.#timer.unref();
  }

  private async flush(): Promise<void> {
    if (this.#stopped || this.#writing !== undefined) return;
    let failed = false;
    const run = async () => {
      try {
        await this.writeOnce();
      } catch (e) {
        failed = true;
        this.#dirty = true;
        this.o.log.warn({ err: e }, `writing the master history (${this.o.store.path}) failed; trying again`);
      }
    };
    this.#writing = run();
    await this.#writing;
    this.#writing = undefined;
    if (this.#dirty) this.schedule(failed ? Math.max(this.o.flushMs, RETRY_MS) : this.o.flushMs);
  }

  private async writeOnce(): Promise<void> {
    if (this.#unread) await this.readAndRestore();
    for (let conflicts = 0; ; conflicts++) {
      if (this.#stopped) return;
      if (!this.o.isWriter()) {
        this.o.log.warn('this master is no longer the active one: it stops writing the master history');
        this.stop();
        return;
      }
      this.#dirty = false;
      const encoded = await encodeHistory({ writer: this.o.writer, writtenAt: new Date().toISOString(), ...this.o.parts.snapshot() }, this.o.maxBytes);
      if (encoded.trimmed > 0 && !this.#trimWarned) {
        this.#trimWarned = true;
        this.o.log.warn(`the master history is larger than KDI_MASTER_HISTORY_MAX_BYTES (${this.o.maxBytes}) compressed: its ${encoded.trimmed} oldest records are not written`);
      }
      if ((await this.o.store.write(encoded.bytes)) === 'written') return;
      this.#dirty = true;
      if (conflicts >= MAX_CONFLICTS) throw new Error(`${this.o.store.path} kept changing under this master's writes (${conflicts + 1} conflicts)`);
      // Someone else wrote: read what is there now and decide.
      await this.readAndRestore();
    }
  }

  /** Reads the file: restores a predecessor's history, notices a successor's (and stops), notices its own. */
  private async readAndRestore(signal?: AbortSignal): Promise<void> {
    const read: HistoryRead = await this.o.store.read(signal);
    this.#unread = false;
    const me = this.o.writer;
    if (read.kind === 'absent') return;
    if (!read.ok) {
      this.o.log.warn(`the master history (${this.o.store.path}) is unreadable: ${read.bad}; this master starts with no history and replaces it`);
      return;
    }
    const { writer } = read.history;
    if (writer.generation > me.generation) {
      this.o.log.warn(
        `the master history was written by a newer master (${writer.url}, sequencer generation ${writer.generation} > ${me.generation}): this master stops writing it`,
      );
      this.stop();
      return;
    }
    if (writer.generation === me.generation && writer.url === me.url) return; // this master's own write (one whose answer was lost)
    if (read.dropped > 0) this.o.log.warn(`the master history had ${read.dropped} record(s) that do not match their schema; they are dropped`);
    this.o.parts.restore(read.history);
    const h = read.history;
    this.#restoredWrittenAt ??= h.writtenAt;
    this.o.log.info(
      `restored the master history of ${writer.url} (written ${h.writtenAt}): ${h.migrations.length} move(s), ${h.decisions.length} balancer decision(s), ${h.events.length} event(s)`,
    );
  }
}
