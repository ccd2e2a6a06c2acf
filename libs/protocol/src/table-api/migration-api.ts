// Tablet migration between servers (DESIGN §10, docs/migration.md): the
// wire shapes of the tablet server's migration routes under /v1/admin —
// the source's (migrate, list, abort) and the target's (prepare, file,
// commit) — as zod schemas: one source for validation and OpenAPI, shared
// by the tablet server and whoever calls it (the master, the source
// server).

import { z } from 'zod';
import { CellEncodingSchema } from '../cells/index.js';
import { NAME_PATTERN, NAME_RULE } from '../schema/names.js';
import { TableNameSchema, TabletIdSchema } from './route-schemas.js';

export const MIGRATION_STEPS = ['prepare', 'copy', 'catch-up', 'delta', 'freeze', 'commit', 'done'] as const;
export type MigrationStep = (typeof MIGRATION_STEPS)[number];

/** The header carrying a migration file's CRC-32C (decimal, of the whole file). */
export const CRC32C_HEADER = 'x-kdi-crc32c';

export const MigrationIdSchema = z.string().regex(NAME_PATTERN, `must be ${NAME_RULE}`).describe(`Migration id: ${NAME_RULE}`);
export const MigrationFileNameSchema = z.string().regex(NAME_PATTERN, `must be ${NAME_RULE}`).describe(`A file's name within the migration: ${NAME_RULE}`);

export const MigrationPeerSchema = z.strictObject({
  serverId: z.string().regex(NAME_PATTERN, `must be ${NAME_RULE}`),
  url: z.url({ protocol: /^https?$/ }).describe('The server’s base URL'),
});

export const MigrationParamsSchema = z.strictObject({ migrationId: MigrationIdSchema });
export const MigrationFileParamsSchema = z.strictObject({ migrationId: MigrationIdSchema, name: MigrationFileNameSchema });

export const MigrateBodySchema = z
  .strictObject({
    migrationId: MigrationIdSchema,
    target: MigrationPeerSchema,
    epoch: z.int().min(1).describe("The tablet's new assignment epoch (e'), above its current one: location: names the target with it after the commit"),
  })
  .describe('Move the tablet to the target server');

export const MigrateReplySchema = z.strictObject({ migrationId: MigrationIdSchema });

export const MigrationStatusSchema = z.strictObject({
  migrationId: MigrationIdSchema,
  tabletId: TabletIdSchema,
  table: TableNameSchema,
  role: z.enum(['source', 'target']),
  peer: MigrationPeerSchema,
  step: z.enum(MIGRATION_STEPS),
  bytesCopied: z.int().nonnegative(),
  bytesTotal: z.int().nonnegative(),
  filesCopied: z.int().nonnegative(),
  filesTotal: z.int().nonnegative(),
  startedAt: z.string().describe('ISO 8601'),
  endedAt: z.string().optional(),
  steps: z.array(z.strictObject({ step: z.enum(MIGRATION_STEPS), ms: z.number().nonnegative() })).describe('Each step reached, with how long it took (the running one so far)'),
  outcome: z.enum(['committed', 'aborted']).optional(),
  error: z.string().optional(),
  writeStallMs: z.number().nonnegative().optional().describe('freeze + commit: how long writes to the tablet waited'),
  deltaRounds: z
    .array(z.strictObject({ cells: z.int().nonnegative(), bytes: z.int().nonnegative(), ms: z.number().nonnegative() }))
    .optional()
    .describe('Source: the delta rounds after the preload (cells written since the round before, applied at the target), in order'),
  freezeWaitMs: z.number().nonnegative().optional().describe('Source: how long the freeze waited for the writes already admitted to finish'),
  finalCells: z.int().nonnegative().optional().describe('Source: the cells the commit carried (written since the last delta round)'),
  commitParts: z
    .record(z.string(), z.number().nonnegative())
    .optional()
    .describe('The target’s commit, ms since it started, after each part: queued (behind its META writes), adopt, warm, memory, meta, serving'),
});
export type MigrationStatus = z.infer<typeof MigrationStatusSchema>;

export const MigrationListReplySchema = z.strictObject({ migrations: z.array(MigrationStatusSchema) });

export const PrepareMigrationBodySchema = z
  .strictObject({
    tabletId: TabletIdSchema,
    table: TableNameSchema,
    lowerExclusive: z.string().optional(),
    upperInclusive: z.string().optional(),
    encoding: CellEncodingSchema.default('utf8').describe('How the bounds are written'),
    source: MigrationPeerSchema,
    epoch: z.int().min(1).describe("The tablet's epoch at the source (e): the commit is conditioned on location: naming the source with it"),
    newEpoch: z.int().min(1).describe("The epoch (e') location: names this server with after the commit"),
  })
  .describe('Prepare to receive a tablet');

export const PreloadMigrationBodySchema = z
  .strictObject({
    fragments: z
      .record(z.string(), z.array(MigrationFileNameSchema))
      .describe('Per locality group (or ~legacy), received files, oldest first: the tablet’s lists at the source now'),
    hotBlocks: z.array(z.strictObject({ name: MigrationFileNameSchema, block: z.int().nonnegative() })).describe('Blocks hot in the source’s cache, to warm'),
  })
  .describe('Load the tablet from the files received so far (not served) and warm the cache, before the source freezes');

export const CommitMigrationBodySchema = z
  .strictObject({
    fragments: z.record(z.string(), z.array(MigrationFileNameSchema)).describe('Per locality group (or ~legacy), the final lists: received files, oldest first'),
    memory: z.string().describe('The tablet’s cells still in memory at the source: a cell block (application/x-kdi-cells) in base64'),
    hotBlocks: z.array(z.strictObject({ name: MigrationFileNameSchema, block: z.int().nonnegative() })).describe('Blocks hot in the source’s cache, to warm'),
  })
  .describe(
    'Take over the tablet, with the final lists and the memory cells (JSON). The source sends instead a cell block (application/x-kdi-cells): the cells written ' +
      'since its last delta round; the tablet keeps the lists it preloaded',
  );

export const CommitMigrationReplySchema = z.strictObject({
  location: z.strictObject({ serverId: z.string(), url: z.string(), epoch: z.int() }),
  epoch: z.int(),
  parts: z.record(z.string(), z.number().nonnegative()).optional().describe('ms since the commit started, after each part (MigrationStatus commitParts)'),
});

export const MigrationDeltaReplySchema = z.strictObject({
  cells: z.int().nonnegative().describe('Cells applied'),
  ms: z.number().nonnegative().describe('How long the apply took here (through the log, durable)'),
});
