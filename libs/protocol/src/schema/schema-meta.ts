// A table schema as cells of its META row (DESIGN §7): the per-table row
// "<table>" holds one cell per group setting,
//
//   column  schema:<group>:<setting>     setting ∈ families, compression, blockSize, inMemory, purge
//   value   the setting as JSON text     "*" | ["anchor","contents"] · "lz4" · 65536 · false · {"maxHistory":3,"combine":"or"}
//
// Group names cannot contain ':' (names.ts), so the column splits
// unambiguously. META keeps columns sorted, so decoded groups come back in
// name order; group order carries no meaning. Decoding validates the
// result like any schema: a server that meets a bad one keeps its last
// valid schema (DESIGN §6), so decoding reports problems instead of
// throwing.

import { validateTableSchema, type SchemaProblem } from './validate-table-schema.js';
import { TableSchemaSchema, type TableSchema } from './table-schema.js';

export const SCHEMA_COLUMN_PREFIX = 'schema:';
export const SCHEMA_SETTINGS = ['families', 'compression', 'blockSize', 'inMemory', 'purge'] as const;
export type SchemaSetting = (typeof SCHEMA_SETTINGS)[number];

export interface SchemaColumn {
  readonly column: string;
  readonly value: string;
}

export type DecodedSchema = { readonly ok: true; readonly schema: TableSchema } | { readonly ok: false; readonly problems: SchemaProblem[] };

/** The cells of `schema` in its table's META row, sorted by column. */
export function encodeSchemaColumns(schema: TableSchema): SchemaColumn[] {
  const out: SchemaColumn[] = [];
  for (const g of schema.groups) {
    for (const setting of SCHEMA_SETTINGS) {
      out.push({ column: `${SCHEMA_COLUMN_PREFIX}${g.name}:${setting}`, value: JSON.stringify(g[setting]) });
    }
  }
  return out.sort((a, b) => Buffer.compare(Buffer.from(a.column), Buffer.from(b.column)));
}

/**
 * The schema held by a META row's cells. Columns outside `schema:` (table
 * state and the like) are ignored; a missing setting takes its default,
 * except `families`, which every group needs.
 */
export function decodeSchemaColumns(columns: Iterable<SchemaColumn>): DecodedSchema {
  const problems: SchemaProblem[] = [];
  const groups = new Map<string, Record<string, unknown>>();
  for (const { column, value } of columns) {
    if (!column.startsWith(SCHEMA_COLUMN_PREFIX)) continue;
    const rest = column.slice(SCHEMA_COLUMN_PREFIX.length);
    const colon = rest.indexOf(':');
    const setting = colon < 0 ? '' : rest.slice(colon + 1);
    if (colon < 0 || !(SCHEMA_SETTINGS as readonly string[]).includes(setting)) {
      problems.push({ path: column, message: `not a schema column; expected schema:<group>:<${SCHEMA_SETTINGS.join('|')}>` });
      continue;
    }
    const name = rest.slice(0, colon);
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      problems.push({ path: column, message: `value ${JSON.stringify(value.slice(0, 80))} is not JSON` });
      continue;
    }
    let group = groups.get(name);
    if (!group) groups.set(name, (group = { name }));
    group[setting] = parsed;
  }
  const input = { groups: [...groups.values()] };
  // Report problems by META column, the place an operator would fix them.
  for (const p of validateTableSchema(input)) problems.push({ path: metaPath(p.path, input.groups), message: p.message });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, schema: TableSchemaSchema.parse(input) };
}

/** "groups[1].purge.maxHistory" → "schema:<name>:purge (maxHistory)"; whole-group problems → "schema:<name>:*". */
function metaPath(path: string, groups: readonly Record<string, unknown>[]): string {
  const m = /^groups\[(\d+)\](?:\.([A-Za-z]+))?(.*)$/.exec(path);
  if (!m) return path === '' || path === 'groups' ? 'schema:*' : path;
  const name = String(groups[Number(m[1])]?.name ?? '');
  if (!m[2] || m[2] === 'name') return `${SCHEMA_COLUMN_PREFIX}${name}:*`;
  const inner = (m[3] ?? '').replace(/^\./, '');
  return `${SCHEMA_COLUMN_PREFIX}${name}:${m[2]}${inner ? ` (${inner})` : ''}`;
}
