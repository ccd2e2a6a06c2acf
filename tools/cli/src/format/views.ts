// Human output of each command: what the master and the servers answered,
// as aligned tables and one-line summaries. Pure; --json prints the
// replies themselves instead (execute.ts).

import type { ClusterEvent, MasterServer, MasterTablet, TableDescription, TableSummary, Cell } from '@kdi/protocol';
import type { DropTableResult, SetSchemaResult } from '@kdi/client-sdk';
import { displayBytes } from './cell-text.js';
import { formatBytes, formatMicros, formatRange, formatRate } from './quantities.js';
import { textTable } from './text-table.js';

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

export function tablesView(tables: readonly TableSummary[]): string {
  if (tables.length === 0) return 'no tables yet (create one with: kdi tables create NAME)';
  return textTable(
    ['NAME', 'STATE', 'TABLETS', 'SIZE'],
    tables.map((t) => [t.name, t.state, t.tablets, formatBytes(t.diskBytes)]),
  );
}

export function tabletsView(tablets: readonly MasterTablet[]): string {
  if (tablets.length === 0) return 'no tablets';
  return textTable(
    ['#', 'RANGE', 'STATE', 'SERVER', 'TABLET', 'SIZE', 'READS/S', 'WRITES/S', 'REASON'],
    tablets.map((t, i) => [
      i + 1,
      formatRange(t.lowerExclusive, t.upperInclusive),
      t.state,
      t.location?.serverId ?? '-',
      t.tabletId ?? '-',
      t.diskBytes === undefined ? '-' : formatBytes(t.diskBytes),
      formatRate(t.readsPerSec),
      formatRate(t.writesPerSec),
      t.reason ?? '',
    ]),
  );
}

/** One line per tablet that is not served, saying why (printed after the tablets of a create or describe). */
function notServed(tablets: readonly MasterTablet[]): string[] {
  const out: string[] = [];
  tablets.forEach((t, i) => {
    if (t.state === 'unavailable' || t.state === 'unassigned')
      out.push(`tablet ${i + 1} ${formatRange(t.lowerExclusive, t.upperInclusive)} is ${t.state}${t.reason ? `: ${t.reason}` : ''}`);
  });
  return out;
}

export function createdView(d: TableDescription): string {
  return [`created table ${d.name} with ${plural(d.tablets.length, 'tablet')}`, '', tabletsView(d.tablets), ...notServed(d.tablets)].join('\n');
}

export function droppedView(r: DropTableResult): string {
  return `dropped table ${r.name}: ${plural(r.unloadedTablets, 'tablet')} unloaded; its files are deleted after ${r.filesDeletedAfter}`;
}

export function schemaSetView(r: SetSchemaResult): string {
  const lines = [`schema of ${r.name} set (${plural(r.schema.groups.length, 'locality group')})`];
  if (r.pushedTo.length > 0) lines.push(`pushed to ${r.pushedTo.join(', ')}`);
  if (r.pending.length > 0) lines.push(`not yet pushed to ${r.pending.join(', ')} (they did not answer; they read it when they next load a tablet of ${r.name})`);
  return lines.join('\n');
}

export function serversView(servers: readonly MasterServer[]): string {
  if (servers.length === 0) return 'no tablet servers (is the cluster running? npm start starts three)';
  return textTable(
    ['SERVER', 'URL', 'STATE', 'TABLETS', 'SIZE', 'READS/S', 'WRITES/S', 'LAST HEARTBEAT'],
    servers.map((s) => [
      s.serverId,
      s.url,
      s.state === 'live' && s.draining ? 'draining' : s.state,
      s.tablets,
      formatBytes(s.diskBytes),
      formatRate(s.readsPerSec),
      formatRate(s.writesPerSec),
      s.lastHeartbeatAt ?? '-',
    ]),
  );
}

export function eventsView(events: readonly ClusterEvent[]): string {
  if (events.length === 0) return 'no events';
  return textTable(
    ['SEQ', 'TIME', 'KIND', 'MESSAGE'],
    events.map((e) => [e.seq, e.at, e.kind, e.message]),
  );
}

/** The cells of a get: one line per column version. */
export function cellsView(cells: readonly Cell[]): string {
  return textTable(
    ['COLUMN', 'TIMESTAMP', 'TIME', 'VALUE'],
    cells.map((c) => [displayBytes(c.column), c.timestamp, formatMicros(c.timestamp), c.value === null ? '(erased)' : displayBytes(c.value)]),
  );
}
