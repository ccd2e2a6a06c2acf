// Reading and writing tablet configs in the META table (DESIGN §7), with
// the fencing §7 requires: a config change is a row transaction over one
// META row, and the writer first checks that `location:` still names the
// expected server with the expected epoch.
//
// writeTablet(config, expect, readTxn):
//   1. reads the row again (inside writeTablet, not a cache of the caller's
//      read) and checks that its `location:` names expect.serverId with
//      expect.epoch (or, for a create — expect undefined — that the row has
//      no location); otherwise FAILED_PRECONDITION. The previous config's
//      fragment groups also come from this read, so dropped groups are erased.
//   2. applies tabletConfigCells(config, previousGroups) with
//      commitMaxTxn = readTxn (the txn of the caller's own read). A change
//      to the row after readTxn — including one between step 1 and step 2 —
//      makes the apply fail ABORTED (409): that is the fence.
// Checking the fresh read (rather than the caller's) means a stale epoch is
// reported as FAILED_PRECONDITION even when the master's rewrite came after
// the caller's read; a change the check cannot see still aborts in step 2.

//
// The rows themselves travel through a MetaRows transport: a tablet
// server's local rows when it serves META itself, HttpMetaRows
// (http-meta-rows.ts) otherwise; meta-router.ts picks one per call. The
// master and the tablet servers share this code.

import {
  decodeSchemaColumns,
  isKdiError,
  KdiError,
  type Interval,
  type TableSchema,
  META_TABLE,
  parseMetaRow,
  parseTabletConfig,
  tableRowKey,
  tabletConfigCells,
  tabletRowKey,
  tabletRowsOf,
  type MetaCell,
  type TabletConfig,
} from '@kdi/protocol';

export interface ExpectedAssignment {
  readonly serverId: string;
  readonly epoch: number;
  /** Also require this `state:` (a migration's commit requires 'migrating': its source can fence it by writing another). */
  readonly state?: TabletConfig['state'];
}

/** One row of a multi-row config write: the config, and the assignment its row must name (undefined: a new row). */
export interface TabletWrite {
  readonly config: TabletConfig;
  readonly expect: ExpectedAssignment | undefined;
  /**
   * Erase the row instead (a merge removes the lower tablet's row): every
   * live column of the row of config's table and upperInclusive is erased,
   * after the same location check; the rest of config is not written.
   */
  readonly erase?: boolean | undefined;
}

/** How META's rows are read and written: on this server or over HTTP. */
export interface MetaRows {
  /**
   * Every cell of the META rows in `rows` (newest version of a column
   * first), and the txn the read saw. With `maxCells`, one page of at most
   * that many cells from the start (a prefix of the rows).
   */
  scan(rows: Interval<Uint8Array>, maxCells?: number): Promise<{ cells: MetaCell[]; txn: number }>;
  /** Applies `cells` as one row transaction (ABORTED when a touched row changed after commitMaxTxn); waits for sync. */
  apply(cells: readonly MetaCell[], commitMaxTxn: number): Promise<number>;
}

export interface MetaTable {
  /** The tablet's config (undefined when its row holds none) and the txn the read saw. */
  readTablet(table: string, upperInclusive: Uint8Array | undefined): Promise<{ config: TabletConfig | undefined; txn: number }>;
  /**
   * Writes `config` as a row transaction against the caller's read at
   * `readTxn`. `expect`: the assignment `location:` must still name;
   * undefined creates — the row must not have a location yet. Resolves
   * with the commit txn; FAILED_PRECONDITION when the location differs,
   * ABORTED when the row changed after readTxn.
   */
  writeTablet(config: TabletConfig, expect: ExpectedAssignment | undefined, readTxn: number): Promise<number>;
  /**
   * Writes `config` against an earlier readTablet of its row, without
   * reading it again: the location is checked on that read's config, and
   * the write is conditioned on its txn (ABORTED when the row changed
   * since; FAILED_PRECONDITION when the read's location differs). One
   * round trip where writeTablet takes two.
   */
  writeTabletAfterRead(config: TabletConfig, expect: ExpectedAssignment | undefined, read: { readonly config: TabletConfig | undefined; readonly txn: number }): Promise<number>;
  /**
   * Writes several rows in ONE row transaction (a split writes two, a
   * merge erases one and widens the other),
   * reading them itself: every row's location is checked as in
   * writeTablet; a concurrent change (ABORTED) makes it read and check
   * again, a few times, so only a real location change fails it. A new
   * row (expect undefined) that already holds this very assignment and
   * lower bound is our own earlier attempt whose answer was lost: written
   * again, not refused.
   */
  writeTablets(writes: readonly TabletWrite[]): Promise<number>;
  /** The table's tablet configs in row order (the last tablet, "<table>!", last). */
  listTablets(table: string): Promise<TabletConfig[]>;
  /** The config of the tablet of `table` holding `row` (the first tablet row at or after "<table> <row>"). */
  findTablet(table: string, row: Uint8Array): Promise<TabletConfig | undefined>;
  /**
   * The table's schema from its row "<table>" (undefined when the row holds
   * no schema: every family accepted). A malformed schema is
   * FAILED_PRECONDITION naming the META columns to fix.
   */
  readTableSchema(table: string): Promise<TableSchema | undefined>;
}

const ABORTED_RETRIES = 5;
const FIND_CELLS = 256;

/** A MetaTable over some MetaRows transport. */
export class MetaTableClient implements MetaTable {
  constructor(private readonly rows: MetaRows) {}

  async readTablet(table: string, upperInclusive: Uint8Array | undefined): Promise<{ config: TabletConfig | undefined; txn: number }> {
    const row = tabletRowKey(table, upperInclusive);
    const { cells, txn } = await this.rows.scan(single(row));
    const config = cells.some((c) => c.value !== null) ? parseTabletConfig(row, cells) : undefined;
    return { config, txn };
  }

  async writeTablet(config: TabletConfig, expect: ExpectedAssignment | undefined, readTxn: number): Promise<number> {
    const { cells } = await this.checkedCells([{ config, expect }]);
    return this.rows.apply(cells, readTxn);
  }

  async writeTabletAfterRead(
    config: TabletConfig,
    expect: ExpectedAssignment | undefined,
    read: { readonly config: TabletConfig | undefined; readonly txn: number },
  ): Promise<number> {
    checkLocation(config, read.config, expect);
    return this.rows.apply(tabletConfigCells(config, read.config === undefined ? [] : Object.keys(read.config.fragments)), read.txn);
  }

  async writeTablets(writes: readonly TabletWrite[]): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      // The commit is checked against the earliest of the reads the location
      // checks used: any change after it (including between a check and the
      // apply) aborts.
      const { cells, txn } = await this.checkedCells(writes);
      try {
        return await this.rows.apply(cells, txn);
      } catch (e) {
        if (!(isKdiError(e) && e.code === 'ABORTED') || attempt >= ABORTED_RETRIES) throw e;
      }
    }
  }

  /** Reads every row again, checks its location; the cells to apply and the earliest read's txn. */
  private async checkedCells(writes: readonly TabletWrite[]): Promise<{ cells: MetaCell[]; txn: number }> {
    const cells: MetaCell[] = [];
    let txn = Number.MAX_SAFE_INTEGER;
    for (const { config, expect, erase } of writes) {
      const row = tabletRowKey(config.table, config.upperInclusive);
      const read = await this.rows.scan(single(row));
      txn = Math.min(txn, read.txn);
      const current = read.cells.some((c) => c.value !== null) ? parseTabletConfig(row, read.cells) : undefined;
      checkLocation(config, current, expect);
      if (erase === true) {
        for (const c of read.cells) if (c.value !== null) cells.push({ row, column: c.column, timestamp: c.timestamp, value: null });
        continue;
      }
      const previousGroups = current === undefined ? [] : Object.keys(current.fragments);
      cells.push(...tabletConfigCells(config, previousGroups));
    }
    return { cells, txn };
  }

  async listTablets(table: string): Promise<TabletConfig[]> {
    const { first, last } = tabletRowsOf(table);
    const { cells } = await this.rows.scan({ lower: { value: first, inclusive: true }, upper: { value: last, inclusive: true } });
    const out: TabletConfig[] = [];
    let i = 0;
    while (i < cells.length) {
      const row = cells[i]!.row;
      let j = i;
      while (j < cells.length && Buffer.compare(cells[j]!.row, row) === 0) j++;
      const rowCells = cells.slice(i, j);
      const parsed = parseMetaRow(row);
      if (parsed?.kind === 'tablet' && parsed.table === table && rowCells.some((c) => c.value !== null)) out.push(parseTabletConfig(row, rowCells));
      i = j;
    }
    return out;
  }

  async findTablet(table: string, row: Uint8Array): Promise<TabletConfig | undefined> {
    const { last } = tabletRowsOf(table);
    // A tablet row has a handful of columns; the first row's are all in the page.
    const { cells } = await this.rows.scan({ lower: { value: tabletRowKey(table, row), inclusive: true }, upper: { value: last, inclusive: true } }, FIND_CELLS);
    const first = cells.find((c) => c.value !== null);
    if (first === undefined) return undefined;
    return parseTabletConfig(
      first.row,
      cells.filter((c) => Buffer.compare(c.row, first.row) === 0),
    );
  }

  async readTableSchema(table: string): Promise<TableSchema | undefined> {
    const { cells } = await this.rows.scan(single(tableRowKey(table)));
    const columns = new Map<string, string>();
    for (const c of cells) {
      const column = Buffer.from(c.column).toString('utf8');
      if (columns.has(column) || !column.startsWith('schema:')) continue;
      columns.set(column, c.value === null ? '' : Buffer.from(c.value).toString('utf8'));
    }
    for (const [column, value] of columns) if (value === '') columns.delete(column); // erased
    if (columns.size === 0) return undefined;
    const decoded = decodeSchemaColumns([...columns].map(([column, value]) => ({ column, value })));
    if (decoded.ok) return decoded.schema;
    throw new KdiError('FAILED_PRECONDITION', `the schema of table ${table} in ${META_TABLE} is invalid: ${decoded.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, {
      details: { table, problems: decoded.problems },
    });
  }
}

function checkLocation(config: TabletConfig, current: TabletConfig | undefined, expect: ExpectedAssignment | undefined): void {
  const where = `tablet ${describeTablet(config)}`;
  const loc = current?.location;
  if (expect === undefined) {
    // A retry of our own create (the first attempt committed, its answer was lost) finds the row as it wrote it.
    const ownRetry =
      loc !== undefined &&
      config.location !== undefined &&
      loc.serverId === config.location.serverId &&
      loc.epoch === config.location.epoch &&
      sameBound(current?.lowerExclusive, config.lowerExclusive);
    if (loc !== undefined && !ownRetry) {
      throw new KdiError('FAILED_PRECONDITION', `${where} is assigned to ${loc.serverId}/epoch ${loc.epoch}; a create expects no location`, {
        details: { table: config.table, serverId: loc.serverId, epoch: loc.epoch },
      });
    }
  } else if (loc === undefined || loc.serverId !== expect.serverId || loc.epoch !== expect.epoch) {
    const now = loc === undefined ? 'no server' : `${loc.serverId}/epoch ${loc.epoch}`;
    throw new KdiError('FAILED_PRECONDITION', `${where} is assigned to ${now}, not ${expect.serverId}/epoch ${expect.epoch}`, {
      details: {
        table: config.table,
        expectedServerId: expect.serverId,
        expectedEpoch: expect.epoch,
        ...(loc !== undefined && { serverId: loc.serverId, epoch: loc.epoch }),
      },
    });
  } else if (expect.state !== undefined && current?.state !== expect.state) {
    throw new KdiError('FAILED_PRECONDITION', `${where} is ${current?.state ?? 'without a state'}, not ${expect.state}`, {
      details: { table: config.table, expectedState: expect.state, ...(current?.state !== undefined && { state: current.state }) },
    });
  }
}

function single(row: Uint8Array): Interval<Uint8Array> {
  return { lower: { value: row, inclusive: true }, upper: { value: row, inclusive: true } };
}

export function describeTablet(config: Pick<TabletConfig, 'table' | 'upperInclusive'>): string {
  const upper = config.upperInclusive === undefined ? '(last)' : JSON.stringify(Buffer.from(config.upperInclusive).toString('latin1'));
  return `${config.table} ${upper}`;
}

/** Equal bounds (undefined: unbounded). */
export function sameBound(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a === undefined || b === undefined ? a === b : Buffer.compare(a, b) === 0;
}
