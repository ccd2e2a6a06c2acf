// Human output of the moving commands (kdi move, migrations, balance,
// drain): the master's move records, a progress bar, and the balancer's
// decision with each move's reason. Pure; --json prints the replies.

import type { BalancerDecision, DrainReply, MasterMigration } from '@kdi/protocol';
import { formatBytes, formatRange, formatRate } from './quantities.js';
import { textTable } from './text-table.js';

/** `[#########...........]  45%`: `fraction` of `width` cells filled (clamped to 0..1). */
export function progressBar(fraction: number, width = 30): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const filled = Math.round(f * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(f * 100)).padStart(3)}%`;
}

/** How far a move is, from its source's last report: 0..1 (1 once committed). */
export function moveFraction(m: MasterMigration): number {
  if (m.state === 'committed') return 1;
  const p = m.progress;
  if (p?.bytesTotal !== undefined && p.bytesTotal > 0) return (p.bytesCopied ?? 0) / p.bytesTotal;
  return 0;
}

/** The step and bytes of a running move, e.g. `copy 12 MiB of 27 MiB, 3/5 files`. */
export function progressText(m: MasterMigration): string {
  const p = m.progress;
  if (p === undefined) return m.state === 'running' ? 'requested' : m.state;
  const bytes = p.bytesTotal !== undefined ? ` ${formatBytes(p.bytesCopied ?? 0)} of ${formatBytes(p.bytesTotal)}` : '';
  const files = p.filesTotal !== undefined ? `, ${p.filesCopied ?? 0}/${p.filesTotal} files` : '';
  return `${p.step}${bytes}${files}`;
}

const tabletText = (m: MasterMigration) => `${m.tabletId} (${m.table} ${formatRange(m.lowerExclusive, m.upperInclusive)})`;

export function moveStartedView(m: MasterMigration): string {
  return `moving tablet ${tabletText(m)} from ${m.source.serverId} to ${m.target.serverId}: ${m.migrationId} (epoch ${m.epoch})`;
}

function duration(m: MasterMigration): string {
  const end = m.endedAt === undefined ? undefined : Date.parse(m.endedAt);
  const ms = (end ?? Date.now()) - Date.parse(m.requestedAt);
  return Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : '-';
}

export function moveEndedView(m: MasterMigration): string {
  const lines = [
    `${m.migrationId} ${m.state}: tablet ${tabletText(m)} ${m.state === 'committed' ? `is served by ${m.target.serverId}` : `stays on ${m.source.serverId}`} (${duration(m)})`,
  ];
  const steps = m.progress?.steps ?? [];
  if (steps.length > 0) lines.push(`steps: ${steps.map((s) => `${s.step} ${s.ms} ms`).join(', ')}`);
  if (m.progress?.writeStallMs !== undefined) lines.push(`writes waited ${m.progress.writeStallMs} ms`);
  if (m.error !== undefined) lines.push(`error: ${m.error}`);
  return lines.join('\n');
}

export function migrationsView(list: readonly MasterMigration[]): string {
  if (list.length === 0) return 'no moves (start one with: kdi move TABLET, or kdi balance)';
  return textTable(
    ['MIGRATION', 'TABLET', 'TABLE', 'RANGE', 'FROM', 'TO', 'REASON', 'STATE', 'PROGRESS', 'TIME', 'ERROR'],
    list.map((m) => [
      m.migrationId,
      m.tabletId,
      m.table,
      formatRange(m.lowerExclusive, m.upperInclusive),
      m.source.serverId,
      m.target.serverId,
      m.reason,
      m.state,
      m.state === 'running' ? `${progressText(m)} (${Math.floor(moveFraction(m) * 100)}%)` : (m.progress?.step ?? '-'),
      duration(m),
      m.error ?? '',
    ]),
  );
}

const skew = (s: { bytes: number; rate: number }) => `${formatBytes(s.bytes)}, ${formatRate(s.rate)} req/s`;

export function decisionView(d: BalancerDecision): string {
  const head = `balancer ${d.decisionId} (${d.trigger}${d.dryRun ? ', dry run: nothing started' : ''}) at ${d.at}`;
  const lines = [head, `skew before: ${skew(d.skewBefore)}; after the plan: ${skew(d.skewAfter)}${d.balanced ? ' (balanced)' : ''}; ${d.running} move(s) already running`];
  lines.push(
    '',
    textTable(
      ['SERVER', 'SIZE', 'REQ/S', 'TABLETS', 'DRAINING'],
      d.servers.map((s) => [s.serverId, formatBytes(s.diskBytes), formatRate(s.requestsPerSec), s.tablets, s.draining ? 'yes' : '']),
    ),
  );
  if (d.moves.length === 0) lines.push('', 'no moves');
  else {
    lines.push(
      '',
      textTable(
        ['TABLET', 'TABLE', 'FROM', 'TO', 'REASON', 'SIZE', 'REQ/S', 'SKEW AFTER', 'MIGRATION'],
        d.moves.map((m) => [
          m.tabletId,
          m.table,
          m.from,
          m.to,
          m.reason,
          formatBytes(m.diskBytes),
          formatRate(m.requestsPerSec),
          skew(m.skewAfter),
          m.migrationId ?? (m.error ? 'not started' : '-'),
        ]),
      ),
    );
    lines.push('', 'why:');
    for (const m of d.moves) {
      lines.push(`  ${m.tabletId}: ${m.explanation}`);
      if (m.error !== undefined) lines.push(`    not started: ${m.error}`);
    }
  }
  if (d.notes.length > 0) lines.push('', 'notes:', ...d.notes.map((n) => `  ${n}`));
  if (d.merges.length > 0) {
    lines.push('', 'merge candidates (the first two of each are merged when the master has KDI_MASTER_MERGE_BELOW_BYTES set):');
    for (const m of d.merges) {
      const done =
        m.merged !== undefined
          ? `: merged into ${m.merged}`
          : m.migrationId !== undefined
            ? `: moving together (${m.migrationId})`
            : m.error !== undefined
              ? `: not now, ${m.error}`
              : '';
      lines.push(`  ${m.table}: ${m.tabletIds.join(' + ')} (${formatBytes(m.diskBytes)}, ${formatRate(m.requestsPerSec)} req/s)${done}`);
    }
  }
  return lines.join('\n');
}

export function drainView(r: DrainReply): string {
  if (!r.draining) return `${r.serverId} is not draining: it takes tablets again (it holds ${r.tablets})`;
  return `${r.serverId} is draining: it gets no new tablets, and its ${r.tablets} tablet(s) are moved off (kdi servers shows when it holds none; then it may be stopped)`;
}
