// The gateway (DESIGN §9, issue 9): the Table API's data calls on the
// master — POST /v1/tables/{table}/apply|sync|scan|stat — with the tablet
// server's request and reply schemas (protocol table-api), routed to the
// owning tablet servers through the SDK (deps.kdi), so one base URL serves
// curl and clients generated from the master's /openapi.json. JSON bodies
// only: the binary cell blocks are for the SDK, which goes to the tablet
// servers directly.
//
// Promises:
//  - apply: the SDK's apply: the batch is split per server, each server's
//    part atomic there as one txn; a batch spanning servers is NOT atomic
//    as a whole (an error names the cells already committed in
//    details.committedCells); commitTxn is the highest txn of the parts
//    (txns of different servers are not comparable), and commitMaxTxn
//    bounds every part — meaningful when the batch stays on one server
//    (a read-modify-write of one row with the scanTxn of its scan);
//  - scan: one page per call (Table.scanPage): `resume` is the gateway's
//    own token (the tablet server's resume token plus the row to locate
//    next, bound to the predicate), accepted by any master — pages go on
//    across tablets, servers, splits and moves with no cell twice or
//    missed; a page holds one server's reply (it may be short, even empty,
//    with end false); nextRow is never set (the gateway follows it);
//    scanTxn is the answering server's;
//  - stat: the sum over every server serving the table (NOT_FOUND for a
//    table with no tablets);
//  - sync: txns are per server, so atLeastTxn cannot name one point of the
//    table: the call makes durable every apply this master acknowledged
//    with waitForSync: false (on each server that took a part), then
//    answers syncTxn = atLeastTxn. Applies acknowledged by another master
//    process are not covered: use waitForSync: true (the default) when a
//    failover must not lose them;
//  - errors: the SDK's KdiErrors (the tablet servers' codes; routing
//    failures retried until the call's deadline) with the catalogue's
//    statuses, in the same ErrorBody.
// The gateway answers on a standby master too: data calls need META, not
// the active master.

import {
  ApplyJsonBodySchema,
  ApplyReplySchema,
  DEFAULT_LIMITS,
  decodeJsonCells,
  encodeJsonCells,
  ERROR_RESPONSES,
  needsBase64,
  NO_QUERY,
  PREDICATE_ROUTE_CONFIG,
  readWirePredicate,
  ScanBodySchema,
  ScanReplySchema,
  StatBodySchema,
  StatReplySchema,
  SyncBodySchema,
  SyncReplySchema,
  TableParamsSchema,
  type CellEncoding,
  type Predicate,
} from '@kdi/protocol';
import { cellSize, type Cell } from '@kdi/primitives';
import type { KdiClient, Table } from '@kdi/client-sdk';
import type { MasterApp } from '../http/master-app.js';

export interface GatewayDeps {
  /** The SDK client data calls go through (built lazily: META may not be assigned when the master starts). */
  readonly kdi: () => KdiClient;
}

const TAGS = ['gateway'];
/** A gateway page without maxCells / maxBytes holds up to this much (the tablet servers clamp each hop to their own caps). */
export const GATEWAY_PAGE_CELLS = 1000;
export const GATEWAY_PAGE_BYTES = 4 * 1024 * 1024;
/** Server pages one gateway page may gather (a page ends early at this many tablet hops). */
const MAX_HOPS = 32;
const ROUTED = 'Routed by the master to the tablet servers that serve the rows (through the SDK), with the tablet server’s request and reply shapes. ';

export function registerGatewayRoutes(app: MasterApp, { kdi }: GatewayDeps): void {
  app.post(
    '/v1/tables/:table/apply',
    {
      schema: {
        operationId: 'apply',
        tags: TAGS,
        summary: 'Apply a batch of cells (atomic per tablet server)',
        description:
          ROUTED +
          'The batch is split by server: each server’s part is applied there atomically, as one txn; a batch spanning servers is not atomic as a whole ' +
          '(an error says how many cells were committed, details.committedCells). commitTxn is the highest txn of the parts. With commitMaxTxn, every part ' +
          'is ABORTED (409) if a touched row changed after it — use it for batches on one server (one row). JSON bodies only.',
        params: TableParamsSchema,
        querystring: NO_QUERY,
        body: ApplyJsonBodySchema,
        response: { 200: ApplyReplySchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const b = request.body;
      const cells = decodeJsonCells(b.cells, b.encoding, DEFAULT_LIMITS);
      const r = await kdi().table(request.params.table).apply(cells, { commitMaxTxn: b.commitMaxTxn, waitForSync: b.waitForSync });
      return { commitTxn: r.commitTxn };
    },
  );

  app.post(
    '/v1/tables/:table/sync',
    {
      schema: {
        operationId: 'sync',
        tags: TAGS,
        summary: 'Make the applies this master acknowledged without waiting durable',
        description:
          ROUTED +
          'Txns are per tablet server, so atLeastTxn cannot name one point of a table: the call makes every apply this master acknowledged with ' +
          'waitForSync: false durable on each server that took a part, then answers syncTxn = atLeastTxn. Applies acknowledged by another master are not covered.',
        params: TableParamsSchema,
        querystring: NO_QUERY,
        body: SyncBodySchema,
        response: { 200: SyncReplySchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      await kdi().table(request.params.table).sync();
      return { syncTxn: request.body.atLeastTxn };
    },
  );

  app.post(
    '/v1/tables/:table/scan',
    {
      config: PREDICATE_ROUTE_CONFIG,
      schema: {
        operationId: 'scan',
        tags: TAGS,
        summary: 'Read one page of a scan over the whole table',
        description:
          ROUTED +
          `A page holds up to maxCells cells (default ${GATEWAY_PAGE_CELLS}) and about maxBytes bytes (default 4 MiB), gathered across tablets and servers; ` +
          `it may be short (a page stops after ${MAX_HOPS} tablet hops), even empty, with end=false. ` +
          'end=false: pass `resume` back with the same predicate for the next page, to this or any master; pages continue across tablets, servers, ' +
          'splits and moves with no cell twice or missed. A resume token that is not one, or belongs to another predicate, is INVALID_ARGUMENT (400). ' +
          'nextRow is never set; scanTxn is that of the last server the page read from. JSON only.',
        params: TableParamsSchema,
        querystring: NO_QUERY,
        body: ScanBodySchema,
        response: { 200: ScanReplySchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const b = request.body;
      const { predicate } = readWirePredicate(b.predicate, b.encoding, 'body.predicate');
      const page = await fillPage(kdi().table(request.params.table), predicate, b);
      const encoding: CellEncoding = b.encoding === 'utf8' && needsBase64(page.cells) ? 'base64' : b.encoding;
      return {
        cells: encodeJsonCells(page.cells, encoding),
        encoding,
        scanTxn: page.scanTxn,
        end: page.end,
        ...(page.resume !== undefined && { resume: page.resume }),
      };
    },
  );

  app.post(
    '/v1/tables/:table/stat',
    {
      config: PREDICATE_ROUTE_CONFIG,
      schema: {
        operationId: 'stat',
        tags: TAGS,
        summary: 'Estimate the cells and bytes of a predicate over the whole table',
        description:
          ROUTED +
          'The sum over every tablet server serving the table, with each tablet the predicate meets listed (approximate: from block indexes and memory, ' +
          'overwritten and erased versions count). NOT_FOUND when the table has no tablets.',
        params: TableParamsSchema,
        querystring: NO_QUERY,
        body: StatBodySchema,
        response: { 200: StatReplySchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { predicate } = readWirePredicate(request.body.predicate, request.body.encoding, 'body.predicate');
      const s = await kdi().table(request.params.table).stat(predicate);
      return { cells: s.cells, bytes: s.bytes, tablets: s.tablets.map((t) => ({ tabletId: t.tabletId, cells: t.cells, bytes: t.bytes })) };
    },
  );
}

/**
 * One gateway page: server pages read one after another (each resuming
 * from the previous one's token) until the page holds maxCells cells or
 * about maxBytes bytes, the scan ends, or MAX_HOPS server pages were read
 * — so a small table answers in one page even when it spans tablets.
 */
async function fillPage(
  table: Table,
  predicate: Predicate,
  b: { readonly resume?: string | undefined; readonly maxCells?: number | undefined; readonly maxBytes?: number | undefined },
): Promise<{ cells: Cell[]; scanTxn: number; end: boolean; resume?: string | undefined }> {
  const maxCells = b.maxCells ?? GATEWAY_PAGE_CELLS;
  const maxBytes = b.maxBytes ?? GATEWAY_PAGE_BYTES;
  const cells: Cell[] = [];
  let bytes = 0;
  let resume = b.resume;
  for (let hop = 1; ; hop++) {
    const page = await table.scanPage(predicate, { resume, maxCells: maxCells - cells.length, maxBytes: Math.max(1, maxBytes - bytes) });
    for (const c of page.cells) {
      cells.push(c);
      bytes += cellSize(c);
    }
    resume = page.resume;
    if (page.end || cells.length >= maxCells || bytes >= maxBytes || hop >= MAX_HOPS) return { cells, scanTxn: page.scanTxn, end: page.end, resume };
  }
}
