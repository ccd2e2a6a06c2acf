// A buffered writer (DESIGN §12; HBase's BufferedMutator, Bigtable's
// batcher): cells are gathered in memory and applied in batches — when the
// buffer reaches maxBytes, every flushIntervalMs, and on flush()/close().
// Each batch goes through Table.apply, so it is split per server (atomic
// per server) and follows WRONG_TABLET and moved tablets. At most
// maxInFlight batches are in flight; add() waits while the buffer is full
// and no batch slot is free (flow control), so a fast producer cannot grow
// memory without bound.
//
// Errors: the first failed batch is kept; every later add(), flush() and
// close() rejects with it (cells added after a failure are not sent).
// Cells are acknowledged only by a flush() or close() that resolves.

import { cellBytes, KdiError, type Cell } from '@kdi/protocol';
import { CallScope } from './call-scope.js';
import { nowMicros, orderCells, toCell, type Bytes, type CellInput } from './cell-input.js';
import type { ApplyResult } from './table.js';

export interface WriterOptions {
  /** Flush when the buffer holds this many bytes (default 1 MiB). */
  readonly maxBytes?: number | undefined;
  /** Flush a non-empty buffer this long after its first cell (default 100 ms). */
  readonly flushIntervalMs?: number | undefined;
  /** Batches in flight at most (default 4). */
  readonly maxInFlight?: number | undefined;
  /** Batches are durable before they count as written (default true). */
  readonly waitForSync?: boolean | undefined;
  /** Deadline of each batch, retries included (default: the client's timeout). */
  readonly timeoutMs?: number | undefined;
}

interface WriterHost {
  readonly name: string;
  applyBatch(batch: readonly Cell[], opts: { waitForSync?: boolean | undefined }, scope: CallScope): Promise<ApplyResult>;
}

export class TableWriter {
  #buffer: Cell[] = [];
  #bytes = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  /** Senders waiting for a batch slot; every settled batch wakes them all (each checks again). */
  #slotWaiters: Array<() => void> = [];
  #error: unknown;
  #closed = false;
  readonly #maxBytes: number;
  readonly #intervalMs: number;
  readonly #maxInFlight: number;
  /** Cells acknowledged so far. */
  written = 0;

  constructor(
    private readonly table: WriterHost,
    private readonly o: WriterOptions,
    private readonly defaultTimeoutMs = 30_000,
  ) {
    this.#maxBytes = o.maxBytes ?? 1 << 20;
    this.#intervalMs = o.flushIntervalMs ?? 100;
    this.#maxInFlight = o.maxInFlight ?? 4;
    for (const [k, v] of [
      ['maxBytes', this.#maxBytes],
      ['flushIntervalMs', this.#intervalMs],
      ['maxInFlight', this.#maxInFlight],
    ] as const) {
      if (!(Number.isFinite(v) && v >= 1)) throw new RangeError(`writer option ${k} must be at least 1, got ${v}`);
    }
  }

  /** Buffers cells; waits while the buffer is full and maxInFlight batches are out. */
  async add(cells: CellInput | readonly CellInput[]): Promise<void> {
    this.#check();
    const list = Array.isArray(cells) ? (cells as readonly CellInput[]) : [cells as CellInput];
    const now = nowMicros();
    for (let i = 0; i < list.length; i++) {
      const c = toCell(list[i]!, i, now);
      this.#buffer.push(c);
      this.#bytes += cellBytes(c);
      if (this.#bytes >= this.#maxBytes) await this.#send();
    }
    if (this.#buffer.length > 0 && this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.#send().catch(() => undefined);
      }, this.#intervalMs);
    }
  }

  set(row: Bytes, column: Bytes, value: Bytes, timestamp?: number): Promise<void> {
    return this.add({ row, column, value, timestamp });
  }

  erase(row: Bytes, column: Bytes, timestamp: number): Promise<void> {
    return this.add({ row, column, timestamp, erase: true });
  }

  /** Sends the buffer and waits for every batch in flight; rejects with the first failure. */
  async flush(): Promise<void> {
    this.#check();
    await this.#send();
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    this.#check();
  }

  /** Flushes, then refuses further cells. */
  async close(): Promise<void> {
    if (this.#closed) {
      this.#check();
      return;
    }
    try {
      await this.flush();
    } finally {
      this.#closed = true;
      clearTimeout(this.#timer);
    }
  }

  /** Sends the buffer as one batch, once a batch slot is free. */
  async #send(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // Not Promise.race(this.#inFlight): that adds a reaction to every batch in flight on each wait.
    while (this.#inFlight.size >= this.#maxInFlight) await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
    this.#check();
    if (this.#buffer.length === 0) return;
    const batch = this.#buffer;
    this.#buffer = [];
    this.#bytes = 0;
    const scope = new CallScope(`writer batch to ${this.table.name}`, { timeoutMs: this.o.timeoutMs }, this.defaultTimeoutMs);
    const p: Promise<void> = this.table
      .applyBatch(orderCells(batch), { waitForSync: this.o.waitForSync }, scope)
      .then(
        () => {
          this.written += batch.length;
        },
        (e: unknown) => {
          this.#error ??= e;
        },
      )
      .finally(() => {
        scope.dispose();
        this.#inFlight.delete(p);
        const waiters = this.#slotWaiters;
        if (waiters.length > 0) {
          this.#slotWaiters = [];
          for (const wake of waiters) wake();
        }
      });
    this.#inFlight.add(p);
  }

  #check(): void {
    if (this.#error !== undefined) throw this.#error;
    if (this.#closed) throw new KdiError('FAILED_PRECONDITION', 'the writer is closed; open another with table.writer()');
  }
}
