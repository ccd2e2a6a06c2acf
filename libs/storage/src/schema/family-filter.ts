// Which families a fragment build keeps, as plain data (it crosses to
// worker threads): serialization and compaction write one group's cells,
// so they keep the families routed to that group and drop the rest —
// cells of other groups (when a chain is repartitioned) and cells of
// families no group holds any more (a schema without a wildcard group that
// stopped naming them: scans already hide those, DESIGN §6).

/** include: only these families; exclude: every family but these (a wildcard group). */
export type FamilyFilterSpec = { readonly include: readonly string[] } | { readonly exclude: readonly string[] };

const COLON = 0x3a;

/** The bytes of a column's family as a string key (latin1: one char per byte, so equal keys ⇔ equal bytes). */
export function familyKeyOfColumn(column: Uint8Array): string {
  const colon = column.indexOf(COLON);
  return Buffer.from(column.buffer, column.byteOffset, colon < 0 ? column.byteLength : colon).toString('latin1');
}

/** The key of a family given as text: its UTF-8 bytes, as familyKeyOfColumn gives them. */
export function familyKeyOfName(name: string): string {
  return Buffer.from(name, 'utf8').toString('latin1');
}

/**
 * A predicate on columns. Cells arrive sorted, so runs of one column are
 * common: the last answer is remembered for the last column seen.
 */
export function compileFamilyFilter(spec: FamilyFilterSpec): (column: Uint8Array) => boolean {
  const include = 'include' in spec;
  const keys = new Set((include ? spec.include : spec.exclude).map(familyKeyOfName));
  let lastColumn: Uint8Array | undefined;
  let lastAnswer = false;
  return (column) => {
    if (lastColumn !== undefined && Buffer.compare(column, lastColumn) === 0) return lastAnswer;
    lastColumn = column;
    lastAnswer = keys.has(familyKeyOfColumn(column)) === include;
    return lastAnswer;
  };
}
