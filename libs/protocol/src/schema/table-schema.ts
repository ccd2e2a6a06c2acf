// The table schema (DESIGN §6) as it crosses the wire and lives in META:
//
//   { "groups": [ { "name": "default", "families": "*", "compression": "lz4",
//                   "blockSize": 65536, "inMemory": false,
//                   "purge": { "maxHistory": 3, "maxAgeMicros": 86400000000, "combine": "or" } } ] }
//
// A locality group is a set of column families stored together: each
// tablet keeps one fragment chain per group, written with the group's
// compression and block size and compacted with its purge policy; a scan
// whose columns lie in one group's families reads only that group's chain.
//
// Rules (validateTableSchema reports every broken one with its path):
//   - at least one group, at most MAX_LOCALITY_GROUPS; unique group names;
//   - each family in at most one group; at most one wildcard group
//     (families "*": every family no other group names);
//   - without a wildcard group, writes to other families are INVALID_ARGUMENT;
//   - names as in names.ts; unknown fields are rejected.
// The storage engine declares the same shape as LocalityGroupSpec
// (libs/storage/src/schema/locality-group.ts) because storage imports
// nothing of ours; the two are kept in step by hand.

import { z } from 'zod';
import { familyNameProblem, groupNameProblem } from './names.js';
import { tableSchemaRuleIssues } from './schema-rules.js';

export const MIN_BLOCK_SIZE = 4 * 1024;
export const MAX_BLOCK_SIZE = 4 * 1024 * 1024;
export const DEFAULT_BLOCK_SIZE = 64 * 1024;
export const MAX_LOCALITY_GROUPS = 64;
export const MAX_FAMILIES_PER_GROUP = 1024;

export const GroupNameSchema = z
  .string({ error: 'a group name is a string' })
  .superRefine((name, ctx) => {
    const problem = groupNameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe("Locality group name: 1-64 characters of [A-Za-z0-9._-], not '.' or '..'");

export const FamilyNameSchema = z
  .string({ error: 'a family name is a string' })
  .superRefine((name, ctx) => {
    const problem = familyNameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe("Column family: 1-256 UTF-8 bytes, no ':', no control characters, not '*'");

export const PurgePolicySchema = z
  .strictObject({
    maxHistory: z
      .int({ error: 'purge.maxHistory must be a whole number' })
      .min(1, 'purge.maxHistory must be at least 1 (omit it to keep every version)')
      .optional()
      .describe('Keep at most this many newest versions of each (row, column)'),
    maxAgeMicros: z
      .int({ error: 'purge.maxAgeMicros must be a whole number of microseconds' })
      .min(1, 'purge.maxAgeMicros must be at least 1 (omit it to keep versions of any age)')
      .optional()
      .describe('Drop versions older than now − maxAgeMicros'),
    combine: z
      .enum(['and', 'or'], { error: 'purge.combine must be "and" or "or"' })
      .default('or')
      .describe("With both limits: 'or' drops a version breaking either, 'and' only one breaking both"),
  })
  .describe('Which old versions compaction drops and scans hide');

export const LocalityGroupSchema = z
  .strictObject({
    name: GroupNameSchema,
    families: z
      .union(
        [
          z.literal('*'),
          z
            .array(FamilyNameSchema, { error: 'families must be "*" or a list of family names' })
            .min(1, 'families must name at least one family (or be "*" for every other family)')
            .max(MAX_FAMILIES_PER_GROUP, `a group names at most ${MAX_FAMILIES_PER_GROUP} families`),
        ],
        { error: 'families must be "*" or a list of family names' },
      )
      .describe('The families stored in this group, or "*" for every family no other group names'),
    compression: z.enum(['none', 'lz4'], { error: 'compression must be "none" or "lz4"' }).default('lz4').describe('Per-block compression (kept only when it saves space)'),
    blockSize: z
      .int({ error: 'blockSize must be a whole number of bytes' })
      .min(MIN_BLOCK_SIZE, `blockSize must be at least ${MIN_BLOCK_SIZE} bytes (4 KiB)`)
      .max(MAX_BLOCK_SIZE, `blockSize must be at most ${MAX_BLOCK_SIZE} bytes (4 MiB)`)
      .default(DEFAULT_BLOCK_SIZE)
      .describe('Target uncompressed data block size in bytes'),
    inMemory: z.boolean({ error: 'inMemory must be true or false' }).default(false).describe("Preload the group's blocks and keep them at high block-cache priority"),
    purge: PurgePolicySchema.default({ combine: 'or' }),
  })
  .describe('A locality group: families stored together, with their storage settings');

export const TableSchemaSchema = z
  .strictObject({
    groups: z
      .array(LocalityGroupSchema, { error: 'groups must be a list of locality groups' })
      .min(1, 'a schema needs at least one locality group')
      .max(MAX_LOCALITY_GROUPS, `a schema has at most ${MAX_LOCALITY_GROUPS} locality groups`),
  })
  // Cross-group rules run even when a field failed, so one answer lists
  // every problem; the rule checker tolerates malformed input.
  .superRefine(
    (value, ctx) => {
      for (const issue of tableSchemaRuleIssues(value)) ctx.addIssue({ code: 'custom', ...issue });
    },
    { when: () => true },
  )
  .describe('A table schema: its locality groups (DESIGN §6)');

export type TableSchema = z.output<typeof TableSchemaSchema>;
export type TableSchemaInput = z.input<typeof TableSchemaSchema>;
export type LocalityGroup = z.output<typeof LocalityGroupSchema>;
export type SchemaPurgePolicy = z.output<typeof PurgePolicySchema>;

/** One wildcard group 'default' with the default settings. */
export const DEFAULT_TABLE_SCHEMA: TableSchema = deepFreeze({
  groups: [
    {
      name: 'default',
      families: '*',
      compression: 'lz4',
      blockSize: DEFAULT_BLOCK_SIZE,
      inMemory: false,
      purge: { combine: 'or' },
    },
  ],
});

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}
