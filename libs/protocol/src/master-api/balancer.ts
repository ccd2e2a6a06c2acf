// The balancer on the wire (docs/migration.md "Master"): POST
// /v1/balancer/run and GET /v1/balancer/decisions. A decision is one run
// of the planner: the loads it saw, the moves it planned with the reason
// and the figures behind each (skews before and after), merge candidates
// (planned only: merges are not executed yet) and notes on why it stopped
// where it did.

import { z } from 'zod';
import { QueryPositiveIntSchema } from '../table-api/route-schemas.js';

const isoTime = z.string().describe('ISO-8601 time');
const amount = z.number().nonnegative();

export const SkewSchema = z
  .strictObject({
    bytes: amount.describe('Most minus least bytes over the servers that are not draining'),
    rate: amount.describe('Most minus least requests per second over the servers that are not draining'),
  })
  .describe('How uneven the load is');

export const BalancerServerLoadSchema = z.strictObject({
  serverId: z.string(),
  draining: z.boolean(),
  diskBytes: amount,
  requestsPerSec: amount,
  tablets: z.int().nonnegative(),
});

export const PlannedMoveSchema = z
  .strictObject({
    tabletId: z.string(),
    table: z.string(),
    from: z.string(),
    to: z.string(),
    reason: z.enum(['drain', 'bytes-skew', 'rate-skew']),
    diskBytes: amount,
    requestsPerSec: amount,
    skewBefore: SkewSchema,
    skewAfter: SkewSchema,
    explanation: z.string().describe('Why this tablet, from there, to here, in one sentence'),
    migrationId: z.string().optional().describe('The move started for it (absent in a dry run)'),
    error: z.string().optional().describe('Why the move could not be started'),
  })
  .describe('A move the balancer planned');

export const PlannedMergeSchema = z
  .strictObject({
    table: z.string(),
    tabletIds: z.array(z.string()).describe('Adjacent tablets in row order'),
    diskBytes: amount,
    requestsPerSec: amount,
    explanation: z.string(),
    merged: z.string().optional().describe('The tablet the first two became (they were on one server and were merged)'),
    migrationId: z.string().optional().describe('The move started to bring the first two onto one server (the next run merges them)'),
    error: z.string().optional().describe('Why nothing was done for it'),
  })
  .describe('Adjacent small, cold tablets that could be one; merged two at a time when merges are on (KDI_MASTER_MERGE_BELOW_BYTES), else listed only');

export const BalancerDecisionSchema = z
  .strictObject({
    decisionId: z.string(),
    at: isoTime,
    trigger: z.enum(['periodic', 'manual', 'drain']),
    dryRun: z.boolean(),
    servers: z.array(BalancerServerLoadSchema).describe('The live servers as the planner saw them (heartbeats)'),
    running: z.int().nonnegative().describe('Moves already running when it planned'),
    skewBefore: SkewSchema,
    skewAfter: SkewSchema,
    balanced: z.boolean().describe('No skew above its threshold and nothing left to drain, once the planned moves are done'),
    moves: z.array(PlannedMoveSchema),
    merges: z.array(PlannedMergeSchema),
    notes: z.array(z.string()).describe('Why the plan stops where it does'),
  })
  .describe('One run of the balancer: what it saw, what it planned and why');

export const BalancerSettingsSchema = z.strictObject({
  intervalMs: z.int().nonnegative().describe('How often it runs by itself (0: only on demand)'),
  bytesSkewThreshold: amount,
  rateSkewThreshold: amount,
  maxConcurrentMoves: z.int().positive(),
  mergeBelowBytes: amount.describe('Adjacent tablets each smaller than this and cold are merged (0: merges off, candidates only listed)'),
});

export const BalancerRunBodySchema = z.strictObject({ dryRun: z.boolean().default(false).describe('Plan only: start no move') }).describe('Run the balancer now');

export const BalancerRunReplySchema = z.strictObject({ decision: BalancerDecisionSchema });

export const BalancerDecisionsQuerySchema = z.strictObject({
  limit: QueryPositiveIntSchema.optional().describe('Most decisions, newest first (default: all kept, KDI_MASTER_HISTORY_DECISIONS: 100)'),
});

export const BalancerDecisionsReplySchema = z.strictObject({
  decisions: z.array(BalancerDecisionSchema).describe('Newest first'),
  settings: BalancerSettingsSchema,
});

export type Skew = z.infer<typeof SkewSchema>;
export type PlannedMoveView = z.infer<typeof PlannedMoveSchema>;
export type PlannedMergeView = z.infer<typeof PlannedMergeSchema>;
export type BalancerDecision = z.infer<typeof BalancerDecisionSchema>;
export type BalancerSettings = z.infer<typeof BalancerSettingsSchema>;
export type BalancerRunBody = z.input<typeof BalancerRunBodySchema>;
