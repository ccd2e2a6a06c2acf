// The master's wire contract (DESIGN §9): the tablet servers' heartbeats,
// and the master API people and the CLI use — tables (create, drop,
// schema, list, describe), tablets, servers, recent events and the
// election. The gateway routes (/v1/tables/{t}/apply|sync|scan|stat) reuse
// the Table API's shapes (table-api/table-api.ts) unchanged, so one
// generated client speaks to the master and to any tablet server.
//
// Byte strings (split rows, tablet bounds) are UTF-8 text, or base64 when
// `encoding` says so, exactly as in the Table API.

import { z } from 'zod';
import { CellEncodingSchema } from '../cells/index.js';
import { TableSchemaSchema } from '../schema/index.js';
import { QueryPositiveIntSchema, TableNameSchema, TabletIdSchema } from '../table-api/route-schemas.js';
import { TabletLocationSchema } from '../table-api/table-api.js';
import { DiskStatusSchema } from './disk-status.js';

export { DiskStatusSchema };

const encodingIn = CellEncodingSchema.default('utf8');
const bytes = z.int().nonnegative();
const rate = z.number().nonnegative().describe('Per second, averaged over the last heartbeat interval');
const isoTime = z.string().describe('ISO-8601 time');

// ---- heartbeats (tablet server → master; cluster secret) -------------------

export const TabletStatusSchema = z
  .strictObject({
    tabletId: TabletIdSchema,
    table: TableNameSchema,
    lowerExclusive: z.string().optional().describe('Rows above this (absent: from the first row)'),
    upperInclusive: z.string().optional().describe('Rows up to and including this (absent: to the last row)'),
    state: z.enum(['loading', 'serving', 'unloading']),
    diskBytes: bytes,
    readsPerSec: rate,
    writesPerSec: rate,
  })
  .describe('A tablet a server holds, with its size and request rates');

export const MemoryStatusSchema = z.strictObject({
  rssBytes: bytes,
  heapUsedBytes: bytes,
  memoryFragmentBytes: bytes.describe("Bytes of the engine's memory fragments"),
  memoryBudgetBytes: bytes,
});

export const HeartbeatBodySchema = z
  .strictObject({
    serverId: z.string(),
    url: z.string().describe("The server's base URL"),
    startedAt: isoTime.describe('When this server process started'),
    encoding: encodingIn.describe('How the tablet bounds are written'),
    tablets: z.array(TabletStatusSchema),
    disks: z.array(DiskStatusSchema),
    memory: MemoryStatusSchema,
    leaseRemainingMs: bytes.optional().describe("What is left of the server's lock-service lease"),
    reason: z.enum(['periodic', 'split', 'merge', 'load', 'unload', 'start']).default('periodic').describe('Why this heartbeat was sent now'),
  })
  .describe("A tablet server's status, sent to the master every heartbeat interval and at once after a change");

export const HeartbeatReplySchema = z.strictObject({
  masterUrl: z.string(),
  intervalMs: z.int().min(100).describe('When to send the next heartbeat'),
});

// ---- tablets as the master sees them --------------------------------------

export const MasterTabletStateSchema = z
  .enum(['serving', 'loading', 'unassigned', 'unavailable', 'unloading', 'migrating'])
  .describe(
    'serving: a live server serves it; loading: assigned, being loaded; unassigned: waiting for a server; ' +
      "unavailable: it cannot be served now (reason says why, e.g. its data is only on a dead server's disks); " +
      'migrating: being moved to another server (reason names it and the move); it is served where it is until the move commits',
  );

export const MasterTabletSchema = z
  .strictObject({
    tabletId: z.string().optional().describe('The id the serving server uses (absent while unassigned)'),
    table: z.string(),
    lowerExclusive: z.string().optional().describe('Rows above this (absent: from the first row)'),
    upperInclusive: z.string().optional().describe('Rows up to and including this (absent: to the last row)'),
    state: MasterTabletStateSchema,
    reason: z.string().optional().describe('Why it is unassigned or unavailable, and what to do'),
    location: TabletLocationSchema.optional(),
    diskBytes: bytes.optional().describe("From the serving server's last heartbeat"),
    readsPerSec: rate.optional(),
    writesPerSec: rate.optional(),
  })
  .describe('A tablet: its range (its META row), where it is served and how it is doing');

export const TableStateSchema = z.enum(['active', 'deleting']);

export const TableSummarySchema = z.strictObject({
  name: z.string(),
  state: TableStateSchema,
  tablets: z.int().nonnegative(),
  diskBytes: bytes.describe('Sum over its tablets, from heartbeats'),
});

export const TableDescriptionSchema = z
  .strictObject({
    name: z.string(),
    state: TableStateSchema,
    schema: TableSchemaSchema.optional().describe('Locality groups (absent: one wildcard group, every family accepted)'),
    encoding: CellEncodingSchema.describe('How the tablet bounds are written'),
    tablets: z.array(MasterTabletSchema),
  })
  .describe('A table, its schema and its tablets in row order');

// ---- master API bodies and replies ------------------------------------------

export const CreateTableBodySchema = z
  .strictObject({
    name: TableNameSchema,
    schema: TableSchemaSchema.optional().describe('Locality groups (absent: one wildcard group)'),
    splits: z
      .array(z.string())
      .max(10_000)
      .optional()
      .describe('Pre-split rows: tablet i holds rows up to and including splits[i]; need not be sorted, must be distinct and non-empty'),
    encoding: encodingIn.describe('How the split rows are written'),
  })
  .describe('A table to create');

export const ListTablesReplySchema = z.strictObject({ tables: z.array(TableSummarySchema) });

export const TableTabletsQuerySchema = z.strictObject({ encoding: encodingIn });

export const TableTabletsReplySchema = z.strictObject({
  table: z.string(),
  encoding: CellEncodingSchema,
  tablets: z.array(MasterTabletSchema),
});

export const SetSchemaReplySchema = z.strictObject({
  name: z.string(),
  schema: TableSchemaSchema,
  pushedTo: z.array(z.string()).describe('Servers that reloaded the schema'),
  pending: z.array(z.string()).describe('Servers that did not answer; they get the schema when they next load a tablet of the table'),
});

export const DropTableReplySchema = z.strictObject({
  name: z.string(),
  unloadedTablets: z.int().nonnegative(),
  filesDeletedAfter: isoTime.describe("The table's files are deleted after this time (the GC grace period)"),
});

export const MasterServerSchema = z
  .strictObject({
    serverId: z.string(),
    url: z.string(),
    state: z.enum(['live', 'dead']).describe('live: its /kdi/servers file exists; dead: the file is gone (its tablets are reassigned after the lock-delay)'),
    startedAt: isoTime.optional(),
    lastHeartbeatAt: isoTime.optional(),
    tablets: z.int().nonnegative(),
    diskBytes: bytes,
    readsPerSec: rate,
    writesPerSec: rate,
    disks: z.array(DiskStatusSchema),
    memory: MemoryStatusSchema.optional(),
    leaseRemainingMs: bytes.optional(),
    draining: z.boolean().default(false).describe('Being drained: it gets no new tablets and its tablets are moved off (POST /v1/servers/{id}/drain)'),
  })
  .describe('A tablet server as the master sees it');

export const ListServersReplySchema = z.strictObject({ servers: z.array(MasterServerSchema) });

export const ClusterEventSchema = z
  .strictObject({
    seq: z.int().nonnegative().describe('Increases by one per event'),
    at: isoTime,
    kind: z.enum([
      'master-elected',
      'server-joined',
      'server-dead',
      'table-created',
      'table-dropped',
      'schema-set',
      'tablet-assigned',
      'tablet-loaded',
      'tablet-unavailable',
      'tablet-split',
      'files-deleted',
      'migration-started',
      'migration-committed',
      'migration-aborted',
      'balancer-run',
      'server-draining',
      'server-drain-ended',
      'tablets-merged',
      'disk-balance',
      'error',
    ]),
    message: z.string(),
    table: z.string().optional(),
    tabletId: z.string().optional(),
    serverId: z.string().optional(),
  })
  .describe('Something the master did or saw');

export const EventsQuerySchema = z.strictObject({
  limit: QueryPositiveIntSchema.optional().describe('Most events, newest last (default 100, capped at the history kept)'),
  after: z
    .string()
    .regex(/^[0-9]{1,16}$/, 'must be an event seq')
    .optional()
    .describe('Only events with a larger seq'),
});

export const EventsReplySchema = z.strictObject({ events: z.array(ClusterEventSchema) });

export const MasterStatusReplySchema = z
  .strictObject({
    url: z.string(),
    role: z.enum(['active', 'standby']),
    activeSince: isoTime.optional(),
    lockUrl: z.string().describe('The lock service the cluster runs on'),
    tables: z.int().nonnegative(),
    servers: z.int().nonnegative(),
    tablets: z.int().nonnegative(),
    unavailableTablets: z.int().nonnegative(),
  })
  .describe('This master: active or standby, and counts');

export type DiskStatus = z.infer<typeof DiskStatusSchema>;
export type TabletStatus = z.infer<typeof TabletStatusSchema>;
export type MemoryStatus = z.infer<typeof MemoryStatusSchema>;
export type HeartbeatBody = z.input<typeof HeartbeatBodySchema>;
export type HeartbeatReply = z.infer<typeof HeartbeatReplySchema>;
export type MasterTablet = z.infer<typeof MasterTabletSchema>;
export type MasterTabletState = z.infer<typeof MasterTabletStateSchema>;
export type TableSummary = z.infer<typeof TableSummarySchema>;
export type TableDescription = z.infer<typeof TableDescriptionSchema>;
export type CreateTableBody = z.input<typeof CreateTableBodySchema>;
export type MasterServer = z.infer<typeof MasterServerSchema>;
export type MasterServerInput = z.input<typeof MasterServerSchema>;
export type ClusterEvent = z.infer<typeof ClusterEventSchema>;
export type MasterStatusReply = z.infer<typeof MasterStatusReplySchema>;
