// A table handle (DESIGN §4, §12): the data calls of one table, routed to
// the tablet servers META names, with no master on the path.
//
// Promises:
//  - apply() splits a batch by server: the cells of each server are applied
//    there atomically, as one txn; a batch spanning servers is NOT atomic
//    as a whole (each server's part commits or fails on its own). The cells
//    of a part refused with WRONG_TABLET, RESOURCE_EXHAUSTED or a refused
//    connection are re-routed (locations read again from META) and sent
//    again with backoff and jitter until the call's deadline; a part whose
//    outcome is unknown (reset connection) is sent again only when the
//    batch has no commitMaxTxn (re-applying the same keys is harmless then);
//  - scan() returns every matching cell exactly once, in key order, across
//    tablet boundaries, splits, moves and server restarts: it follows the
//    server's resume tokens (a stateless continuation any server now
//    serving the range accepts) and nextRow; scanPage() gives the same
//    pages one call at a time, the cursor carried in an opaque token;
//  - every call takes an AbortSignal and a deadline (timeoutMs; for scans,
//    per page) and ends with CANCELLED or DEADLINE_EXCEEDED when they fire;
//    every failure is a KdiError with code, retryable and requestId.

import { cellBytes, compareCellKeys, isKdiError, KdiError, type Cell, type Predicate } from '@kdi/protocol';
import { applyGroupKey, applyGroupRunner } from './apply-group.js';
import type { BackoffPolicy } from './backoff.js';
import { retryUntilDeadline, isRoutingRetry, notSent } from './backoff.js';
import { CallCoalescer, eachAlone, type ItemFailure } from './call-coalescer.js';
import { CallScope, inScope, type CallOptions, type Cancellation } from './call-scope.js';
import { bytesKey, normalizeBatch, toBytes, type Bytes, type CellInput } from './cell-input.js';
import { rangeContains, type TabletRange } from './location-cache.js';
import type { Locator } from './locator.js';
import { preparePredicate, type PredicateInput } from './predicate-input.js';
import { decodePageToken, encodePageToken } from './page-token.js';
import { ScanCursor } from './scan-cursor.js';
import { forgetAfter, wrongTabletRow } from './routing.js';
import type { ServerPools } from './server-pools.js';
import { applyAt, decodeScanPage, fetchScanPage, statAt, syncAt, type ApplyOptions, type RawScanPage, type ScanPage, type StatResult } from './table-wire.js';
import { TableWriter, type WriterOptions } from './table-writer.js';
import { readModifyWrite, type ReadModifyWriteOptions, type RowMutator, type RowRead } from './read-modify-write.js';

export interface TableContext {
  readonly pools: ServerPools;
  readonly locator: Locator;
  readonly timeoutMs: number;
  readonly backoff: BackoffPolicy;
  /** Concurrent applies to one server, and concurrent gets, ride in one request (call-coalescer.ts); default true. */
  readonly coalesce?: boolean | undefined;
}

/** Bounds on one coalesced request: well under the server's request limit (64 MiB) and page caps. */
const APPLY_GROUP_LIMITS = { maxItems: 1_000, maxWeight: 4 * 1024 * 1024 };
// A get group's rows become one predicate: 64 KiB of row bytes prints to at most
// 256 KiB of text (\xHH escapes), under the server's 1 MiB predicate and 10,000-interval caps.
const GET_GROUP_LIMITS = { maxItems: 256, maxWeight: 64 * 1024 };

/** The longest delay a Node timer takes (a longer one fires at once): a deadline that never binds. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

export interface ApplyResult {
  /** The batch's txn when it went to one server; with several, the highest (txns of different servers are not comparable). */
  readonly commitTxn: number;
  /** Each server's part: where it went and its txn there. */
  readonly parts: ReadonlyArray<{ readonly serverId: string; readonly url: string; readonly commitTxn: number; readonly cells: number }>;
}

export interface ScanOptions extends CallOptions {
  /** Cells per page asked of the server (it clamps to its cap). */
  readonly pageCells?: number | undefined;
  /** Bytes per page, roughly. */
  readonly pageBytes?: number | undefined;
}

export interface GetOptions extends CallOptions {
  /** Only these columns (default: every column). */
  readonly columns?: readonly Bytes[] | undefined;
  /** Versions per column (default 1: the newest). */
  readonly history?: number | undefined;
}

export interface TablePageOptions extends CallOptions {
  /** The resume of the previous page (absent: the first page). */
  readonly resume?: string | undefined;
  /** Cells in the page at most (the server clamps to its cap). */
  readonly maxCells?: number | undefined;
  /** Bytes in the page, roughly (the server clamps to its cap). */
  readonly maxBytes?: number | undefined;
}

export interface TablePage {
  readonly cells: Cell[];
  /** The scanTxn of the server that answered (txns of different servers are not comparable). */
  readonly scanTxn: number;
  readonly end: boolean;
  /** The token of the next page (absent when end). */
  readonly resume: string | undefined;
  /** The server that answered. */
  readonly url: string;
}

interface Part {
  readonly range: TabletRange;
  cells: readonly Cell[];
}

export class Table {
  /** Per server url, the highest txn applied without waitForSync and not yet synced. */
  readonly #unsynced = new Map<string, number>();

  /** Which failures a routed call retries (not WRONG_TABLET in single-server mode: nobody else to ask). */
  readonly #retry: (e: unknown) => boolean;

  /** Concurrent unconditional applies, per tablet, server and sync mode (apply-group.ts). */
  readonly #applies = new CallCoalescer<readonly Cell[], number>(APPLY_GROUP_LIMITS);

  /** Concurrent gets with the same columns and history: one multi-row read. */
  readonly #gets = new CallCoalescer<Uint8Array, Cell[]>(GET_GROUP_LIMITS);

  constructor(
    readonly name: string,
    private readonly ctx: TableContext,
  ) {
    this.#retry = (e) => isRoutingRetry(e) && !ctx.locator.isFinal(e);
  }

  /** Applies a batch (see the file header: atomic per server, not across servers). */
  async apply(cells: readonly CellInput[], opts: ApplyOptions & CallOptions = {}): Promise<ApplyResult> {
    const batch = normalizeBatch(cells);
    return inScope(`apply to ${this.name}`, opts, this.ctx.timeoutMs, (scope) => this.applyBatch(batch, opts, scope));
  }

  /** Sets one cell. */
  set(row: Bytes, column: Bytes, value: Bytes, opts: ApplyOptions & CallOptions & { timestamp?: number } = {}): Promise<ApplyResult> {
    return this.apply([{ row, column, value, timestamp: opts.timestamp }], opts);
  }

  /** Erases exactly (row, column, timestamp). */
  erase(row: Bytes, column: Bytes, timestamp: number, opts: ApplyOptions & CallOptions = {}): Promise<ApplyResult> {
    return this.apply([{ row, column, timestamp, erase: true }], opts);
  }

  /** Makes every apply made through this handle with waitForSync: false durable. */
  sync(opts: CallOptions = {}): Promise<void> {
    return inScope(`sync of ${this.name}`, opts, this.ctx.timeoutMs, async (scope) => {
      const pending = [...this.#unsynced];
      await Promise.all(
        pending.map(([url, txn]) =>
          retryUntilDeadline(scope, this.ctx.backoff, () => syncAt(this.ctx.pools, url, this.name, txn, scope.signal)).then(() => {
            if (this.#unsynced.get(url) === txn) this.#unsynced.delete(url);
          }),
        ),
      );
    });
  }

  /** Every matching cell, in key order, exactly once (see the file header). */
  async *scan(predicate?: PredicateInput, opts: ScanOptions = {}): AsyncGenerator<Cell, void, undefined> {
    for await (const page of this.scanPages(predicate, opts)) yield* page.cells;
  }

  /**
   * The scan page by page (each with its server's scanTxn). The next page
   * is asked for as soon as a page arrives, before its cells are decoded
   * and handed out: the server builds page n+1 while this process decodes
   * and the caller uses page n (one page ahead at most; cancelled when the
   * caller stops early). That request goes to the server of the page's
   * nextRow, else of the row the page was asked with — the same server,
   * since a page that ends without nextRow ends inside a tablet served
   * there; a tablet that moved meanwhile is WRONG_TABLET and re-routed.
   */
  async *scanPages(predicate?: PredicateInput, opts: ScanOptions = {}): AsyncGenerator<ScanPage & { readonly url: string }, void, undefined> {
    const p = preparePredicate(predicate);
    const cursor = new ScanCursor(p.firstRow);
    // The pages listen to `stop`, which the caller's signal aborts while the
    // scan runs — not AbortSignal.any, which (Node 20) leaves every scan's
    // joined signal in a long-lived caller signal's dependants for good.
    const stop = new AbortController();
    const caller = opts.signal;
    const onCallerAbort = () => stop.abort(caller?.reason);
    if (caller?.aborted) onCallerAbort();
    else caller?.addEventListener('abort', onCallerAbort, { once: true });
    const pageOpts: ScanOptions = { ...opts, signal: stop.signal };
    let next: Promise<RawScanPage & { readonly url: string }> | undefined = this.fetchPage(p.text, cursor, pageOpts);
    try {
      while (next !== undefined) {
        const raw = await next;
        next = undefined;
        cursor.advance({ end: raw.end, resume: raw.resume, nextRow: raw.nextRow, cells: [] });
        if (!cursor.done) {
          next = this.fetchPage(p.text, cursor, pageOpts);
          // It may fail while the caller still holds this page: handled here
          // (no unhandled rejection), the error still reaches the `await` above.
          next.catch(() => undefined);
        }
        yield { ...decodeScanPage(raw), url: raw.url };
      }
    } finally {
      caller?.removeEventListener('abort', onCallerAbort);
      if (next !== undefined) stop.abort(new KdiError('CANCELLED', 'the scan was stopped by its caller'));
    }
  }

  /**
   * One page of the scan, for callers that keep no state between pages
   * (the master's gateway): `resume` is the previous page's token
   * (page-token.ts; absent for the first page) and must come with the same
   * predicate. Pages continue across tablet boundaries, splits and moves
   * with no cell twice and none skipped, like scan(). A page holds the
   * cells of one server's reply: it may be short, even empty, with
   * end: false — pass its resume back.
   */
  async scanPage(predicate: PredicateInput | undefined, opts: TablePageOptions = {}): Promise<TablePage> {
    const p = preparePredicate(predicate);
    let cursor: ScanCursor;
    if (opts.resume === undefined) cursor = new ScanCursor(p.firstRow);
    else {
      const t = decodePageToken(opts.resume, p.text);
      cursor = ScanCursor.resumeAt(t.locateRow, t.serverResume);
    }
    const raw = await this.fetchPage(p.text, cursor, { ...opts, pageCells: opts.maxCells, pageBytes: opts.maxBytes });
    const page = { ...decodeScanPage(raw), url: raw.url };
    cursor.advance(page);
    const resume = cursor.done ? undefined : encodePageToken(p.text, { serverResume: cursor.resume!, locateRow: cursor.locateRow });
    return { cells: page.cells, scanTxn: page.scanTxn, end: cursor.done, resume, url: page.url };
  }

  /** The next page at `cursor` (not advanced), cells not decoded: located, asked, re-routed and retried until the call's deadline. */
  private fetchPage(predicate: string, cursor: ScanCursor, opts: ScanOptions): Promise<RawScanPage & { readonly url: string }> {
    return inScope(`scan of ${this.name}`, opts, this.ctx.timeoutMs, (scope) =>
      retryUntilDeadline(
        scope,
        this.ctx.backoff,
        async () => {
          const row = cursor.locateRow;
          const range = await this.ctx.locator.locate(this.name, row, scope.signal);
          const url = range.location.url;
          try {
            const req = { predicate, resume: cursor.resume, maxCells: opts.pageCells, maxBytes: opts.pageBytes };
            return { ...(await fetchScanPage(this.ctx.pools, url, this.name, req, scope.signal)), url };
          } catch (e) {
            forgetAfter(this.ctx.locator, e, this.name, row, url);
            cursor.relocate(wrongTabletRow(e));
            throw e;
          }
        },
        this.#retry,
      ),
    );
  }

  /**
   * The newest cells of one row (optionally only some columns); [] when the
   * row has none. Concurrent gets with the same columns and history are read
   * together, one request per server (each still gets only its row's cells).
   */
  async get(row: Bytes, opts: GetOptions = {}): Promise<Cell[]> {
    const r = toBytes(row);
    if (this.ctx.coalesce === false) return (await this.readRow(r, opts)).cells;
    const shape = { columns: opts.columns, history: opts.history };
    return inScope(`get from ${this.name}`, opts, this.ctx.timeoutMs, (scope) =>
      this.#gets.call(getShapeKey(shape), r, r.byteLength + 16, scope, (rows, signal) => this.readGetGroup(rows, shape, signal)),
    );
  }

  /** Approximate cells and bytes matching `predicate`, summed over the servers of the table's tablets. */
  async stat(predicate?: PredicateInput, opts: CallOptions = {}): Promise<StatResult> {
    const p = preparePredicate(predicate);
    return inScope(`stat of ${this.name}`, opts, this.ctx.timeoutMs, (scope) =>
      retryUntilDeadline(
        scope,
        this.ctx.backoff,
        async () => {
          const tablets: TabletRange[] = await this.ctx.locator.tabletsOf(this.name, scope.signal);
          if (tablets.length === 0) throw new KdiError('NOT_FOUND', `table ${this.name} has no tablets in META: does the table exist?`, { details: { table: this.name } });
          const urls = [...new Set(tablets.map((t) => t.location.url))];
          const parts = await Promise.all(
            urls.map(async (url) => {
              try {
                return await statAt(this.ctx.pools, url, this.name, p.text, scope.signal);
              } catch (e) {
                if (isKdiError(e) && e.code === 'UNAVAILABLE') this.ctx.locator.forgetServer(url);
                throw e;
              }
            }),
          );
          return {
            cells: parts.reduce((n, s) => n + s.cells, 0),
            bytes: parts.reduce((n, s) => n + s.bytes, 0),
            tablets: parts.flatMap((s) => s.tablets),
          };
        },
        this.#retry,
      ),
    );
  }

  /** A buffered writer (flushes by size and time, splits per server, bounded in flight). */
  writer(opts: WriterOptions = {}): TableWriter {
    return new TableWriter(this, opts, this.ctx.timeoutMs);
  }

  /**
   * Read-modify-write of one row (like Cloud Bigtable's ReadModifyWriteRow /
   * CheckAndMutateRow): reads the row, asks `mutate` for the cells to write
   * (all in that row; none to write nothing), and applies them with
   * commitMaxTxn = the read's scanTxn at the server that read it, so a
   * change to the row in between aborts the write; then reads and tries
   * again, with backoff and jitter, until it commits or the deadline.
   */
  async readModifyWrite<T = void>(row: Bytes, mutate: RowMutator<T>, opts: ReadModifyWriteOptions = {}): Promise<T> {
    return readModifyWrite(this, this.ctx, toBytes(row), mutate, opts);
  }

  // ---- internals used by the writer and read-modify-write ------------------

  /** One row read at one server, with the scanTxn to use as commitMaxTxn there. */
  async readRow(row: Uint8Array, opts: GetOptions): Promise<RowRead> {
    const text = rowsPredicate([row], opts);
    let url = '';
    const cells: Cell[] = [];
    let scanTxn = Number.MAX_SAFE_INTEGER;
    for await (const page of this.scanPages(text, opts)) {
      cells.push(...page.cells);
      scanTxn = Math.min(scanTxn, page.scanTxn);
      url = page.url;
    }
    return { cells, scanTxn, url };
  }

  /**
   * A group of gets: readRows, or — when that read is refused with
   * WRONG_TABLET (a row of the group not served where it was asked; final
   * in single-server mode) — each row alone, so only the gets of the rows
   * not served fail (with it) and the others get their cells.
   */
  private async readGetGroup(rows: readonly Uint8Array[], shape: Pick<GetOptions, 'columns' | 'history'>, signal: AbortSignal): Promise<Array<Cell[] | ItemFailure>> {
    try {
      return await this.readRows(rows, shape, signal);
    } catch (e) {
      if (signal.aborted || rows.length === 1 || !isKdiError(e) || e.code !== 'WRONG_TABLET') throw e;
      return eachAlone(rows, async (r) => (await this.readRows([r], shape, signal))[0]!);
    }
  }

  /**
   * The cells of each of `rows` (a row named twice gets its own copy), read
   * with one routed scan of exactly those rows. Only `signal` ends it: the
   * group's gets each keep their own deadline (their scopes), and the
   * group's signal fires when every one has ended — a deadline of the
   * client's default here would cut short a get given a longer one.
   */
  private async readRows(rows: readonly Uint8Array[], shape: Pick<GetOptions, 'columns' | 'history'>, signal: AbortSignal): Promise<Cell[][]> {
    const keys = rows.map(bytesKey);
    const byRow = new Map<string, Cell[]>(keys.map((k) => [k, []]));
    const wanted = [...byRow.keys()].sort().map((k) => Buffer.from(k, 'latin1'));
    for await (const page of this.scanPages(rowsPredicate(wanted, shape), { signal, timeoutMs: LONGEST_TIMER_MS })) {
      for (const c of page.cells) byRow.get(bytesKey(c.row))?.push(c);
    }
    const given = new Set<string>();
    return keys.map((k) => {
      const cells = byRow.get(k)!;
      if (given.has(k)) return cells.slice();
      given.add(k);
      return cells;
    });
  }

  /** Applies one server's part: unconditional applies join the open group of their tablet (the part's first) there (apply-group.ts). */
  private applyPart(url: string, range: TabletRange, cells: readonly Cell[], opts: ApplyOptions, scope: Cancellation): Promise<number> {
    if (this.ctx.coalesce === false || opts.commitMaxTxn !== undefined) return applyAt(this.ctx.pools, url, this.name, cells, opts, scope.signal);
    const sync = opts.waitForSync !== false;
    let weight = 0;
    for (const c of cells) weight += cellBytes(c);
    return this.#applies.call(
      applyGroupKey(sync, url, range.lowerExclusive),
      cells,
      weight,
      scope,
      applyGroupRunner(this.ctx.pools, url, this.name, sync ? {} : { waitForSync: false }),
    );
  }

  /** Applies a normalized batch under `scope` (the writer's flushes come here too). */
  async applyBatch(batch: readonly Cell[], opts: ApplyOptions, scope: CallScope): Promise<ApplyResult> {
    const done: Array<{ serverId: string; url: string; commitTxn: number; cells: number }> = [];
    let pending: readonly Cell[] = batch;
    try {
      await retryUntilDeadline(
        scope,
        this.ctx.backoff,
        async () => {
          const parts = await this.partition(pending, scope.signal);
          const failed: Cell[] = [];
          let retryError: unknown;
          let fatal: unknown;
          await Promise.all(
            parts.map(async (part) => {
              const url = part.range.location.url;
              try {
                const commitTxn = await this.applyPart(url, part.range, part.cells, opts, scope);
                done.push({ serverId: part.range.location.serverId, url, commitTxn, cells: part.cells.length });
                if (opts.waitForSync === false) this.#unsynced.set(url, Math.max(commitTxn, this.#unsynced.get(url) ?? 0));
              } catch (e) {
                forgetAfter(this.ctx.locator, e, this.name, part.cells[0]!.row, url);
                if (scope.aborted) fatal ??= scope.reason;
                else if (this.#retry(e) && mayResend(e as KdiError, opts)) {
                  retryError ??= e;
                  failed.push(...part.cells);
                } else fatal ??= e;
              }
            }),
          );
          if (fatal !== undefined) throw new Fatal(fatal);
          if (failed.length > 0) {
            pending = failed.sort(compareCellKeys);
            throw retryError;
          }
        },
        (e) => !(e instanceof Fatal) && this.#retry(e),
      );
    } catch (e) {
      throw partial(e instanceof Fatal ? e.error : e, done);
    }
    return { commitTxn: done.reduce((m, d) => Math.max(m, d.commitTxn), 0), parts: done };
  }

  /** Cells (in key order) grouped by the server of their tablet; one part per server. */
  private async partition(cells: readonly Cell[], signal: AbortSignal): Promise<Part[]> {
    const byUrl = new Map<string, Part>();
    let i = 0;
    while (i < cells.length) {
      const range = await this.ctx.locator.locate(this.name, cells[i]!.row, signal);
      // The cells are in key order and a range is an interval: when it holds the last cell, it holds the rest.
      let j = i + 1;
      if (rangeContains(range, cells[cells.length - 1]!.row)) j = cells.length;
      else while (j < cells.length && rangeContains(range, cells[j]!.row)) j++;
      const url = range.location.url;
      const part = byUrl.get(url);
      const run = i === 0 && j === cells.length ? cells : cells.slice(i, j);
      if (part === undefined) byUrl.set(url, { range, cells: run });
      else part.cells = part.cells.concat(run);
      i = j;
    }
    return [...byUrl.values()];
  }
}

/** A part may be sent again unless it carries commitMaxTxn and may already have committed. */
function mayResend(e: KdiError, opts: ApplyOptions): boolean {
  return opts.commitMaxTxn === undefined || e.code !== 'UNAVAILABLE' || notSent(e);
}

/** Ends the retry loop with `error` (a part that must not be retried). */
class Fatal {
  constructor(readonly error: unknown) {}
}

/** The error, saying which parts of the batch did commit. */
function partial(e: unknown, done: ReadonlyArray<{ url: string; cells: number }>): unknown {
  if (!isKdiError(e) || done.length === 0) return e;
  const committed = done.reduce((n, d) => n + d.cells, 0);
  return new KdiError(e.code, `${e.message} (${committed} cells of the batch were committed at ${done.map((d) => d.url).join(', ')}: a batch is atomic per server only)`, {
    details: { ...e.details, committedCells: committed },
    ...(e.retryAfterMs !== undefined && { retryAfterMs: e.retryAfterMs }),
    ...(e.requestId !== undefined && { requestId: e.requestId }),
    cause: e,
  });
}

/** Exactly `rows` (sorted, distinct), optionally only some columns, `history` versions per column (default 1). */
function rowsPredicate(rows: readonly Uint8Array[], opts: Pick<GetOptions, 'columns' | 'history'>): Predicate {
  const exact = (v: Uint8Array) => ({ lower: { value: v, inclusive: true }, upper: { value: v, inclusive: true } });
  return {
    rows: rows.map(exact),
    ...(opts.columns !== undefined && opts.columns.length > 0 && { columns: opts.columns.map((c) => exact(toBytes(c))) }),
    history: opts.history ?? 1,
  };
}

/** Gets that may share one read: the same columns and history. */
function getShapeKey(shape: Pick<GetOptions, 'columns' | 'history'>): string {
  const columns = shape.columns === undefined || shape.columns.length === 0 ? [] : shape.columns.map((c) => bytesKey(toBytes(c)));
  return JSON.stringify([shape.history ?? 1, columns]);
}
