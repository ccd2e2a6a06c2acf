// Human output of the disk commands (kdi disk-capacity, disk-replica,
// disk-migrate, disk-balance; docs/disks.md): a server's disks, the
// tablets on each, a disk migration's progress and outcome, and the
// disk-balance plan with each move's reason. Pure; --json prints the
// replies.

import type { DiskBalanceReply, DiskCapacityReply, DiskMigrationStatusView, DiskReplicaReply } from '@kdi/protocol';
import { formatBytes } from './quantities.js';
import { textTable } from './text-table.js';

const pct = (u: number) => `${(u * 100).toFixed(1)}%`;

export function diskCapacityView(r: DiskCapacityReply): string {
  const table = textTable(
    ['DISK', 'PATH', 'CAPACITY', 'USED', 'FREE', 'KDI', 'USAGE', 'STATE', 'TABLETS', 'HOME'],
    r.disks.map((d) => [
      d.index,
      d.disk,
      formatBytes(d.capacityBytes),
      formatBytes(d.usedBytes),
      formatBytes(d.freeBytes),
      formatBytes(d.kdiBytes),
      pct(d.usage),
      d.state,
      d.tablets,
      d.home,
    ]),
  );
  const reasons = r.disks.filter((d) => d.reason !== undefined).map((d) => `disk ${d.index} is ${d.state}: ${d.reason}`);
  return [`server ${r.serverId}: ${r.disks.length} disk(s)`, table, ...reasons].join('\n');
}

export function diskReplicaView(r: DiskReplicaReply): string {
  const parts = [`server ${r.serverId}: tablets per disk (HOME: its new fragments go there)`];
  for (const d of r.disks) {
    parts.push('');
    if (d.tablets.length === 0) {
      parts.push(`disk ${d.index} ${d.disk}: no tablets`);
      continue;
    }
    parts.push(`disk ${d.index} ${d.disk}: ${d.tablets.length} tablet(s), ${formatBytes(d.bytes)}`);
    parts.push(
      textTable(
        ['TABLET', 'TABLE', 'BYTES', 'HOME'],
        d.tablets.map((t) => [t.tablet, t.table, formatBytes(t.bytes), t.home ? 'yes' : '-']),
      )
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
  }
  return parts.join('\n');
}

/** 0..1: bytes copied of bytes (1 once COMPLETED). */
export function diskMigrationFraction(s: DiskMigrationStatusView): number {
  if (s.state === 'COMPLETED') return 1;
  return s.bytes > 0 ? s.bytesCopied / s.bytes : 0;
}

/** e.g. `MOVING 12 MiB of 27 MiB, 3/5 files`. */
export function diskMigrationProgress(s: DiskMigrationStatusView): string {
  return `${s.state} ${formatBytes(s.bytesCopied)} of ${formatBytes(s.bytes)}, ${s.filesCopied}/${s.files} files`;
}

export function diskMigrationStartedView(node: string, s: DiskMigrationStatusView): string {
  return `disk-migrate ${s.tablet} (table ${s.table}) on ${node}: ${s.from} → ${s.to} started (${s.state})`;
}

/** An ended migration: COMPLETED, or back to IDLE with its error. */
export function diskMigrationEndedView(s: DiskMigrationStatusView): string {
  const secs = s.endedAtMs === undefined ? '-' : `${((s.endedAtMs - s.startedAtMs) / 1000).toFixed(1)} s`;
  if (s.state === 'COMPLETED' && s.error === undefined) {
    const lines = [`${s.tablet} moved from ${s.from} to ${s.to}: COMPLETED, ${s.files} file(s), ${formatBytes(s.bytes)} in ${secs}`];
    if (s.oriFiles > 0) lines.push(`${s.oriFiles} old file(s) kept on ${s.from} until no scan or META config needs them`);
    return lines.join('\n');
  }
  return `${s.tablet} stays on ${s.from}: the migration to ${s.to} failed (${s.state}) after ${secs}: ${s.error ?? 'no reason given'}`;
}

export function diskBalanceView(r: DiskBalanceReply): string {
  const p = r.plan;
  const head =
    `disk balance of ${r.serverId}${r.dryRun ? ' (dry run)' : ''}: mean usage ${pct(p.meanUsage)}, skew ${pct(p.skewBefore)} → ${pct(p.skewAfter)}, ` +
    `${p.moves.length} move(s) planned${p.running > 0 ? `, ${p.running} running` : ''}`;
  const o = r.options;
  const lines = [
    head,
    `thresholds: usage floor ${pct(o.usageFloor)}, skew ${pct(o.skewThreshold)}, tablets of at least ${formatBytes(o.minTabletBytes)}, high-water mark ${pct(o.highWaterMark)}`,
    '',
    textTable(
      ['DISK', 'CAPACITY', 'USED', 'USAGE', 'TABLETS'],
      r.disks.map((d) => [d.disk, formatBytes(d.capacityBytes), formatBytes(d.usedBytes), pct(d.usage), d.tablets]),
    ),
  ];
  if (p.moves.length > 0) {
    lines.push('');
    lines.push(
      textTable(
        ['#', 'TABLET', 'TABLE', 'BYTES', 'FROM', 'TO', 'FROM USAGE', 'TO USAGE'],
        p.moves.map((m, i) => [
          i + 1,
          m.tabletId,
          m.table,
          formatBytes(m.bytes),
          m.from,
          m.to,
          `${pct(m.fromBefore.usage)} → ${pct(m.fromAfter.usage)}`,
          `${pct(m.toBefore.usage)} → ${pct(m.toAfter.usage)}`,
        ]),
      ),
    );
    for (const [i, m] of p.moves.entries()) lines.push(`  ${i + 1}. ${m.explanation}`);
  }
  lines.push('');
  if (r.started !== undefined) lines.push(`started: ${r.started.tablet} ${r.started.from} → ${r.started.to} (${r.started.state}); run kdi disk-balance again once it has ended`);
  else if (r.error !== undefined) lines.push(`not started: ${r.error}`);
  else if (p.moves.length > 0) lines.push('nothing started (dry run)');
  else lines.push('nothing to do');
  for (const n of p.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}
