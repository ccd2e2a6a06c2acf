// The master's tablet moves on the wire (docs/migration.md "Master"):
// POST /v1/tablets/{tabletId}/move, GET /v1/migrations[/{id}], and the
// drain routes of a server. A MasterMigration is the master's record of a
// move it asked a source server for; `progress` is the source's own
// MigrationStatus (its GET /v1/admin/migrations), last polled.
//
// Bounds are UTF-8 text or base64 as `encoding` says, as everywhere in the
// master API.

import { z } from 'zod';
import { CellEncodingSchema } from '../cells/index.js';
import { NAME_PATTERN, NAME_RULE } from '../schema/names.js';
import { TabletIdSchema } from '../table-api/route-schemas.js';

const isoTime = z.string().describe('ISO-8601 time');
const count = z.number().nonnegative();
const ServerIdSchema = z.string().regex(NAME_PATTERN, `must be ${NAME_RULE}`).describe(`Server id: ${NAME_RULE}`);

export const ServerRefSchema = z.strictObject({ serverId: z.string(), url: z.string() }).describe('A tablet server: its id and base URL');

/**
 * A move as its source (or target) server reports it. Read leniently (the
 * tablet server owns this shape; a field it adds later passes through the
 * master unchanged in meaning, and is dropped).
 */
export const MigrationProgressSchema = z
  .object({
    migrationId: z.string(),
    tabletId: z.string().optional(),
    table: z.string().optional(),
    role: z.enum(['source', 'target']).optional(),
    peer: ServerRefSchema.partial().optional(),
    step: z.string().describe('prepare, copy, catch-up, delta, freeze, commit or done'),
    bytesCopied: count.optional(),
    bytesTotal: count.optional(),
    filesCopied: count.optional(),
    filesTotal: count.optional(),
    startedAt: isoTime.optional(),
    endedAt: isoTime.optional(),
    steps: z
      .array(z.object({ step: z.string(), ms: count }))
      .optional()
      .describe('Each step finished so far and how long it took'),
    outcome: z.enum(['committed', 'aborted']).optional(),
    error: z.string().optional(),
    writeStallMs: count.optional().describe('How long writes to the tablet waited (freeze + commit)'),
    deltaRounds: z
      .array(z.object({ cells: count, bytes: count, ms: count }))
      .optional()
      .describe('The delta rounds after the preload: cells and bytes sent, ms each'),
    freezeWaitMs: count.optional().describe('How long the freeze waited for admitted writes'),
    finalCells: count.optional().describe('Cells the commit carried'),
    commitParts: z.record(z.string(), count).optional().describe('The target’s commit: ms since it started, after each part'),
  })
  .describe('A move as the source server reports it (its GET /v1/admin/migrations), last polled by the master');

export const MigrationReasonSchema = z
  .enum(['manual', 'balance', 'drain', 'merge', 'unknown'])
  .describe(
    'manual: POST /v1/tablets/{id}/move; balance / drain: the balancer; merge: the balancer brings two tablets it merges onto one server; ' +
      'unknown: a master that took over learned the move from its source (the master that asked for it did not write it down)',
  );

export const MigrationStateSchema = z
  .enum(['running', 'committed', 'aborted', 'failed'])
  .describe(
    'running: the source accepted it and drives it; committed: the target serves the tablet; aborted: the source gave it up (error says why) and still serves; failed: the source refused it, nothing started',
  );

export const MasterMigrationSchema = z
  .strictObject({
    migrationId: z.string(),
    tabletId: z.string().describe("The tablet's id on the source server"),
    table: z.string(),
    lowerExclusive: z.string().optional(),
    upperInclusive: z.string().optional(),
    encoding: CellEncodingSchema.describe('How the bounds are written'),
    source: ServerRefSchema,
    target: ServerRefSchema,
    epoch: z.int().nonnegative().describe('The assignment epoch the target takes the tablet under (e′); 0 when not known (a move learned from its source after a failover)'),
    previousEpoch: z.int().nonnegative().describe('The epoch the source serves it under (e); 0 when not known'),
    reason: MigrationReasonSchema,
    decisionId: z.string().optional().describe('The balancer decision that planned it'),
    state: MigrationStateSchema,
    requestedAt: isoTime,
    endedAt: isoTime.optional(),
    error: z.string().optional(),
    progress: MigrationProgressSchema.optional(),
    progressAt: isoTime.optional().describe('When progress was read from the source'),
  })
  .describe('A tablet move the master asked for, with its outcome and the source’s progress');

export const MoveTabletParamsSchema = z.strictObject({ tabletId: TabletIdSchema });

export const MoveTabletBodySchema = z
  .strictObject({
    target: ServerIdSchema.optional().describe('The server to move it to (default: the least-loaded other live server that is not draining)'),
  })
  .describe('Where to move a tablet');

export const MoveTabletReplySchema = z.strictObject({ migration: MasterMigrationSchema });

export const MasterMigrationParamsSchema = z.strictObject({ migrationId: z.string().regex(NAME_PATTERN, `must be ${NAME_RULE}`) });

export const ListMigrationsReplySchema = z.strictObject({
  migrations: z.array(MasterMigrationSchema).describe('Newest first: the running ones and the last KDI_MASTER_HISTORY_MOVES (100) ended'),
});

export const ServerParamsSchema = z.strictObject({ serverId: ServerIdSchema });

export const DrainReplySchema = z.strictObject({
  serverId: z.string(),
  draining: z.boolean(),
  tablets: z.int().nonnegative().describe('Tablets the server holds now (its last heartbeat)'),
});

export type MigrationProgress = z.infer<typeof MigrationProgressSchema>;
export type MasterMigration = z.infer<typeof MasterMigrationSchema>;
export type MigrationReason = z.infer<typeof MigrationReasonSchema>;
export type MigrationState = z.infer<typeof MigrationStateSchema>;
export type MoveTabletBody = z.input<typeof MoveTabletBodySchema>;
export type DrainReply = z.infer<typeof DrainReplySchema>;
