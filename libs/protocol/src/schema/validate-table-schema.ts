// Validating a table schema: every problem at once, each with the path a
// person edits to fix it ("groups[1].families[0]"), so an operator fixes a
// schema in one round trip. parseTableSchema is the throwing form for
// request handlers and META readers: INVALID_ARGUMENT listing the problems.

import type { z } from 'zod';
import { KdiError } from '../errors/kdi-error.js';
import { TableSchemaSchema, type TableSchema } from './table-schema.js';

export interface SchemaProblem {
  /** Where in the schema, e.g. "groups[1].blockSize"; "" for the schema itself. */
  readonly path: string;
  readonly message: string;
}

/** Every problem with `input` as a table schema; empty when it is valid. */
export function validateTableSchema(input: unknown): SchemaProblem[] {
  const result = TableSchemaSchema.safeParse(input);
  return result.success ? [] : problemsOf(result.error);
}

/**
 * `input` as a table schema with defaults filled in, or INVALID_ARGUMENT
 * whose message lists every problem and whose details carry them as
 * `{ problems: SchemaProblem[] }`.
 */
export function parseTableSchema(input: unknown): TableSchema {
  const result = TableSchemaSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = problemsOf(result.error);
  const list = problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ');
  throw new KdiError('INVALID_ARGUMENT', `invalid table schema: ${list}`, { details: { field: 'schema', problems } });
}

/** A zod path as a person writes it: groups[1].purge.maxHistory. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

function problemsOf(error: z.ZodError): SchemaProblem[] {
  return error.issues.flatMap((issue) => problemsOfIssue(issue, []));
}

function problemsOfIssue(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): SchemaProblem[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => JSON.stringify(k)).join(', ');
    return [{ path: formatPath(path), message: `unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}` }];
  }
  if (issue.code === 'invalid_union') {
    // `families` is "*" or a list. When the value had the shape of one
    // branch (that branch's problems are inside the value, not about its
    // type), those problems are the useful ones: "families[2] must not
    // contain ':'" rather than "must be '*' or a list".
    const fitting = issue.errors.filter((branch) => !branch.some((i) => i.path.length === 0 && isTypeIssue(i)));
    if (fitting.length === 1) return (fitting[0] ?? []).flatMap((i) => problemsOfIssue(i, path));
  }
  return [{ path: formatPath(path), message: issue.message }];
}

function isTypeIssue(issue: z.core.$ZodIssue): boolean {
  return issue.code === 'invalid_type' || issue.code === 'invalid_value';
}
