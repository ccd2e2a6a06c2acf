// The scan predicate on the wire (DESIGN §3): the text form, or the parsed
// structure as JSON (row and column bounds are strings in the request's
// encoding, time bounds microseconds). Unknown fields are rejected.

import { z } from 'zod';

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

export const StructuredPredicateSchema = z
  .strictObject({
    rows: z.array(bytesInterval).optional().describe('Row intervals (their union); absent = every row'),
    columns: z.array(bytesInterval).optional().describe('Column intervals (their union); absent = every column'),
    times: z.array(timeInterval).optional().describe('Timestamp intervals; absent = every time'),
    history: z
      .int()
      .refine((k) => k !== 0, 'history must not be 0 (K > 0 keeps the newest K versions, K < 0 drops the newest |K|)')
      .optional()
      .describe('K > 0 keeps the newest K cells per (row, column); K < 0 drops the newest |K|'),
  })
  .describe('The parsed form of a predicate (DESIGN §3)');

export const PredicateFieldSchema = z
  .union([
    z.string().max(1 << 20).describe("Predicate text, e.g. \"row ~= 'com.foo' and history = 1\"; empty = everything"),
    StructuredPredicateSchema,
  ])
  .describe('A scan predicate: text (DESIGN §3 grammar) or the parsed structure');

export type StructuredPredicate = z.output<typeof StructuredPredicateSchema>;

export interface WireInterval<T> {
  readonly lower?: { readonly value: T; readonly inclusive: boolean } | undefined;
  readonly upper?: { readonly value: T; readonly inclusive: boolean } | undefined;
}
