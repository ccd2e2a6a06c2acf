// META's rows (DESIGN §7), as pure functions between tablet configs and
// cells. META is a table like any other, served by one tablet:
//
//   row "<table> <lastRow>"  a tablet whose rows end at lastRow (inclusive)
//   row "<table>!"           the table's last tablet (no upper bound)
//   row "<table>"            the table itself: schema and state
//
// Table names match [A-Za-z0-9._-]{1,128}; every such byte sorts above '!'
// (0x21) and ' ' (0x20), so a table's rows are contiguous, its tablets sort
// by lastRow with the last tablet after them, and no other table's rows
// fall in between ("t <x>" < "t!" < "t2…").
//
// Tablet columns (each one cell at timestamp 0; writes overwrite):
//   first:             the lower bound (exclusive) as raw bytes; empty for the first tablet
//   location:          JSON {serverId, url, epoch} of the assigned server
//   log:               JSON [{dir, fromSegment}, …]: log directories that may hold unserialized data, each
//                      replayed from segment fromSegment (the start of this server's tenure: older
//                      segments may hold the rows' data from an earlier tenure, which must not be
//                      replayed over newer data); a bare string is a whole directory; absent after a
//                      clean unload
//   fragments:<group>  JSON [fragment path, …], oldest first
//   state:             'loading' | 'serving' | 'unloading' | 'migrating'
// Table columns:
//   schema:            JSON of the table schema (locality groups)
//   state:             'active' | 'deleting'

import { NAME_PATTERN, nameProblem } from '../schema/names.js';

/** The META table: one tablet, never split; its config is the root. */
export const META_TABLE = 'META';
const SPACE = 0x20;
const BANG = 0x21;

export interface TabletLocation {
  readonly serverId: string;
  readonly url: string;
  /** Assignment epoch: raised by the master on every (re)assignment. */
  readonly epoch: number;
}

export type TabletState = 'loading' | 'serving' | 'unloading' | 'migrating';

/** A log that may hold a tablet's unserialized writes, and the first segment to replay. */
export interface LogRef {
  readonly dir: string;
  readonly fromSegment: number;
}

/** A `log:` entry: {dir, fromSegment}, or a bare directory (replayed whole); undefined when malformed. */
export function parseLogRef(v: unknown): LogRef | undefined {
  if (typeof v === 'string') return { dir: v, fromSegment: 0 };
  const r = v as Partial<LogRef> | null;
  if (typeof r !== 'object' || r === null || typeof r.dir !== 'string' || !Number.isSafeInteger(r.fromSegment) || r.fromSegment! < 0) return undefined;
  return { dir: r.dir, fromSegment: r.fromSegment! };
}

export interface TabletConfig {
  readonly table: string;
  /** Exclusive lower bound; undefined for the table's first tablet. */
  readonly lowerExclusive: Uint8Array | undefined;
  /** Inclusive upper bound; undefined for the table's last tablet. */
  readonly upperInclusive: Uint8Array | undefined;
  readonly location: TabletLocation | undefined;
  readonly logs: readonly LogRef[];
  /** Fragment paths per locality group, oldest first. */
  readonly fragments: Readonly<Record<string, readonly string[]>>;
  readonly state: TabletState | undefined;
}

export interface MetaCell {
  readonly row: Uint8Array;
  readonly column: Uint8Array;
  readonly timestamp: number;
  readonly value: Uint8Array | null;
}

function checkTable(table: string): void {
  const problem = nameProblem('table name', table);
  if (problem !== undefined) throw new RangeError(problem);
}

/** The META row of the tablet of `table` ending at `upperInclusive` (undefined: the last tablet). */
export function tabletRowKey(table: string, upperInclusive: Uint8Array | undefined): Buffer {
  checkTable(table);
  const name = Buffer.from(table, 'latin1');
  if (upperInclusive === undefined) return Buffer.concat([name, Buffer.from([BANG])]);
  return Buffer.concat([name, Buffer.from([SPACE]), upperInclusive]);
}

/** The META row holding the table's schema and state. */
export function tableRowKey(table: string): Buffer {
  checkTable(table);
  return Buffer.from(table, 'latin1');
}

/** The META row range holding every tablet row of `table` (for a scan): ["<table> ", "<table>!"]. */
export function tabletRowsOf(table: string): { first: Buffer; last: Buffer } {
  checkTable(table);
  const name = Buffer.from(table, 'latin1');
  return { first: Buffer.concat([name, Buffer.from([SPACE])]), last: Buffer.concat([name, Buffer.from([BANG])]) };
}

export type ParsedMetaRow =
  { readonly kind: 'table'; readonly table: string } | { readonly kind: 'tablet'; readonly table: string; readonly upperInclusive: Uint8Array | undefined };

/** What a META row is, or undefined when it is not a valid META row key. */
export function parseMetaRow(row: Uint8Array): ParsedMetaRow | undefined {
  const b = Buffer.from(row.buffer, row.byteOffset, row.byteLength);
  let i = 0;
  while (i < b.length && b[i] !== SPACE && b[i] !== BANG) i++;
  const table = b.toString('latin1', 0, i);
  if (!NAME_PATTERN.test(table)) return undefined;
  if (i === b.length) return { kind: 'table', table };
  if (b[i] === BANG) return i === b.length - 1 ? { kind: 'tablet', table, upperInclusive: undefined } : undefined;
  return { kind: 'tablet', table, upperInclusive: b.subarray(i + 1) };
}

const enc = (s: string) => Buffer.from(s, 'utf8');
const json = (v: unknown) => enc(JSON.stringify(v));

/** The cells that store `config` (timestamp 0). Columns absent from the config are erased. */
export function tabletConfigCells(config: TabletConfig, previousGroups: readonly string[] = []): MetaCell[] {
  const row = tabletRowKey(config.table, config.upperInclusive);
  const cell = (column: string, value: Uint8Array | null): MetaCell => ({ row, column: enc(column), timestamp: 0, value });
  const cells: MetaCell[] = [
    cell('first:', config.lowerExclusive ? Buffer.from(config.lowerExclusive) : Buffer.alloc(0)),
    cell('location:', config.location ? json(config.location) : null),
    cell('log:', config.logs.length > 0 ? json(config.logs) : null),
    cell('state:', config.state ? enc(config.state) : null),
  ];
  const groups = Object.keys(config.fragments).sort();
  for (const g of groups) cells.push(cell(`fragments:${g}`, json(config.fragments[g])));
  for (const g of previousGroups) if (!(g in config.fragments)) cells.push(cell(`fragments:${g}`, null));
  return cells.sort((a, b) => Buffer.compare(a.column, b.column));
}

/**
 * Reads a tablet config back from the newest cell of each column of one
 * META row (cells as a scan returns them, erasures already applied).
 * Throws a message naming the row and column when a value is malformed.
 */
export function parseTabletConfig(row: Uint8Array, cells: readonly MetaCell[]): TabletConfig {
  const parsed = parseMetaRow(row);
  const where = JSON.stringify(Buffer.from(row).toString('latin1'));
  if (parsed?.kind !== 'tablet') throw new Error(`META row ${where} is not a tablet row`);
  let lowerExclusive: Uint8Array | undefined;
  let location: TabletLocation | undefined;
  let logs: LogRef[] = [];
  let state: TabletState | undefined;
  const fragments: Record<string, string[]> = {};
  const seen = new Set<string>();
  for (const c of cells) {
    if (Buffer.compare(c.row, row) !== 0 || c.value === null) continue;
    const column = Buffer.from(c.column).toString('utf8');
    if (seen.has(column)) continue; // newest version first
    seen.add(column);
    const text = Buffer.from(c.value).toString('utf8');
    const bad = (why: string) => new Error(`META row ${where} column ${column}: ${why}`);
    const parseJson = (): unknown => {
      try {
        return JSON.parse(text);
      } catch {
        throw bad('not JSON');
      }
    };
    if (column === 'first:') lowerExclusive = c.value.length > 0 ? Buffer.from(c.value) : undefined;
    else if (column === 'location:') {
      const v = parseJson() as Partial<TabletLocation>;
      if (typeof v?.serverId !== 'string' || typeof v.url !== 'string' || !Number.isSafeInteger(v.epoch)) throw bad('expected {serverId, url, epoch}');
      location = { serverId: v.serverId, url: v.url, epoch: v.epoch! };
    } else if (column === 'log:') {
      const v = parseJson();
      const refs = Array.isArray(v) ? v.map(parseLogRef) : [undefined];
      if (refs.some((r) => r === undefined)) throw bad('expected a list of {dir, fromSegment} (or log directories)');
      logs = refs as LogRef[];
    } else if (column === 'state:') {
      if (!['loading', 'serving', 'unloading', 'migrating'].includes(text)) throw bad(`unknown state ${JSON.stringify(text)}`);
      state = text as TabletState;
    } else if (column.startsWith('fragments:')) {
      const v = parseJson();
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw bad('expected a list of fragment paths');
      fragments[column.slice('fragments:'.length)] = v;
    }
  }
  return { table: parsed.table, lowerExclusive, upperInclusive: parsed.upperInclusive, location, logs, fragments, state };
}
