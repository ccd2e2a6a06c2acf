// Table DDL and the table views (DESIGN §7, §9), over META:
//   create  the table row (schema, state active) as a row transaction that
//           fails when the row exists (ALREADY_EXISTS), then one tablet row
//           per range with no location; the assigner then places them.
//   drop    state deleting (the assigner leaves the table alone), unload
//           each served tablet, erase its tablet rows (each a row
//           transaction against a fresh read) and the table row; the files
//           become garbage the GC driver deletes after the grace period.
//   schema  written to the table row, then pushed to every server serving
//           a tablet of the table (POST /v1/admin/tables/{t}/schema); a
//           server that does not answer (or has no such route yet) is
//           `pending`: it reads the schema from META on its next load.
//   views   list and describe read META (the truth: splits the servers
//           wrote show at once), merged with the heartbeats' sizes and
//           rates and what the assigner knows (unavailable, reasons), and
//           a tablet being moved shows as `migrating` (it still serves).

import { readRoot, sameBound } from '@kdi/client-sdk';
import {
  isKdiError,
  KdiError,
  META_TABLE,
  tableRowKey,
  tabletRowKey,
  type CellEncoding,
  type MasterMigration,
  type MasterTablet,
  type TableDescription,
  type TableSchema,
  type TableSummary,
  type TabletConfig,
} from '@kdi/protocol';
import type { Assigner } from '../assignment/assigner.js';
import { tabletKey } from '../assignment/assigner.js';
import { allUtf8, encodeWireBytes } from '@kdi/protocol';
import { liveColumns, parseTableRow, readCatalog, type CatalogTable, type TableRow } from '../meta/catalog.js';
import type { MasterContext } from '../node/master-context.js';
import { checkUserTable, decodeSplits, tabletConfigsFor } from './create-table-plan.js';
import { eraseCells, schemaCells, stateCell } from './table-row-cells.js';

const ABORTED_RETRIES = 5;

export interface CreateTableRequest {
  readonly name: string;
  readonly schema?: TableSchema | undefined;
  readonly splits?: readonly string[] | undefined;
  readonly encoding: CellEncoding;
}

export class TableService {
  constructor(
    private readonly ctx: MasterContext,
    private readonly assigner: Assigner,
    /** The running move of a tablet, if any (MigrationService.movingNow). */
    private readonly movingNow: (table: string, upper: Uint8Array | undefined) => MasterMigration | undefined = () => undefined,
  ) {}

  async readTableRow(name: string): Promise<{ row: TableRow | undefined; txn: number }> {
    const key = tableRowKey(name);
    const { cells, txn } = await this.ctx.metaRows.scan({ lower: { value: key, inclusive: true }, upper: { value: key, inclusive: true } });
    return { row: parseTableRow(name, cells), txn };
  }

  async create(req: CreateTableRequest): Promise<TableDescription> {
    checkUserTable(req.name, 'create');
    const splits = decodeSplits(req.splits ?? [], req.encoding);
    const { row, txn } = await this.readTableRow(req.name);
    const exists = () =>
      new KdiError('ALREADY_EXISTS', `table ${req.name} already exists${row?.state === 'deleting' ? ' (it is being dropped; try again shortly)' : ''}`, {
        details: { table: req.name },
      });
    if (row !== undefined) throw exists();
    const cells = [...schemaCells(req.name, req.schema, []), stateCell(req.name, 'active')];
    try {
      await this.ctx.metaRows.apply(cells, txn);
    } catch (e) {
      // Somebody wrote the row after our read: it exists now.
      if (isKdiError(e) && e.code === 'ABORTED') throw exists();
      throw e;
    }
    const configs = tabletConfigsFor(req.name, splits);
    // Chunks keep each row transaction (and request) bounded.
    for (let i = 0; i < configs.length; i += 100) {
      await this.ctx.meta.writeTablets(configs.slice(i, i + 100).map((config) => ({ config, expect: undefined })));
    }
    this.ctx.events.add({ kind: 'table-created', message: `table ${req.name} created with ${configs.length} tablet(s)`, table: req.name });
    await this.assigner.kick();
    return this.describe(req.name, req.encoding);
  }

  async drop(name: string): Promise<{ name: string; unloadedTablets: number; filesDeletedAfter: string }> {
    checkUserTable(name, 'drop');
    const { row, txn } = await this.readTableRow(name);
    if (row === undefined) throw notFound(name);
    if (row.state !== 'deleting') await this.ctx.metaRows.apply([stateCell(name, 'deleting')], txn);
    let unloaded = 0;
    for (const t of await this.ctx.meta.listTablets(name)) {
      if (t.location !== undefined && this.ctx.registry.isLive(t.location.serverId)) {
        const id = await this.tabletIdOf(t);
        if (id !== undefined) {
          const a = await this.ctx.admin.unloadTablet(t.location.url, id);
          if (a.status === 204) unloaded++;
          else this.ctx.log.warn({ table: name, tabletId: id, status: a.status, message: a.message }, 'unloading a tablet of a dropped table failed');
        }
      }
      await this.eraseRow(tabletRowKey(name, t.upperInclusive));
    }
    await this.eraseRow(tableRowKey(name));
    const after = new Date(Date.now() + this.ctx.config.gcGraceMs).toISOString();
    this.ctx.events.add({ kind: 'table-dropped', message: `table ${name} dropped: ${unloaded} tablet(s) unloaded; its files are deleted after ${after}`, table: name });
    return { name, unloadedTablets: unloaded, filesDeletedAfter: after };
  }

  async setSchema(name: string, schema: TableSchema): Promise<{ name: string; schema: TableSchema; pushedTo: string[]; pending: string[] }> {
    checkUserTable(name, 'change the schema of');
    for (let attempt = 0; ; attempt++) {
      const { row, txn } = await this.readTableRow(name);
      if (row === undefined) throw notFound(name);
      if (row.state === 'deleting') throw new KdiError('FAILED_PRECONDITION', `table ${name} is being dropped`, { details: { table: name } });
      try {
        await this.ctx.metaRows.apply(schemaCells(name, schema, row.columns), txn);
        break;
      } catch (e) {
        if (!(isKdiError(e) && e.code === 'ABORTED') || attempt >= ABORTED_RETRIES) throw e;
      }
    }
    const servers = new Map<string, string>();
    for (const t of await this.ctx.meta.listTablets(name)) {
      if (t.location !== undefined && this.ctx.registry.isLive(t.location.serverId)) servers.set(t.location.serverId, t.location.url);
    }
    const pushedTo: string[] = [];
    const pending: string[] = [];
    await Promise.all(
      [...servers].map(async ([serverId, url]) => {
        const a = await this.ctx.admin.reloadSchema(url, name);
        (a.status === 200 ? pushedTo : pending).push(serverId);
        if (a.status !== 200) this.ctx.log.info({ table: name, serverId, status: a.status, message: a.message }, 'schema push pending');
      }),
    );
    this.ctx.events.add({ kind: 'schema-set', message: `schema of ${name} set; pushed to ${pushedTo.length}, pending on ${pending.length} server(s)`, table: name });
    return { name, schema, pushedTo: pushedTo.sort(), pending: pending.sort() };
  }

  async list(): Promise<TableSummary[]> {
    const catalog = await readCatalog(this.ctx.metaRows);
    return [...catalog.tables.values()]
      .filter((t) => t.row !== undefined)
      .map((t) => ({
        name: t.name,
        state: t.row!.state,
        tablets: t.tablets.length,
        diskBytes: t.tablets.reduce((n, c) => n + (this.statusOf(c)?.diskBytes ?? 0), 0),
      }));
  }

  async describe(name: string, requested: CellEncoding): Promise<TableDescription> {
    if (name === META_TABLE) return this.describeMeta(requested);
    const { row } = await this.readTableRow(name);
    if (row === undefined) throw notFound(name);
    const tablets = await this.ctx.meta.listTablets(name);
    const encoding = replyEncoding(requested, tablets);
    return { name, state: row.state, ...(row.schema && { schema: row.schema }), encoding, tablets: tablets.map((t) => this.view(t, encoding)) };
  }

  /** A table's tablets (TableTabletsReply). */
  async tablets(name: string, requested: CellEncoding): Promise<{ table: string; encoding: CellEncoding; tablets: MasterTablet[] }> {
    const d = await this.describe(name, requested);
    return { table: d.name, encoding: d.encoding, tablets: d.tablets };
  }

  private async describeMeta(encoding: CellEncoding): Promise<TableDescription> {
    const root = await readRoot(this.ctx.lock);
    const config: TabletConfig = {
      table: META_TABLE,
      lowerExclusive: undefined,
      upperInclusive: undefined,
      location: root?.config.location,
      logs: root?.config.logs ?? [],
      fragments: root?.config.fragments ?? {},
      state: root?.config.location === undefined ? undefined : 'serving',
    };
    return { name: META_TABLE, state: 'active', encoding, tablets: [this.view(config, encoding)] };
  }

  /** Counts for GET /v1/master. */
  async counts(): Promise<{ tables: number; tablets: number; unavailable: number }> {
    const catalog = await readCatalog(this.ctx.metaRows);
    let tablets = 0;
    let unavailable = 0;
    for (const t of catalog.tables.values()) {
      tablets += t.tablets.length;
      for (const c of t.tablets) if (this.assigner.notes.get(tabletKey(c.table, c.upperInclusive))?.state === 'unavailable') unavailable++;
    }
    return { tables: [...catalog.tables.values()].filter((t: CatalogTable) => t.row !== undefined).length, tablets, unavailable };
  }

  private statusOf(t: TabletConfig) {
    return t.location === undefined ? undefined : this.ctx.registry.tabletStatus(t.location.serverId, t.table, t.upperInclusive);
  }

  /** The id the serving server uses: its heartbeat, our own load, or its admin status. */
  async tabletIdOf(t: TabletConfig): Promise<string | undefined> {
    const loc = t.location;
    if (loc === undefined) return undefined;
    const fromHeartbeat = this.statusOf(t)?.tabletId;
    if (fromHeartbeat !== undefined) return fromHeartbeat;
    const ours = this.assigner.idOf(t.table, t.upperInclusive, loc.epoch);
    if (ours !== undefined) return ours;
    const a = await this.ctx.admin.status(loc.url);
    if (a.status !== 200) return undefined;
    const views = (a.body as { tablets?: Array<{ tabletId: string; table: string; upperInclusive?: string }> }).tablets ?? [];
    return views.find((v) => v.table === t.table && sameBound(v.upperInclusive === undefined ? undefined : Buffer.from(v.upperInclusive, 'base64'), t.upperInclusive))?.tabletId;
  }

  private view(t: TabletConfig, encoding: CellEncoding): MasterTablet {
    const key = tabletKey(t.table, t.upperInclusive);
    const note = this.assigner.notes.get(key);
    const status = this.statusOf(t);
    const loc = t.location;
    let state: MasterTablet['state'];
    let reason: string | undefined;
    if (note !== undefined) {
      state = note.state;
      reason = note.reason;
    } else if (loc === undefined) {
      state = 'unassigned';
      reason = 'waiting for a live tablet server';
    } else if (!this.ctx.registry.isLive(loc.serverId)) {
      state = 'unassigned';
      reason = `its server ${loc.serverId} is dead; it is reassigned once the lock-delay has passed`;
    } else {
      // A move shows as migrating: META says so (the source marks it), or this master runs one.
      const moving = this.movingNow(t.table, t.upperInclusive);
      if (t.state === 'loading' || t.state === 'unloading') state = t.state;
      else state = t.state === 'migrating' || moving !== undefined ? 'migrating' : 'serving';
      if (moving !== undefined)
        reason = `being moved to ${moving.target.serverId} (${moving.migrationId}, ${moving.progress?.step ?? 'requested'}); it serves on ${loc.serverId} until the move commits`;
    }
    const tabletId = status?.tabletId ?? (loc && this.assigner.idOf(t.table, t.upperInclusive, loc.epoch)) ?? (t.table === META_TABLE && loc ? 'meta' : undefined);
    return {
      ...(tabletId !== undefined && { tabletId }),
      table: t.table,
      ...(t.lowerExclusive !== undefined && { lowerExclusive: encodeWireBytes(t.lowerExclusive, encoding) }),
      ...(t.upperInclusive !== undefined && { upperInclusive: encodeWireBytes(t.upperInclusive, encoding) }),
      state,
      ...(reason !== undefined && { reason }),
      ...(loc !== undefined && { location: { serverId: loc.serverId, url: loc.url, epoch: loc.epoch } }),
      ...(status !== undefined && { diskBytes: status.diskBytes, readsPerSec: status.readsPerSec, writesPerSec: status.writesPerSec }),
    };
  }

  /** Erases every column of a META row, as a row transaction against a fresh read (retried when it changed). */
  private async eraseRow(row: Buffer): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const { cells, txn } = await this.ctx.metaRows.scan({ lower: { value: row, inclusive: true }, upper: { value: row, inclusive: true } });
      const columns = [...liveColumns(cells).keys()];
      if (columns.length === 0) return;
      try {
        await this.ctx.metaRows.apply(eraseCells(row, columns), txn);
        return;
      } catch (e) {
        if (!(isKdiError(e) && e.code === 'ABORTED') || attempt >= ABORTED_RETRIES) throw e;
      }
    }
  }
}

function notFound(name: string): KdiError {
  return new KdiError('NOT_FOUND', `table ${name} does not exist; GET /v1/tables lists the tables`, { details: { table: name } });
}

function replyEncoding(requested: CellEncoding, tablets: readonly TabletConfig[]): CellEncoding {
  return requested === 'utf8' && !allUtf8(tablets.flatMap((t) => [t.lowerExclusive, t.upperInclusive])) ? 'base64' : requested;
}
