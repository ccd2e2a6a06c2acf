// Where a table's rows are served (DESIGN §7, §12). META's own location
// comes from any bootstrap server (GET /v1/meta/location, open without the
// cluster secret: each server reads it from /kdi/root); every other
// table's tablet locations come from META through the Table API — a scan
// of META rows "<table> <lastRow>" / "<table>!", columns first: and
// location: — and are kept in a bounded LocationCache. The data path never
// asks a master.
//
// A lookup reads META from the wanted row on and caches the following
// tablets too (prefetch), so a scan or a batch over many tablets costs one
// META read per PREFETCH tablets. Callers drop stale entries (forget) when
// a server answers WRONG_TABLET or cannot be reached, and look up again.

import { isKdiError, KdiError, META_TABLE, parseMetaRow, printPredicate, TabletLocationSchema, tabletRowKey, tabletRowsOf, type Cell, type TabletLocation } from '@kdi/protocol';
import { LocationCache, type TabletRange } from './location-cache.js';
import type { ServerPools } from './server-pools.js';
import { metaLocationAt, scanAt } from './table-wire.js';

/** Tablets read from META per lookup (each tablet row is read as its first: and location: cells). */
const PREFETCH_TABLETS = 32;
const FIRST = Buffer.from('first:');
const LOCATION = Buffer.from('location:');

export class Locator {
  #meta: TabletLocation | undefined;
  #next = 0;

  constructor(
    private readonly pools: ServerPools,
    private readonly bootstrap: readonly string[],
    readonly cache: LocationCache,
    /** Single-server mode: a server outside a cluster (no META) serves every table asked of it. */
    private readonly single?: string | undefined,
  ) {}

  /** The tablet of `table` holding `row`, from the cache or META. */
  async locate(table: string, row: Uint8Array, signal: AbortSignal): Promise<TabletRange> {
    if (this.single !== undefined) return { table, lowerExclusive: undefined, upperInclusive: undefined, location: { serverId: this.single, url: this.single, epoch: 1 } };
    if (table === META_TABLE) return { table, lowerExclusive: undefined, upperInclusive: undefined, location: await this.metaLocation(signal) };
    const cached = this.cache.find(table, row);
    if (cached !== undefined) return cached;
    const ranges = await this.readMeta(table, tabletRowKey(table, row), PREFETCH_TABLETS * 2, signal);
    for (const r of ranges) if (r.location !== undefined) this.cache.insert(r as TabletRange);
    const first = ranges[0];
    if (first === undefined || first.table !== table) {
      throw new KdiError('NOT_FOUND', `table ${table} has no tablet for this row in ${META_TABLE}: does the table exist?`, { details: { table } });
    }
    if (first.location === undefined) {
      throw new KdiError('UNAVAILABLE', `a tablet of ${table} is not assigned to any server yet (the master assigns it)`, { retryAfterMs: 200, details: { table } });
    }
    return first as TabletRange;
  }

  /** Every tablet of `table` in row order (read from META, bypassing the cache, which it refreshes). */
  async tabletsOf(table: string, signal: AbortSignal): Promise<TabletRange[]> {
    if (this.single !== undefined) return [await this.locate(table, new Uint8Array(0), signal)];
    if (table === META_TABLE) return [await this.locate(table, new Uint8Array(0), signal)];
    const out: TabletRange[] = [];
    let from: Uint8Array = tabletRowsOf(table).first;
    for (;;) {
      const ranges = await this.readMeta(table, from, 1000, signal);
      for (const r of ranges) {
        if (r.location === undefined) throw new KdiError('UNAVAILABLE', `a tablet of ${table} is not assigned to any server yet`, { retryAfterMs: 200 });
        this.cache.insert(r as TabletRange);
        out.push(r as TabletRange);
      }
      const last = ranges[ranges.length - 1];
      if (last === undefined || last.upperInclusive === undefined) return out;
      from = Buffer.concat([tabletRowKey(table, last.upperInclusive), Buffer.from([0])]);
    }
  }

  /**
   * Whether a routing failure cannot be cured by looking again: in
   * single-server mode there is no other server to ask, so WRONG_TABLET
   * is the answer.
   */
  isFinal(e: { readonly code: string }): boolean {
    return this.single !== undefined && e.code === 'WRONG_TABLET';
  }

  forget(table: string, row: Uint8Array): void {
    if (table === META_TABLE) this.#meta = undefined;
    else this.cache.forget(table, row);
  }

  /** The server at `url` could not be reached: forget everything it was said to serve. */
  forgetServer(url: string): void {
    this.cache.forgetServer(url);
    if (this.#meta?.url === url) this.#meta = undefined;
  }

  /** META's location from the first bootstrap server that answers (tried in turn). */
  async metaLocation(signal: AbortSignal): Promise<TabletLocation> {
    if (this.single !== undefined) return { serverId: this.single, url: this.single, epoch: 1 };
    if (this.#meta !== undefined) return this.#meta;
    let last: unknown;
    for (let i = 0; i < this.bootstrap.length; i++) {
      const url = this.bootstrap[(this.#next + i) % this.bootstrap.length]!;
      try {
        const loc = await metaLocationAt(this.pools, url, signal);
        if (loc === undefined) {
          last = new KdiError('UNAVAILABLE', `${META_TABLE} is not assigned to any server yet (${url} reads /kdi/root)`, { retryAfterMs: 200 });
          continue;
        }
        this.#next = (this.#next + i) % this.bootstrap.length;
        this.#meta = loc;
        return loc;
      } catch (e) {
        if (signal.aborted) throw signal.reason;
        if (isKdiError(e) && !e.retryable) throw e;
        last = e;
      }
    }
    this.#next = (this.#next + 1) % this.bootstrap.length;
    const why = isKdiError(last) ? `${last.code}: ${last.message}` : String(last);
    throw new KdiError('UNAVAILABLE', `no bootstrap server told where ${META_TABLE} is (${this.bootstrap.join(', ')}); last: ${why}`, { cause: last, retryAfterMs: 200 });
  }

  /** Tablet rows of `table` in META from `fromKey` on; a row without location: has location undefined. */
  private async readMeta(
    table: string,
    fromKey: Uint8Array,
    maxCells: number,
    signal: AbortSignal,
  ): Promise<Array<Omit<TabletRange, 'location'> & { location: TabletLocation | undefined }>> {
    const meta = await this.metaLocation(signal);
    const predicate = printPredicate({
      rows: [{ lower: { value: fromKey, inclusive: true }, upper: { value: tabletRowsOf(table).last, inclusive: true } }],
      columns: [
        { lower: { value: FIRST, inclusive: true }, upper: { value: FIRST, inclusive: true } },
        { lower: { value: LOCATION, inclusive: true }, upper: { value: LOCATION, inclusive: true } },
      ],
      history: 1,
    });
    let page;
    try {
      page = await scanAt(this.pools, meta.url, META_TABLE, { predicate, maxCells }, signal);
    } catch (e) {
      // META moved or its server is gone: ask a bootstrap server again next time.
      if (isKdiError(e) && (e.code === 'WRONG_TABLET' || e.code === 'UNAVAILABLE')) this.#meta = undefined;
      throw e;
    }
    return parseTabletRows(table, page.cells, page.end);
  }
}

/** Groups META cells into tablet ranges; drops a trailing row that may be cut off by the page limit. */
export function parseTabletRows(table: string, cells: readonly Cell[], complete: boolean): Array<Omit<TabletRange, 'location'> & { location: TabletLocation | undefined }> {
  const out: Array<Omit<TabletRange, 'location'> & { location: TabletLocation | undefined }> = [];
  let i = 0;
  while (i < cells.length) {
    const row = cells[i]!.row;
    let first: Uint8Array | undefined;
    let location: TabletLocation | undefined;
    let j = i;
    for (; j < cells.length && Buffer.compare(cells[j]!.row, row) === 0; j++) {
      const c = cells[j]!;
      if (c.value === null) continue;
      if (Buffer.compare(c.column, FIRST) === 0) first = c.value;
      else if (Buffer.compare(c.column, LOCATION) === 0) location = parseLocation(c.value, table);
    }
    const lastRowOfPage = j === cells.length;
    i = j;
    if (lastRowOfPage && !complete && out.length > 0) break; // may be missing a column
    const parsed = parseMetaRow(row);
    if (parsed?.kind !== 'tablet' || parsed.table !== table) continue;
    out.push({ table, lowerExclusive: first !== undefined && first.length > 0 ? first : undefined, upperInclusive: parsed.upperInclusive, location });
  }
  return out;
}

function parseLocation(value: Uint8Array, table: string): TabletLocation {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(value).toString('utf8'));
  } catch {
    json = undefined;
  }
  const parsed = TabletLocationSchema.safeParse(json);
  if (!parsed.success) throw new KdiError('DATA_CORRUPTION', `${META_TABLE} holds a malformed location: for a tablet of ${table}; expected {serverId, url, epoch}`);
  return parsed.data;
}
