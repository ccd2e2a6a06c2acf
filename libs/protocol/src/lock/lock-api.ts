// The lock service's wire contract (DESIGN §8): request and response
// schemas shared by apps/lockserver (routes, OpenAPI) and the LockClient in
// libs/client-sdk. Routes, all JSON, all under the cluster secret when one
// is configured (`Authorization: Bearer <secret>`):
//
//   POST   /v1/sessions                      OpenSessionRequest  → 201 SessionInfo
//   POST   /v1/sessions/{sessionId}/keepalive                     → 200 SessionInfo
//   DELETE /v1/sessions/{sessionId}                               → 204
//   POST   /v1/files/{path…}                 CreateFileRequest   → 201 FileInfo   (ALREADY_EXISTS)
//   PUT    /v1/files/{path…}                 SetContentsRequest  → 200 FileInfo   (NOT_FOUND, ABORTED on ifGeneration)
//   GET    /v1/files/{path…}?encoding=                           → 200 FileInfo with contents
//   GET    /v1/stat/{path…}                                      → 200 FileInfo without contents
//   DELETE /v1/files/{path…}?ifGeneration=&sessionId=            → 204            (FAILED_PRECONDITION if locked by another session)
//   GET    /v1/dirs/{path…}  (and /v1/dirs for the root)         → 200 DirListing
//   POST   /v1/locks/{path…}                 AcquireRequest      → 200 AcquireResult
//   DELETE /v1/locks/{path…}?sessionId=                          → 200 ReleaseResult
//   POST   /v1/sequencers/validate           ValidateRequest     → 200 ValidateResult
//   GET    /v1/watch?path=&recursive=&after=&timeoutMs=          → 200 WatchResult
//   GET    /v1/status                                            → 200 LockServiceStatus
//
// `{path…}` is the lock path without its leading '/', e.g.
// /v1/files/kdi/root for the file /kdi/root (see lock-path.ts).
//
// Revisions: the service has one counter that never goes down (not even
// when Redis loses its data). Every change takes the next value; a file's
// `generation` is the revision of its last change (compare-and-set uses
// it); a lock grant's sequencer generation is the revision of the grant;
// every read answers with the `revision` it saw, so "read, then watch
// after that revision" misses nothing.

import { z } from 'zod';
import { lockPathProblem } from './lock-path.js';

export const LockPathSchema = z
  .string()
  .superRefine((p, ctx) => {
    const problem = lockPathProblem(p);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe("An absolute lock-service path such as '/kdi/servers/ts-1'");

export const SessionIdSchema = z
  .string()
  .regex(/^[0-9a-f]{32}$/, 'a session id is 32 lowercase hex digits')
  .describe('Session id as returned by POST /v1/sessions');

export const RevisionSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
export const ContentsEncodingSchema = z.enum(['utf8', 'base64']).default('utf8');
export const LockModeSchema = z.enum(['exclusive', 'shared']);

// ---- sessions ---------------------------------------------------------

export const OpenSessionRequestSchema = z
  .strictObject({
    ttlMs: z.number().int().positive().optional().describe('Lease length; the server clamps it to its [minTtlMs, maxTtlMs]'),
  })
  .describe('Open a session');

export const SessionInfoSchema = z.strictObject({
  sessionId: SessionIdSchema,
  /** The lease granted by this call, counted from when the server handled it. */
  ttlMs: z.number().int().positive(),
  /** Locks this session loses by expiry are not re-granted for this long. */
  lockDelayMs: z.number().int().nonnegative(),
});

// ---- files ------------------------------------------------------------

export const CreateFileRequestSchema = z.strictObject({
  contents: z.string().default(''),
  encoding: ContentsEncodingSchema,
  /** Deleted when this session ends (close or expiry); requires sessionId. */
  ephemeral: z.boolean().default(false),
  sessionId: SessionIdSchema.optional(),
});

export const SetContentsRequestSchema = z.strictObject({
  contents: z.string(),
  encoding: ContentsEncodingSchema,
  /** Compare-and-set: only if the file's generation is still this. */
  ifGeneration: RevisionSchema.optional(),
});

export const LockStateSchema = z.strictObject({
  mode: z.enum(['none', 'exclusive', 'shared']),
  /** Sequencer generations of the current holders (one for exclusive). */
  holders: z.array(RevisionSchema),
  /** Set while a lock freed by session expiry may not be re-granted. */
  lockDelayRemainingMs: z.number().int().nonnegative().optional(),
});

export const FileInfoSchema = z.strictObject({
  path: LockPathSchema,
  generation: RevisionSchema,
  ephemeral: z.boolean(),
  size: z.number().int().nonnegative(),
  lock: LockStateSchema,
  contents: z.string().optional(),
  encoding: z.enum(['utf8', 'base64']).optional(),
  /** The service revision this answer reflects. */
  revision: RevisionSchema,
});

export const DirEntrySchema = z.strictObject({
  name: z.string(),
  path: LockPathSchema,
  /** A file exists at this path. */
  file: z.boolean(),
  /** Some file lies below this path. */
  children: z.boolean(),
});

export const DirListingSchema = z.strictObject({
  path: z.string(),
  entries: z.array(DirEntrySchema),
  revision: RevisionSchema,
});

// ---- locks and sequencers ----------------------------------------------

export const SequencerSchema = z
  .strictObject({
    path: LockPathSchema,
    mode: LockModeSchema,
    generation: RevisionSchema,
  })
  .describe('Proof of a lock grant; receivers of privileged calls validate it');

export const AcquireRequestSchema = z.strictObject({
  sessionId: SessionIdSchema,
  mode: LockModeSchema.default('exclusive'),
  /** Makes a retried acquire idempotent: the same session and requestId get the same grant. */
  requestId: z.string().min(1).max(128),
  /** 0 = try once; otherwise wait up to this long for the lock. */
  waitMs: z.number().int().nonnegative().max(60_000).default(0),
});

export const AcquireResultSchema = z.discriminatedUnion('acquired', [
  z.strictObject({ acquired: z.literal(true), sequencer: SequencerSchema }),
  z.strictObject({
    acquired: z.literal(false),
    reason: z.enum(['held', 'lock-delay', 'safe-mode']),
    retryAfterMs: z.number().int().nonnegative().optional(),
  }),
]);

export const ReleaseResultSchema = z.strictObject({ released: z.boolean() });

export const ValidateRequestSchema = z.strictObject({ sequencer: SequencerSchema });
export const ValidateResultSchema = z.strictObject({
  valid: z.boolean(),
  /** Why not, for people: 'not held', 'held at a newer generation', … */
  reason: z.string().optional(),
});

// ---- watches ----------------------------------------------------------

export const WatchEventTypeSchema = z.enum(['created', 'deleted', 'changed', 'lock-acquired', 'lock-released']);

export const WatchEventSchema = z.strictObject({
  revision: RevisionSchema,
  type: WatchEventTypeSchema,
  path: LockPathSchema,
});

export const WatchQuerySchema = z.strictObject({
  /** A file, or a directory when `recursive` (then every path below it). */
  path: z.string(),
  recursive: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Events with a revision above this; omitted = from now on. */
  after: z
    .string()
    .regex(/^[0-9]{1,16}$/, 'after must be a revision: 1-16 decimal digits')
    .transform(Number)
    .pipe(RevisionSchema)
    .optional(),
  timeoutMs: z
    .string()
    .regex(/^[0-9]{1,5}$/, 'timeoutMs must be a whole number of milliseconds')
    .transform(Number)
    .pipe(z.number().int().max(60_000))
    .default(30_000),
});

export const WatchResultSchema = z.strictObject({
  /** Matching events in revision order (possibly none when the wait timed out). */
  events: z.array(WatchEventSchema),
  /** Pass as `after` next time. */
  revision: RevisionSchema,
  /**
   * True when events after `after` are no longer all known (history trimmed,
   * or the service lost its data): re-read the state, then watch from `revision`.
   */
  reset: z.boolean(),
});

export const LockServiceStatusSchema = z.strictObject({
  backend: z.enum(['redis', 'embedded']),
  incarnation: z.string(),
  revision: RevisionSchema,
  /** Grants are refused for this long after a data loss was detected. */
  safeModeRemainingMs: z.number().int().nonnegative(),
  sessions: z.number().int().nonnegative(),
});

export type OpenSessionRequest = z.input<typeof OpenSessionRequestSchema>;
export type SessionInfo = z.infer<typeof SessionInfoSchema>;
export type CreateFileRequest = z.input<typeof CreateFileRequestSchema>;
export type SetContentsRequest = z.input<typeof SetContentsRequestSchema>;
export type LockState = z.infer<typeof LockStateSchema>;
export type FileInfo = z.infer<typeof FileInfoSchema>;
export type DirEntry = z.infer<typeof DirEntrySchema>;
export type DirListing = z.infer<typeof DirListingSchema>;
export type LockMode = z.infer<typeof LockModeSchema>;
export type Sequencer = z.infer<typeof SequencerSchema>;
export type AcquireRequest = z.input<typeof AcquireRequestSchema>;
export type AcquireResult = z.infer<typeof AcquireResultSchema>;
export type ReleaseResult = z.infer<typeof ReleaseResultSchema>;
export type ValidateResult = z.infer<typeof ValidateResultSchema>;
export type WatchEventType = z.infer<typeof WatchEventTypeSchema>;
export type WatchEvent = z.infer<typeof WatchEventSchema>;
export type WatchResult = z.infer<typeof WatchResultSchema>;
export type LockServiceStatus = z.infer<typeof LockServiceStatusSchema>;
