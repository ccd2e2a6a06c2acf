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
//
// A wrong predicate is reported by the branch its type selects (a string:
// the text's problems; an object: the structure's, each with its path such
// as rows[3].lower), never as the union's bare "Invalid input".

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

const BOUND_SHAPE = '{"value": …, "inclusive": true|false}';
const INTERVAL_SHAPE = `{"lower"?: ${BOUND_SHAPE}, "upper"?: ${BOUND_SHAPE}}`;
const STRUCTURE_SHAPE = '{"rows"?: [interval…], "columns"?: [interval…], "times"?: [interval…], "history"?: K}';

/** A custom message for a wrong type, leaving zod's wording for the rest. */
const whenWrongType = (expected: string) => (iss: { code: string }) => (iss.code === 'invalid_type' ? `expected ${expected}` : undefined);

const bytesBound = z
  .strictObject(
    {
      value: z
        .string({ error: whenWrongType('the bytes as a string (UTF-8 text, or base64 with encoding "base64")') })
        .describe('Row or column bytes: UTF-8 text, or base64 with encoding "base64"'),
      inclusive: z.boolean({ error: whenWrongType('true or false') }),
    },
    { error: whenWrongType(`a bound ${BOUND_SHAPE}`) },
  )
  .describe('One end of an interval');

const timeBound = z
  .strictObject(
    {
      value: z.int({ error: whenWrongType('an integer number of microseconds since the epoch') }).describe('Microseconds since the epoch'),
      inclusive: z.boolean({ error: whenWrongType('true or false') }),
    },
    { error: whenWrongType(`a time bound ${BOUND_SHAPE} with the value in microseconds`) },
  )
  .describe('One end of a time interval');

const bytesInterval = z
  .strictObject({ lower: bytesBound.optional(), upper: bytesBound.optional() }, { error: whenWrongType(`an interval ${INTERVAL_SHAPE}`) })
  .describe('An interval; a missing bound is open on that side (at least one bound is required)');

const timeInterval = z
  .strictObject({ lower: timeBound.optional(), upper: timeBound.optional() }, { error: whenWrongType(`a time interval ${INTERVAL_SHAPE}`) })
  .describe('A time interval; a missing bound is open on that side (at least one bound is required)');

const intervalList = <T extends z.ZodType>(interval: T) => z.array(interval, { error: whenWrongType(`a list of intervals ${INTERVAL_SHAPE}`) });

export const StructuredPredicateSchema = z
  .strictObject(
    {
      rows: intervalList(bytesInterval).optional().describe('Row intervals (their union); absent = every row'),
      columns: intervalList(bytesInterval).optional().describe('Column intervals (their union); absent = every column'),
      times: intervalList(timeInterval).optional().describe('Timestamp intervals; absent = every time'),
      history: z
        .int({ error: whenWrongType('an integer K (K > 0 keeps the newest K versions, K < 0 drops the newest |K|)') })
        .refine((k) => k !== 0, 'history must not be 0 (K > 0 keeps the newest K versions, K < 0 drops the newest |K|)')
        .optional()
        .describe('K > 0 keeps the newest K cells per (row, column); K < 0 drops the newest |K|'),
    },
    { error: whenWrongType(`the predicate structure ${STRUCTURE_SHAPE}`) },
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

interface UnionIssue {
  readonly code: string;
  readonly input?: unknown;
  readonly errors?: readonly (readonly { readonly path: readonly PropertyKey[]; readonly message: string }[])[];
}

/** The problems of the branch the input's type selects, each with its path inside the predicate. */
function predicateUnionMessage(iss: UnionIssue): string | undefined {
  if (iss.code !== 'invalid_union') return undefined;
  const input = iss.input;
  const branch = typeof input === 'string' ? 0 : typeof input === 'object' && input !== null && !Array.isArray(input) ? 1 : -1;
  const issues = branch < 0 ? undefined : iss.errors?.[branch];
  if (issues === undefined || issues.length === 0) {
    const got = input === null ? 'null' : Array.isArray(input) ? 'a list' : typeof input;
    return `expected predicate text (a string, e.g. "row ~= 'com.foo'") or the parsed structure ${STRUCTURE_SHAPE}, received ${got}`;
  }
  return issues.map((i) => (i.path.length === 0 ? i.message : `${formatPath(i.path)}: ${i.message}`)).join('; ');
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

export const PredicateFieldSchema = z
  .union([PredicateTextSchema, StructuredPredicateSchema], { error: predicateUnionMessage })
  .describe('A scan predicate: text (DESIGN §3 grammar) or the parsed structure');

export type StructuredPredicate = z.output<typeof StructuredPredicateSchema>;

export interface WireInterval<T> {
  readonly lower?: { readonly value: T; readonly inclusive: boolean } | undefined;
  readonly upper?: { readonly value: T; readonly inclusive: boolean } | undefined;
}
