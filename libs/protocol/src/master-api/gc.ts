// File GC (DESIGN §9): the master collects every fragment path a tablet
// config names (META's rows and the root) and asks each tablet server to
// delete the fragment files in its data directories that are named
// neither there nor by its own engine, once they are older than the grace
// period (a file just written may not be in META yet).

import { z } from 'zod';

export const GcBodySchema = z
  .strictObject({
    keep: z.array(z.string()).describe('Every fragment path a tablet config in META or the root names'),
    minAgeMs: z.int().nonnegative().describe('Only files last modified at least this long ago are deleted (the grace period)'),
    dryRun: z.boolean().default(false).describe('List what would be deleted, delete nothing'),
  })
  .describe('Delete fragment files no tablet config names');

export const GcReplySchema = z.strictObject({
  deleted: z.array(z.string()).describe('Paths deleted (or, with dryRun, that would be)'),
  deletedBytes: z.int().nonnegative(),
  kept: z.int().nonnegative().describe('Fragment files kept'),
});

export const ReloadSchemaReplySchema = z.strictObject({
  table: z.string(),
  tablets: z.int().nonnegative().describe("The table's tablets on this server that now use the schema"),
});

export type GcBody = z.input<typeof GcBodySchema>;
export type GcReply = z.infer<typeof GcReplySchema>;
