// A tablet server's own disks on the wire (issue 11, DESIGN §11,
// docs/disks.md): disk-capacity, disk-replica, disk-migrate (moving one
// tablet's fragment files from one of the server's data directories to
// another) and disk-balance (the planner of apps/tabletserver
// disks/disk-balance-plan.ts, run by the server, which starts its first
// move). The tablet server serves them under /v1/admin (cluster secret);
// the master proxies them under /v1/servers/{serverId}/… . One shape on
// both, so the CLI reads either.
//
// A disk is named by its absolute path or by its index ("0", "1", …; 0 is
// the data directory that holds the MANIFEST and the log).

import { z } from 'zod';
import { QueryPositiveIntSchema, TabletIdSchema } from '../table-api/route-schemas.js';

const bytes = z.int().nonnegative();
const ratio = z.number().nonnegative();

/** Longer than any path the kernel takes (PATH_MAX): a name past it cannot be a disk, and is not echoed back in the error. */
export const DISK_NAME_MAX_CHARS = 4096;

export const DiskNameSchema = z
  .string()
  .min(1)
  .max(DISK_NAME_MAX_CHARS)
  .describe('A disk of the server: its absolute path, or its index ("0" is the data directory holding the MANIFEST and the log)');

export const DiskStateSchema = z
  .enum(['ok', 'high-water', 'full'])
  .describe('ok: takes new fragments; high-water: at or above the high-water mark, takes no new fragments; full: writes to it failed for lack of space');

export const DiskCapacitySchema = z
  .strictObject({
    disk: z.string().describe('The data directory (absolute path)'),
    index: z.int().nonnegative().describe('Its index: the other way to name it'),
    capacityBytes: bytes.describe('Size of the filesystem holding it'),
    usedBytes: bytes.describe('Bytes used on that filesystem, by KDI and others (capacity − free)'),
    freeBytes: bytes.describe('Bytes free on that filesystem (for unprivileged users)'),
    kdiBytes: bytes.describe('Bytes of the files under the directory'),
    usage: ratio.describe('usedBytes ÷ capacityBytes (0..1)'),
    state: DiskStateSchema,
    reason: z.string().optional().describe('Why the state is not ok'),
    tablets: z.int().nonnegative().describe('Tablets with fragment files on this disk'),
    home: z.int().nonnegative().describe('Tablets whose new fragments go to this disk'),
  })
  .describe('One disk of a tablet server: its space, state and tablets');

export const DiskQuerySchema = z.strictObject({
  disk: DiskNameSchema.optional().describe('Only this disk (path or index)'),
});

export const DiskCapacityReplySchema = z
  .strictObject({
    serverId: z.string(),
    disks: z.array(DiskCapacitySchema).describe('In index order'),
  })
  .describe("disk-capacity: a server's disks");

export const DiskReplicaTabletSchema = z.strictObject({
  tablet: z.string().describe('Tablet id'),
  table: z.string(),
  bytes: bytes.describe("Bytes of the tablet's fragment files on this disk"),
  home: z.boolean().describe('Its new fragments go to this disk'),
});

export const DiskReplicaSchema = z
  .strictObject({
    disk: z.string(),
    index: z.int().nonnegative(),
    bytes: bytes.describe('Sum of the tablets’ bytes on this disk'),
    tablets: z.array(DiskReplicaTabletSchema).describe('Largest first; a tablet with no file here but whose home this is is listed with 0 bytes'),
  })
  .describe('The tablets on one disk');

export const DiskReplicaReplySchema = z
  .strictObject({
    serverId: z.string(),
    disks: z.array(DiskReplicaSchema),
  })
  .describe('disk-replica: the tablets on each disk, with their sizes');

export const DiskMigrationStateSchema = z
  .enum(['IDLE', 'MOVING', 'MOVED', 'CLOSED', 'COMPLETED'])
  .describe(
    'IDLE: not running (after a failure, with error); MOVING: copying into a .tmp directory on the target; MOVED: copied; ' +
      'CLOSED: the fragment references swapped, the config written, .tmp renamed into place; COMPLETED: done',
  );

export const DiskMigrationStatusSchema = z
  .strictObject({
    tablet: z.string(),
    table: z.string(),
    from: z.string().describe('Source disk (absolute path)'),
    to: z.string().describe('Target disk (absolute path)'),
    state: DiskMigrationStateSchema,
    files: bytes.describe('Fragment files to copy (grows when fragments are written during the copy)'),
    filesCopied: bytes,
    bytes: bytes.describe('Bytes to copy'),
    bytesCopied: bytes,
    startedAtMs: z.number().describe('Start, ms since the epoch'),
    endedAtMs: z.number().optional().describe('End, ms since the epoch (absent while running)'),
    error: z.string().optional().describe('Why it failed (it went back to IDLE; the tablet stays on the source disk)'),
    oriFiles: bytes.describe('Old files still kept as .ori after the swap (held by a scan or named by META)'),
  })
  .describe('One disk migration of a tablet: running, or the last one that ended');

export const DiskMigrationBodySchema = z
  .strictObject({
    tablet: TabletIdSchema,
    from: DiskNameSchema.describe('The disk it is on (path or index)'),
    to: DiskNameSchema.describe('The disk to move it to (path or index)'),
  })
  .describe("Move a tablet's fragment files to another disk of the same server");

export const DiskMigrationParamsSchema = z.strictObject({ tablet: TabletIdSchema });

export const DiskMigrationListReplySchema = z
  .strictObject({
    serverId: z.string(),
    migrations: z.array(DiskMigrationStatusSchema).describe('Running ones and the last of each tablet that ended'),
  })
  .describe('The disk migrations of a server');

export const DiskUsageFiguresSchema = z.strictObject({
  usedBytes: bytes,
  capacityBytes: bytes,
  usage: ratio,
});

export const PlannedDiskMoveSchema = z
  .strictObject({
    tabletId: z.string(),
    table: z.string(),
    from: z.string(),
    to: z.string(),
    bytes: bytes,
    fromBefore: DiskUsageFiguresSchema,
    fromAfter: DiskUsageFiguresSchema,
    toBefore: DiskUsageFiguresSchema,
    toAfter: DiskUsageFiguresSchema,
    skewBefore: ratio.describe('Max − min usage over the disks before this move'),
    skewAfter: ratio,
    explanation: z.string().describe('Why this tablet, from there, to here'),
  })
  .describe('A disk move the planner chose');

export const DiskBalancePlanSchema = z
  .strictObject({
    moves: z.array(PlannedDiskMoveSchema).describe('In order; the server runs the first and plans again after it'),
    meanUsage: ratio.describe('Σ used ÷ Σ capacity'),
    skewBefore: ratio.describe('Max − min usage, running moves counted as done'),
    skewAfter: ratio,
    running: bytes.describe('Disk migrations running when it planned'),
    balanced: z.boolean().describe('Nothing to do once the planned moves are done'),
    notes: z.array(z.string()).describe('Why the plan stops where it does'),
  })
  .describe("The disk-balance planner's answer (apps/tabletserver/src/disks/disk-balance-plan.ts)");

export const DiskBalanceOptionsSchema = z.strictObject({
  usageFloor: ratio.max(1),
  skewThreshold: ratio.max(1),
  minTabletBytes: bytes,
  highWaterMark: ratio.max(1),
  maxMoves: z.int().positive(),
});

export const DiskBalanceBodySchema = z
  .strictObject({
    dryRun: z.boolean().default(false).describe('Plan only: start no move'),
    usageFloor: ratio.max(1).optional().describe('Nothing to do while the fullest disk is under this usage (0..1; default 0.5)'),
    skewThreshold: ratio.max(1).optional().describe('Nothing to do while max − min usage is at or under this (0..1; default 0.1)'),
    minTabletBytes: bytes.optional().describe('Tablets with fewer bytes on their disk are not moved (default 64 MiB)'),
  })
  .describe('Plan (and start the first move of) a disk balance');

export const DiskBalanceDiskSchema = z.strictObject({
  disk: z.string(),
  capacityBytes: bytes,
  usedBytes: bytes,
  usage: ratio,
  tablets: z.int().nonnegative(),
});

export const DiskBalanceReplySchema = z
  .strictObject({
    serverId: z.string(),
    dryRun: z.boolean(),
    options: DiskBalanceOptionsSchema.describe('The thresholds it planned with'),
    disks: z.array(DiskBalanceDiskSchema).describe('The disks as the planner saw them'),
    plan: DiskBalancePlanSchema,
    started: DiskMigrationStatusSchema.optional().describe('The first move, started (absent in a dry run or when there is none)'),
    error: z.string().optional().describe('Why the first move could not be started'),
  })
  .describe('disk-balance: the plan, and the move started');

export const DiskBalanceSettingsSchema = z
  .strictObject({
    mode: z.enum(['off', 'auto']).describe('auto: the master asks each live server for a disk balance every intervalMs (KDI_MASTER_DISK_BALANCE)'),
    intervalMs: z.int().positive(),
    usageFloor: ratio,
    skewThreshold: ratio,
    minTabletBytes: bytes,
  })
  .describe("The master's automatic disk-balance mode");

export const DiskBalanceDecisionSchema = z
  .strictObject({
    decisionId: z.string().describe('dd-N'),
    at: z.string().describe('ISO-8601 time'),
    serverId: z.string(),
    outcome: z
      .enum(['started', 'balanced', 'waiting', 'failed'])
      .describe('started: a move was started; balanced: nothing to do; waiting: a disk migration already runs there; failed: the server did not answer, or refused'),
    reason: z.string().describe('Why, in one sentence (the planned move’s explanation, or the plan’s notes)'),
    move: PlannedDiskMoveSchema.optional(),
    skewBefore: ratio.optional(),
    skewAfter: ratio.optional(),
  })
  .describe('One round of the automatic disk balance on one server');

export const DiskBalanceDecisionsQuerySchema = z.strictObject({
  limit: QueryPositiveIntSchema.optional().describe('Most decisions, newest first'),
});

export const DiskBalanceDecisionsReplySchema = z.strictObject({
  decisions: z.array(DiskBalanceDecisionSchema).describe('Newest first'),
  settings: DiskBalanceSettingsSchema,
});

export type DiskBalanceDecision = z.infer<typeof DiskBalanceDecisionSchema>;
export type DiskBalanceSettings = z.infer<typeof DiskBalanceSettingsSchema>;
export type DiskState = z.infer<typeof DiskStateSchema>;
export type DiskCapacity = z.infer<typeof DiskCapacitySchema>;
export type DiskCapacityReply = z.infer<typeof DiskCapacityReplySchema>;
export type DiskReplica = z.infer<typeof DiskReplicaSchema>;
export type DiskReplicaReply = z.infer<typeof DiskReplicaReplySchema>;
export type DiskMigrationStatusView = z.infer<typeof DiskMigrationStatusSchema>;
export type DiskMigrationListReply = z.infer<typeof DiskMigrationListReplySchema>;
export type DiskMigrationBody = z.infer<typeof DiskMigrationBodySchema>;
export type DiskBalanceBody = z.input<typeof DiskBalanceBodySchema>;
export type DiskBalanceReply = z.infer<typeof DiskBalanceReplySchema>;
export type DiskBalancePlanView = z.infer<typeof DiskBalancePlanSchema>;
