// The scan predicate on the wire (DESIGN §3): the text form, or the parsed
// structure as JSON (row and column bounds are strings in the request's
// encoding, time bounds microseconds). Unknown fields are rejected.
//
// Both forms are bounded alike, so one body cannot make the server build
// an unbounded interval set: the text is at most MAX_PREDICATE_TEXT (1 MiB)
// characters; a structure has at most MAX_PREDICATE_INTERVALS intervals over
// rows, columns and times together, and its row and column bounds total at
// most MAX_PREDICATE_BOUND_CHARS (1 MiB) characters; and a body carrying a
// predicate is at most MAX_PREDICATE_BODY_BYTES (8 MiB).

import { z } from 'zod';

export const MAX_PREDICATE_TEXT = 1 << 20;
export const MAX_PREDICATE_INTERVALS = 10_000;
export const MAX_PREDICATE_BOUND_CHARS = 1 << 20;
/**
 * The JSON body of a route that takes a predicate (scan, stat, open a
 * scanner): room for 1 MiB of predicate text even if every character is
 * \u-escaped, plus a resume token. Checked before JSON.parse, whose cost
 * grows with the body (a 36 MB body of 400k intervals took seconds).
 */
export const MAX_PREDICATE_BODY_BYTES = 8 << 20;

/** Route config read by the JSON body parser (app.ts): the body limit of the route. */
export const PREDICATE_ROUTE_CONFIG = { maxJsonBodyBytes: MAX_PREDICATE_BODY_BYTES } as const;

const bytesBound = z
  .strictObject({
    value: z.string().describe('Row or column bytes: UTF-8 text, or base64 with encoding "base64"'),
    inclusive: z.boolean(),
  })
  .describe('One end of an interval');

const timeBound = z
  .strictObject({ value: z.int().describe('Microseconds since the epoch'), inclusive: z.boolean() })
  .describe('One end of a time interval');

const bytesInterval = z
  .strictObject({ lower: bytesBound.optional(), upper: bytesBound.optional() })
  .describe('An interval; a missing bound is open on that side (at least one bound is required)');

const timeInterval = z
  .strictObject({ lower: timeBound.optional(), upper: timeBound.optional() })
  .describe('A time interval; a missing bound is open on that side (at least one bound is required)');

const intervalList = <T extends z.ZodType>(interval: T) => z.array(interval);

export const StructuredPredicateSchema = z
  .strictObject(
    {
      rows: intervalList(bytesInterval).optional().describe('Row intervals (their union); absent = every row'),
      columns: intervalList(bytesInterval).optional().describe('Column intervals (their union); absent = every column'),
      times: intervalList(timeInterval).optional().describe('Timestamp intervals; absent = every time'),
      history: z
        .int()
        .refine((k) => k !== 0, 'history must not be 0 (K > 0 keeps the newest K versions, K < 0 drops the newest |K|)')
        .optional()
        .describe('K > 0 keeps the newest K cells per (row, column); K < 0 drops the newest |K|'),
    },
  )
  .superRefine((p, ctx) => {
    const intervals = (p.rows?.length ?? 0) + (p.columns?.length ?? 0) + (p.times?.length ?? 0);
    if (intervals > MAX_PREDICATE_INTERVALS) {
      ctx.addIssue({
        code: 'custom',
        message: `has ${intervals} intervals over rows, columns and times; the limit is ${MAX_PREDICATE_INTERVALS}: merge them or scan in parts`,
      });
    }
    let chars = 0;
    for (const list of [p.rows, p.columns]) {
      for (const iv of list ?? []) chars += (iv.lower?.value.length ?? 0) + (iv.upper?.value.length ?? 0);
    }
    if (chars > MAX_PREDICATE_BOUND_CHARS) {
      ctx.addIssue({
        code: 'custom',
        message: `row and column bounds total ${chars} characters; the limit is ${MAX_PREDICATE_BOUND_CHARS} (1 MiB, like the text form)`,
      });
    }
  })
  .describe(
    `The parsed form of a predicate (DESIGN §3). At most ${MAX_PREDICATE_INTERVALS} intervals over rows, columns and times together, ` +
      `and at most ${MAX_PREDICATE_BOUND_CHARS} characters of row and column bounds in total.`,
  );

const PredicateTextSchema = z
  .string()
  .max(MAX_PREDICATE_TEXT, `predicate text is longer than ${MAX_PREDICATE_TEXT} characters (1 MiB)`)
  .describe(`Predicate text, e.g. "row ~= 'com.foo' and history = 1"; empty = everything; at most ${MAX_PREDICATE_TEXT} characters`);

export const PredicateFieldSchema = z
  .union([PredicateTextSchema, StructuredPredicateSchema])
  .describe('A scan predicate: text (DESIGN §3 grammar) or the parsed structure');

export type StructuredPredicate = z.output<typeof StructuredPredicateSchema>;

export interface WireInterval<T> {
  readonly lower?: { readonly value: T; readonly inclusive: boolean } | undefined;
  readonly upper?: { readonly value: T; readonly inclusive: boolean } | undefined;
}
