// Reads of one tablet (DESIGN §5 Reads): the merged scan over memory, the
// chains of the locality groups a scan can touch and legacy fragments,
// with each group's purge policy; approximate statistics from block
// indexes; disk sizes; the approximate median row for splits.

import { intersectIntervals } from '@kdi/primitives';
import { MergedScan, type ScanSource } from '../merge/merged-scan.js';
import { rangeAsInterval, rowInRange } from '../merge/row-range.js';
import { type PurgeTest, purgeTest } from '../purge/purge-policy.js';
import { compileScanSpec, type ScanSpec } from '../scan/scan-spec.js';
import type { DiskFragment } from './disk-fragment.js';
import { EngineScanner } from './engine-scanner.js';
import type { DiskSizes, ScanOptions, TabletSizes } from './engine-types.js';
import { allFragments, scanFragments, type Table, type Tablet } from './tablet.js';
import { statSources, type TabletStat } from './tablet-stat.js';

/** A purge test that drops everything: cells of families no group holds. */
const HIDDEN: PurgeTest = () => true;

/** A scanner over `t` (of `table`) as it is now, holding its fragments; `scanTxn` is what its pages report. */
export async function openTabletScanner(t: Tablet, table: Table, spec: ScanSpec, opts: ScanOptions, nowMicros: number, scanTxn: number): Promise<EngineScanner> {
  const compiled = compileScanSpec(spec);
  const held = scanFragments(t, t.routing.groupsForColumns(compiled.columns)).map((f) => f.ref());
  try {
    // Empty memory fragments are left out (a scan need not see writes that
    // arrive after it starts), so a compacted, quiet tablet is one cursor.
    const sources: ScanSource[] = table.active.cellCount > 0 ? [{ memory: table.active }] : [];
    for (let i = table.frozen.length - 1; i >= 0; i--) sources.push({ memory: table.frozen[i]! });
    for (const f of held) sources.push({ disk: f.reader });
    const after = opts.after ? { ...opts.after, value: null } : undefined;
    const scan = await MergedScan.open({ sources, range: t.range, spec: compiled, ...scanPurge(t, nowMicros), after });
    return new EngineScanner(scan, held, scanTxn);
  } catch (e) {
    for (const f of held) f.unref();
    throw e;
  }
}

/** The purge a scan of `t` applies: one policy when every family shares one, else per column. */
function scanPurge(t: Tablet, now: number): { purge?: PurgeTest; purgeOf?: (column: Uint8Array) => PurgeTest | undefined } {
  const { routing } = t;
  if (routing.single) return { purge: purgeTest(routing.groups[0]!.purge, now) };
  const tests = routing.groups.map((g) => purgeTest(g.purge, now));
  if (routing.wildcard !== undefined && tests.every((x) => x === undefined)) return {};
  return {
    purgeOf: (column) => {
      const g = routing.groupOfColumn(column);
      return g === undefined ? HIDDEN : tests[g];
    },
  };
}

/** Approximate cells and bytes `spec` touches in `t`, from block indexes and memory (tablet-stat.ts). */
export function tabletStat(t: Tablet, table: Table, spec: ScanSpec): TabletStat {
  const c = compileScanSpec(spec);
  const tabletRows = rangeAsInterval(t.range);
  const rows = (c.rows ?? [{}]).map((iv) => intersectIntervals(iv, tabletRows)).filter((iv) => iv !== undefined);
  const readers = scanFragments(t, t.routing.groupsForColumns(c.columns)).map((f) => f.reader);
  return statSources(readers, [table.active, ...table.frozen], rows, c);
}

export function tabletSizes(t: Tablet, table: Table): TabletSizes {
  const sizes = (fragments: readonly DiskFragment[]): DiskSizes => ({
    fragments: fragments.length,
    diskBytes: fragments.reduce((n, f) => n + f.fileBytes, 0),
    diskCells: fragments.reduce((n, f) => n + f.reader.info.cellCount, 0),
  });
  const total = sizes(allFragments(t));
  const groups: Record<string, DiskSizes> = {};
  t.routing.groups.forEach((g, i) => (groups[g.name] = sizes(t.chains[i]!.fragments)));
  let tableMemoryBytes = table.active.bytes;
  for (const f of table.frozen) tableMemoryBytes += f.bytes;
  return { ...total, tableMemoryBytes, groups, legacy: sizes(t.legacy) };
}

/** The median row of the largest fragment whose median lies strictly inside `t` (a split point). */
export function approximateMedianRow(t: Tablet): Uint8Array | undefined {
  const bySize = allFragments(t).sort((a, b) => b.fileBytes - a.fileBytes);
  for (const f of bySize) {
    const row = f.reader.approximateMedianRow();
    if (row && rowInRange(row, t.range) && !(t.range.upperInclusive && Buffer.compare(row, t.range.upperInclusive) === 0)) return row;
  }
  return undefined;
}
