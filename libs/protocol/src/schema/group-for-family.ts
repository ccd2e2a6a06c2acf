// Routing a family to its locality group (DESIGN §6): the group that names
// it, else the wildcard group, else none (a write to it is INVALID_ARGUMENT).

import type { LocalityGroup, TableSchema } from './table-schema.js';

const COLON = 0x3a;
// ignoreBOM: a family that starts with U+FEFF keeps it, so the decoded
// text is exactly the family's characters.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

interface Router {
  readonly byFamily: ReadonlyMap<string, LocalityGroup>;
  readonly wildcard: LocalityGroup | undefined;
}

// Apply routes every cell; the index is built once per schema object
// (schemas are values: a changed schema is a new object).
const routers = new WeakMap<TableSchema, Router>();

/**
 * The group of `family`, given as text or as the raw bytes of a column's
 * family. Bytes that are not UTF-8 cannot equal a named family (names are
 * well-formed text), so they go to the wildcard group.
 */
export function groupForFamily(schema: TableSchema, family: string | Uint8Array): LocalityGroup | undefined {
  const router = routerOf(schema);
  const name = typeof family === 'string' ? family : decodeOrUndefined(family);
  return (name === undefined ? undefined : router.byFamily.get(name)) ?? router.wildcard;
}

/** The family of a column: its bytes before the first ':' (the whole column without one). */
export function columnFamily(column: Uint8Array): Uint8Array {
  const colon = column.indexOf(COLON);
  return colon < 0 ? column : column.subarray(0, colon);
}

function routerOf(schema: TableSchema): Router {
  let router = routers.get(schema);
  if (!router) {
    const byFamily = new Map<string, LocalityGroup>();
    let wildcard: LocalityGroup | undefined;
    for (const g of schema.groups) {
      if (g.families === '*') wildcard ??= g;
      // First group wins, matching a linear search, should an unvalidated
      // schema name a family twice.
      else for (const f of g.families) if (!byFamily.has(f)) byFamily.set(f, g);
    }
    router = { byFamily, wildcard };
    routers.set(schema, router);
  }
  return router;
}

function decodeOrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}
