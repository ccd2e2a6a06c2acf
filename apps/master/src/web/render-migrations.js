// @ts-check
// The moves section of the web page (GET /v1/migrations): moves in progress
// with a progress bar (bytes and files copied), then the ones that ended
// last with their outcome, error, step durations and write stall. Pure.
//
// Two record shapes are read, both normalized by `migrationView`:
//  - the master's record of a move (MasterMigration: source, target,
//    reason, state running|committed|aborted|failed, requestedAt, and the
//    source's progress — its MigrationStatus — under `progress`);
//  - a bare MigrationStatus (docs/migration.md: role, peer, step, bytes…,
//    outcome), as a tablet server reports it.
// A field either shape lacks shows as "–"; nothing is guessed.

import { bar, formatBytes, formatMs, formatTime } from './format.js';
import { html, showBytes } from './html.js';
import { notOk } from './optional.js';

/** @template T @typedef {import('./optional.js').Optional<T>} Optional */

/**
 * @typedef {{ serverId?: string, url?: string }} Peer
 * @typedef {{
 *   migrationId: string, tabletId?: string, table?: string, role?: 'source' | 'target', peer?: Peer, serverId?: string,
 *   step?: string, bytesCopied?: number, bytesTotal?: number, filesCopied?: number, filesTotal?: number,
 *   startedAt?: string, endedAt?: string, steps?: Array<{ step: string, ms: number }>,
 *   outcome?: 'committed' | 'aborted', error?: string, writeStallMs?: number
 * }} MigrationStatus  a move as a tablet server reports it (docs/migration.md)
 * @typedef {{
 *   migrationId: string, tabletId: string, table: string, lowerExclusive?: string, upperInclusive?: string, encoding?: string,
 *   source: Peer, target: Peer, reason?: string, state: string, requestedAt?: string, endedAt?: string, error?: string,
 *   progress?: MigrationStatus
 * }} MasterMigration  the master's record of a move it asked for
 * @typedef {{
 *   migrationId: string, tabletId: string, table: string, range?: string, from: string, to: string, reason?: string,
 *   running: boolean, state: string, step?: string, bytesCopied?: number, bytesTotal?: number, filesCopied?: number, filesTotal?: number,
 *   startedAt?: string, endedAt?: string, steps: Array<{ step: string, ms: number }>, error?: string, writeStallMs?: number
 * }} MoveView
 */

/** Ended moves shown under the running ones. */
export const RECENT_MOVES_SHOWN = 10;

/** @param {unknown} m @returns {m is MasterMigration} */
function isMasterRecord(m) {
  return typeof m === 'object' && m !== null && 'source' in m && 'target' in m && 'state' in m;
}

/** One move, whichever shape it came in. @param {MasterMigration | MigrationStatus} m @returns {MoveView} */
export function migrationView(m) {
  if (isMasterRecord(m)) {
    const p = m.progress ?? /** @type {MigrationStatus} */ ({ migrationId: m.migrationId });
    const enc = m.encoding ?? 'utf8';
    const range =
      m.lowerExclusive === undefined && m.upperInclusive === undefined
        ? undefined
        : `(${m.lowerExclusive === undefined ? '−∞' : `'${showBytes(m.lowerExclusive, enc)}'`}, ${m.upperInclusive === undefined ? '+∞' : `'${showBytes(m.upperInclusive, enc)}'`}]`;
    return {
      migrationId: m.migrationId,
      tabletId: m.tabletId,
      table: m.table,
      range,
      from: m.source?.serverId ?? '?',
      to: m.target?.serverId ?? '?',
      reason: m.reason,
      running: m.state === 'running',
      state: m.state,
      step: p.step,
      bytesCopied: p.bytesCopied,
      bytesTotal: p.bytesTotal,
      filesCopied: p.filesCopied,
      filesTotal: p.filesTotal,
      startedAt: p.startedAt ?? m.requestedAt,
      endedAt: m.endedAt ?? p.endedAt,
      steps: p.steps ?? [],
      error: m.error ?? p.error,
      writeStallMs: p.writeStallMs,
    };
  }
  const self = m.serverId ?? '?';
  const peer = m.peer?.serverId ?? '?';
  const ended = m.outcome !== undefined || m.endedAt !== undefined;
  return {
    migrationId: m.migrationId,
    tabletId: m.tabletId ?? '?',
    table: m.table ?? '',
    from: m.role === 'target' ? peer : self,
    to: m.role === 'target' ? self : peer,
    running: !ended,
    state: m.outcome ?? (ended ? 'ended' : 'running'),
    step: m.step,
    bytesCopied: m.bytesCopied,
    bytesTotal: m.bytesTotal,
    filesCopied: m.filesCopied,
    filesTotal: m.filesTotal,
    startedAt: m.startedAt,
    endedAt: m.endedAt,
    steps: m.steps ?? [],
    error: m.error,
    writeStallMs: m.writeStallMs,
  };
}

const STATE_CLASS = /** @type {Record<string, string>} */ ({ committed: 'ok', aborted: 'bad', failed: 'bad', running: 'info' });

/** @param {MoveView} v */
function progressBar(v) {
  if (v.bytesCopied === undefined) return html`<span class="muted">no progress reported yet</span>`;
  const whole = v.bytesTotal !== undefined && v.bytesTotal > 0 ? v.bytesTotal : v.state === 'committed' ? v.bytesCopied || 1 : 1;
  const files = v.filesCopied === undefined ? '' : `, ${v.filesCopied}/${v.filesTotal ?? '?'} files`;
  return bar(
    [{ value: v.bytesCopied, kind: v.state === 'aborted' || v.state === 'failed' ? 'bad' : 'used', title: `${v.bytesCopied} of ${v.bytesTotal ?? '?'} bytes` }],
    whole,
    `${formatBytes(v.bytesCopied)} / ${formatBytes(v.bytesTotal)}${files}`,
  );
}

/** @param {MoveView} v @param {number} now */
function moveRow(v, now) {
  const started = v.startedAt === undefined ? NaN : Date.parse(v.startedAt);
  const ended = v.endedAt === undefined ? now : Date.parse(v.endedAt);
  const took = Number.isNaN(started) || Number.isNaN(ended) || ended < started ? '–' : formatMs(ended - started);
  const badge = v.running ? html`<span class="badge info">${v.step ?? 'requested'}</span>` : html`<span class="badge ${STATE_CLASS[v.state] ?? ''}">${v.state}</span>`;
  return html`<tr class="move" data-migration-id="${v.migrationId}">
    <td>
      <span class="id">${v.tabletId}</span>
      <div class="sub">${v.table}${v.range === undefined ? '' : html` <span class="range">${v.range}</span>`}</div>
    </td>
    <td><span class="id">${v.from}</span> → <span class="id">${v.to}</span>${v.reason === undefined ? '' : html`<div class="sub">${v.reason}</div>`}</td>
    <td>${badge}${v.error === undefined ? '' : html`<div class="reason">${v.error}</div>`}</td>
    <td>${progressBar(v)}</td>
    <td class="num">
      ${took}
      <div class="sub">from ${formatTime(v.startedAt, now)}</div>
    </td>
    <td class="sub">
      ${v.steps.map((s, i) => html`${i > 0 ? ' · ' : ''}${s.step} ${formatMs(s.ms)}`)}${
        v.writeStallMs === undefined ? '' : html`<div>write stall ${formatMs(v.writeStallMs)}</div>`
      }
    </td>
  </tr>`;
}

/** @param {MoveView[]} list @param {number} now */
function movesTable(list, now) {
  return html`<table class="grid moves">
    <thead>
      <tr>
        <th>tablet</th>
        <th>from → to</th>
        <th>step / outcome</th>
        <th>copied</th>
        <th class="num">time</th>
        <th>steps</th>
      </tr>
    </thead>
    <tbody>
      ${list.map((v) => moveRow(v, now))}
    </tbody>
  </table>`;
}

/** @param {Optional<{ migrations?: unknown }>} r @param {number} now */
export function renderMigrations(r, now) {
  const off = notOk(r, 'GET /v1/migrations');
  if (off !== undefined || r.status !== 'ok') return off;
  const raw = Array.isArray(r.data) ? r.data : Array.isArray(r.data?.migrations) ? r.data.migrations : [];
  const all = /** @type {Array<MasterMigration | MigrationStatus>} */ (raw.filter((m) => typeof m === 'object' && m !== null)).map(migrationView);
  const running = all.filter((v) => v.running);
  const ended = all
    .filter((v) => !v.running)
    .sort((a, b) => (b.endedAt ?? '').localeCompare(a.endedAt ?? ''))
    .slice(0, RECENT_MOVES_SHOWN);
  return html`<h3>In progress (${running.length})</h3>
    ${running.length === 0 ? html`<p class="empty">No tablet is moving.</p>` : movesTable(running, now)}
    <h3>Recent</h3>
    ${ended.length === 0 ? html`<p class="empty">No move has ended yet.</p>` : movesTable(ended, now)}`;
}
