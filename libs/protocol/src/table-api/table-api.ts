// The tablet server's wire shapes (DESIGN §4) as zod schemas: one source
// for validation (strict: unknown fields are rejected with their name) and
// for the OpenAPI document. Byte strings (cells, bounds, predicate
// literals) are UTF-8 text, or base64 when the request says
// "encoding": "base64"; a response that cannot be written as text (bytes
// that are not UTF-8) switches itself to base64 and says so in `encoding`.
//
// Shared by the tablet server (validation, OpenAPI) and the SDK's table
// client (reply validation), so both speak one contract.

import { z } from 'zod';
import { CellEncodingSchema, JsonCellsSchema } from '../cells/index.js';
import { TableSchemaSchema } from '../schema/index.js';
import { QueryBoolSchema, QueryIntSchema, QueryPositiveIntSchema, TableNameSchema, TabletIdSchema } from './route-schemas.js';
import { PredicateFieldSchema } from './predicate-schema.js';
import { DiskStatusSchema } from '../master-api/disk-status.js';

const txn = z.int().nonnegative();
const encodingIn = CellEncodingSchema.default('utf8');

/**
 * A request cell: value for a set, erase: true for an erasure (exactly one
 * of them). One object rather than a union, so a bad cell gets a precise
 * message (decodeJsonCells checks the combination and names the cell).
 */
export const JsonCellInputSchema = z
  .strictObject({
    row: z.string(),
    column: z.string().describe('"family:qualifier"'),
    timestamp: z.int().describe('Microseconds since the epoch by convention; a safe integer'),
    value: z.string().optional().describe('The value (absent for an erasure)'),
    erase: z.literal(true).optional().describe('true: erase exactly (row, column, timestamp)'),
  })
  .describe('A cell to set (with value) or erase (with erase: true)');

// ---- apply ----------------------------------------------------------------

export const ApplyJsonBodySchema = z
  .strictObject({
    cells: z.array(JsonCellInputSchema).describe('The batch; applied atomically, as one txn'),
    encoding: encodingIn,
    commitMaxTxn: txn.optional().describe('Row transaction: ABORTED (nothing applied) if any touched row changed after this txn'),
    waitForSync: z.boolean().default(true).describe('Reply only once the batch is durable (fdatasync); default true'),
  })
  .describe('A batch of cells as JSON');

export const ApplyQuerySchema = z
  .strictObject({
    commitMaxTxn: QueryIntSchema.optional().describe('Binary bodies only: the row-transaction bound'),
    waitForSync: QueryBoolSchema.optional().describe('Binary bodies only: true (default) or false'),
  })
  .describe('With a binary body the options travel in the query string');

export const ApplyReplySchema = z.strictObject({ commitTxn: txn.describe("The batch's txn") });

// ---- sync -----------------------------------------------------------------

export const SyncBodySchema = z.strictObject({ atLeastTxn: txn.describe('Wait until every txn up to this one is durable') });
export const SyncReplySchema = z.strictObject({ syncTxn: txn.describe('Every txn up to this one is durable') });

// ---- scan -----------------------------------------------------------------

const pageCells = z.int().min(1).describe('Most cells in the page (clamped to the server cap)');
const pageBytes = z.int().min(1).describe('Most bytes in the page, roughly (clamped to the server cap)');
const resumeToken = z
  .string()
  .max(64 * 1024)
  .describe('The resume token of the previous page; the predicate must be the same');

export const ScanBodySchema = z
  .strictObject({
    predicate: PredicateFieldSchema.optional(),
    maxCells: pageCells.optional(),
    maxBytes: pageBytes.optional(),
    resume: resumeToken.optional(),
    encoding: encodingIn,
  })
  .describe('One page of a scan');

export const ScanReplySchema = z
  .strictObject({
    cells: JsonCellsSchema,
    encoding: CellEncodingSchema.describe('How row, column, value and nextRow are written in this reply'),
    scanTxn: txn.describe('Every apply with a txn up to this one is visible in the page; use it as commitMaxTxn'),
    end: z.boolean().describe('true: the scan is complete'),
    resume: z.string().optional().describe('Pass it back for the next page (absent when end)'),
    nextRow: z
      .string()
      .optional()
      .describe('Present when the scan continues in a tablet not served here: ask the master which server serves this row and send it the resume token'),
  })
  .describe('One page of a scan');

// ---- stat -----------------------------------------------------------------

export const StatBodySchema = z.strictObject({ predicate: PredicateFieldSchema.optional(), encoding: encodingIn });

export const StatReplySchema = z.strictObject({
  cells: z.int().nonnegative().describe('Approximate cells (overwritten and erased versions included)'),
  bytes: z.int().nonnegative().describe('Approximate uncompressed bytes'),
  tablets: z.array(z.strictObject({ tabletId: z.string(), cells: z.int().nonnegative(), bytes: z.int().nonnegative() })),
});

// ---- tablets and tables ---------------------------------------------------

export const TabletStateSchema = z.enum(['loading', 'serving', 'unloading']);

export const TabletViewSchema = z
  .strictObject({
    tabletId: z.string(),
    table: z.string(),
    lowerExclusive: z.string().optional().describe('Rows above this (absent: from the first row)'),
    upperInclusive: z.string().optional().describe('Rows up to and including this (absent: to the last row)'),
    state: TabletStateSchema,
    fragments: z.int().nonnegative(),
    diskBytes: z.int().nonnegative().describe('Fragment file bytes (shared with the sibling after a split until compaction)'),
    diskCells: z.int().nonnegative(),
  })
  .describe('A tablet on this server');

export const TableInfoQuerySchema = z.strictObject({ encoding: encodingIn });

export const TableInfoReplySchema = z.strictObject({
  table: z.string(),
  serverId: z.string(),
  encoding: CellEncodingSchema.describe('How the tablet bounds are written'),
  schema: TableSchemaSchema.optional().describe('The schema the tablets were loaded with (absent: every family accepted)'),
  memoryBytes: z.int().nonnegative().describe("Bytes of the table's memory fragments"),
  tablets: z.array(TabletViewSchema),
});

// ---- server-side scanners -------------------------------------------------

export const OpenScannerBodySchema = z.strictObject({
  table: TableNameSchema,
  predicate: PredicateFieldSchema.optional(),
  resume: resumeToken.optional().describe('Start where a previous page (scan or scanner) stopped'),
  encoding: encodingIn,
});

export const OpenScannerReplySchema = z.strictObject({
  scannerId: z.string(),
  idleTimeoutMs: z.int().describe('The scanner is closed after this long without a call'),
});

export const ScannerParamsSchema = z.strictObject({ scannerId: z.string().regex(/^[0-9a-f]{32}$/, 'must be a scanner id (32 hex digits)') });

export const ScannerNextQuerySchema = z.strictObject({
  maxCells: QueryPositiveIntSchema.optional(),
  maxBytes: QueryPositiveIntSchema.optional(),
});

// ---- locations ------------------------------------------------------------

export const TabletLocationSchema = z
  .strictObject({
    serverId: z.string(),
    url: z.string().describe('Base URL of the server, e.g. http://127.0.0.1:7201'),
    epoch: z.int().min(1).describe('Assignment epoch, raised by the master on every (re)assignment'),
  })
  .describe('Where a tablet is assigned (its location: column in META)');

/** WRONG_TABLET's details.locationHint: where META says the row is served (absent when META was out of reach). */
export const LocationHintSchema = z
  .object({
    serverId: z.string(),
    url: z.string(),
    epoch: z.int(),
    state: z.string().optional().describe('The tablet state in META (loading, serving, ...)'),
  })
  .describe('Where META says the row is served: ask that server');

export const MetaLocationReplySchema = z
  .strictObject({
    table: z.literal('META'),
    location: TabletLocationSchema.optional().describe('Absent while the root names no server (the master has not assigned META yet)'),
  })
  .describe("META's location as the root (/kdi/root) names it: where clients read the locations of every other tablet");

// ---- admin ----------------------------------------------------------------

/** Admin calls that take no parameters: no body, or {}. */
export const AdminEmptyBodySchema = z.strictObject({}).nullish().describe('No body, or {}');

export const LoadTabletBodySchema = z
  .strictObject({
    table: TableNameSchema,
    tabletId: TabletIdSchema,
    lowerExclusive: z.string().optional().describe('Rows above this (absent: from the first row)'),
    upperInclusive: z.string().optional().describe('Rows up to and including this (absent: to the last row)'),
    encoding: encodingIn.describe('How the bounds are written'),
    schema: TableSchemaSchema.optional().describe('The table schema (absent: every family accepted)'),
    epoch: z
      .int()
      .min(1)
      .optional()
      .describe(
        "Cluster load: the assignment epoch the master wrote to the tablet's location: in META. The tablet is then named by table and upperInclusive " +
          '(its META row); bounds, fragments, logs and schema come from META, so lowerExclusive and schema must be absent.',
      ),
  })
  .describe('Load (serve) a tablet');

export const SplitBodySchema = z
  .strictObject({
    row: z.string().optional().describe('Split after this row (absent: the approximate median of the disk data)'),
    encoding: encodingIn,
    lowTabletId: TabletIdSchema.optional(),
    highTabletId: TabletIdSchema.optional(),
  })
  .nullish()
  .describe('An absent body means {}');

export const SplitReplySchema = z.strictObject({
  parent: z.string(),
  row: z.string(),
  encoding: CellEncodingSchema,
  low: TabletViewSchema,
  high: TabletViewSchema,
});

export const MergeBodySchema = z
  .strictObject({
    with: TabletIdSchema.describe('The other tablet: adjacent to this one (it ends where this one begins, or begins where this one ends), same table, on this server'),
    mergedTabletId: TabletIdSchema.optional().describe('Id of the merged tablet (absent: a new random id); must not name a tablet on this server'),
  })
  .describe('Merge this tablet with an adjacent one');

export const MergeReplySchema = z.strictObject({
  low: z.string().describe('Id of the lower of the two tablets merged'),
  high: z.string().describe('Id of the upper of the two tablets merged'),
  merged: TabletViewSchema,
});

export const CompactBodySchema = z
  .strictObject({
    full: z.boolean().default(true).describe('Merge the whole chain (true) or let the picker choose (false)'),
  })
  .nullish()
  .describe('An absent body means {}');

export const SerializeReplySchema = z.strictObject({ memoryBytes: z.int().nonnegative() });

export const StatusQuerySchema = z.strictObject({ encoding: encodingIn });

export const StatusReplySchema = z.strictObject({
  serverId: z.string(),
  encoding: CellEncodingSchema,
  tablets: z.array(TabletViewSchema),
  memoryBytes: z.int().nonnegative(),
  memoryBudgetBytes: z.int().nonnegative(),
  diskBytes: z.int().nonnegative().describe('Sum over tablets (fragments shared after a split count twice)'),
  currentTxn: txn,
  appliesInFlight: z.int().nonnegative().describe('Applies waiting for the log or for memory (back-pressure)'),
  busyRejections: z.int().nonnegative().describe('Applies refused with RESOURCE_EXHAUSTED since start'),
  pendingSplitSeparations: z.int().nonnegative(),
  scanners: z.int().nonnegative().describe('Open server-side scanners'),
  dormantTablets: z
    .array(
      z.strictObject({
        tabletId: z.string(),
        table: z.string(),
        lowerExclusive: z.string().optional(),
        upperInclusive: z.string().optional(),
        reason: z
          .enum(['restart', 'fenced'])
          .describe('restart: kept by the engine from before a restart (load it by its id to serve it again); fenced: the master gave it to another server'),
        detail: z.string().describe('Why, in words, and what to do'),
      }),
    )
    .describe('Tablets the storage engine holds that this server does not serve; a load overlapping one is FAILED_PRECONDITION'),
  disks: z
    .array(DiskStatusSchema)
    .optional()
    .describe('Every data directory of the server (KDI_TS_DATA_DIR first, then KDI_TS_EXTRA_DATA_DIRS): filesystem size and free bytes, bytes of KDI files'),
});
