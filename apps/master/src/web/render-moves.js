// @ts-check
// The moves and balancer sections of the web page: tablet migrations
// (GET /v1/migrations, MigrationStatus of docs/migration.md) with progress
// bars, and the balancer's decisions with their reasons (GET
// /v1/balancer/decisions). Both routes are newer than the page's other
// sources: a master without them answers 404, and the section then says
// "not available on this master" instead of failing the page.
//
// The decision records' shape is not pinned in docs/migration.md beyond
// "the reason and the figures behind each": the renderer reads the fields
// it knows (time, tablet, from/to, reason, figures, outcome) and shows any
// other plain field as "name: value", so a richer record still reads well.

import { bar, formatAge, formatBytes, formatMs, formatTime } from './format.js';
import { html } from './html.js';

/**
 * @template T
 * @typedef {{ status: 'ok', data: T } | { status: 'absent' } | { status: 'error', message: string }} Optional
 */

/**
 * @typedef {{ serverId: string, url?: string }} Peer
 * @typedef {{
 *   migrationId: string, tabletId: string, table: string, role: 'source' | 'target', peer: Peer,
 *   step: string, bytesCopied: number, bytesTotal: number, filesCopied: number, filesTotal: number,
 *   startedAt: string, endedAt?: string, steps: Array<{ step: string, ms: number }>,
 *   outcome?: 'committed' | 'aborted', error?: string, writeStallMs?: number,
 *   serverId?: string, source?: Peer, target?: Peer
 * }} MigrationStatus
 */

/** Ended moves shown under the running ones. */
export const RECENT_MOVES_SHOWN = 10;
export const DECISIONS_SHOWN = 20;

/** @param {Optional<unknown>} r @param {string} route */
function unavailable(r, route) {
  if (r.status === 'absent') return html`<p class="empty">Not available on this master (it has no <code>${route}</code>).</p>`;
  if (r.status === 'error') return html`<p class="error">Could not read <code>${route}</code>: ${r.message}</p>`;
  return undefined;
}

/** Where a move goes from and to, whichever side reported it. @param {MigrationStatus} m */
export function moveEnds(m) {
  const self = m.serverId ?? '?';
  const from = m.source?.serverId ?? (m.role === 'target' ? m.peer?.serverId : self);
  const to = m.target?.serverId ?? (m.role === 'target' ? self : m.peer?.serverId);
  return { from: from ?? '?', to: to ?? '?' };
}

/** @param {MigrationStatus} m @param {number} now */
function moveRow(m, now) {
  const { from, to } = moveEnds(m);
  const started = Date.parse(m.startedAt);
  const ended = m.endedAt === undefined ? now : Date.parse(m.endedAt);
  const progress = bar(
    [{ value: m.bytesCopied, kind: m.outcome === 'aborted' ? 'bad' : 'used', title: `${m.bytesCopied} of ${m.bytesTotal} bytes` }],
    m.bytesTotal > 0 ? m.bytesTotal : m.outcome === 'committed' ? m.bytesCopied || 1 : 1,
    `${formatBytes(m.bytesCopied)} / ${formatBytes(m.bytesTotal)}, ${m.filesCopied}/${m.filesTotal} files`,
  );
  const outcome =
    m.outcome === 'committed'
      ? html`<span class="badge ok">committed</span>`
      : m.outcome === 'aborted'
        ? html`<span class="badge bad">aborted</span>`
        : html`<span class="badge info">${m.step}</span>`;
  return html`<tr class="move" data-migration-id="${m.migrationId}">
    <td>
      <span class="id">${m.tabletId}</span>
      <div class="sub">${m.table}</div>
    </td>
    <td><span class="id">${from}</span> → <span class="id">${to}</span></td>
    <td>${outcome}${m.error === undefined ? '' : html`<div class="reason">${m.error}</div>`}</td>
    <td class="wide">${progress}</td>
    <td class="num">
      ${Number.isNaN(started) || Number.isNaN(ended) || ended < started ? '–' : formatMs(ended - started)}
      <div class="sub">from ${formatTime(m.startedAt, now)}</div>
    </td>
    <td class="sub">
      ${(m.steps ?? []).map((s, i) => html`${i > 0 ? ' · ' : ''}${s.step} ${formatMs(s.ms)}`)}${m.writeStallMs === undefined ? '' : html`<div>write stall ${formatMs(m.writeStallMs)}</div>`}
    </td>
  </tr>`;
}

/** @param {MigrationStatus[]} list @param {number} now */
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
      ${list.map((m) => moveRow(m, now))}
    </tbody>
  </table>`;
}

/** @param {Optional<{ migrations: MigrationStatus[] }>} r @param {number} now */
export function renderMigrations(r, now) {
  const off = unavailable(r, 'GET /v1/migrations');
  if (off !== undefined || r.status !== 'ok') return off;
  const all = Array.isArray(r.data?.migrations) ? r.data.migrations : [];
  const running = all.filter((m) => m.endedAt === undefined && m.outcome === undefined);
  const ended = all
    .filter((m) => !running.includes(m))
    .sort((a, b) => (b.endedAt ?? '').localeCompare(a.endedAt ?? ''))
    .slice(0, RECENT_MOVES_SHOWN);
  return html`<h3>In progress (${running.length})</h3>
    ${running.length === 0 ? html`<p class="empty">No tablet is moving.</p>` : movesTable(running, now)}
    <h3>Recent</h3>
    ${ended.length === 0 ? html`<p class="empty">No move has ended yet.</p>` : movesTable(ended, now)}`;
}

const KNOWN_DECISION_FIELDS = new Set([
  'at',
  'decidedAt',
  'time',
  'kind',
  'action',
  'tabletId',
  'table',
  'from',
  'to',
  'source',
  'target',
  'reason',
  'figures',
  'dryRun',
  'migrationId',
  'outcome',
  'status',
  'error',
  'seq',
  'id',
]);

/** A server named as a string or as {serverId}. @param {unknown} v @returns {string | undefined} */
function serverName(v) {
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object' && typeof (/** @type {{serverId?: unknown}} */ (v).serverId) === 'string') return /** @type {{serverId: string}} */ (v).serverId;
  return undefined;
}

/** A figure as a person reads it: `…Bytes` as a size, `…Ms` as a duration, fractions to 3 places. @param {string} k @param {unknown} v */
export function figure(k, v) {
  if (typeof v !== 'number') return String(v);
  if (/bytes$/i.test(k)) return formatBytes(v);
  if (/Ms$/.test(k)) return formatMs(v);
  return Number.isInteger(v) ? String(v) : v.toFixed(3).replace(/\.?0+$/, '');
}

/** "name: value" chips for plain fields (numbers, strings, booleans). @param {Record<string, unknown>} o @param {(k: string) => boolean} keep */
function chips(o, keep) {
  return Object.entries(o)
    .filter(([k, v]) => keep(k) && (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean'))
    .map(([k, v]) => html`<span class="chip" title="${String(v)}">${k}: ${figure(k, v)}</span>`);
}

/** @param {Record<string, unknown>} d @param {number} now */
function decisionRow(d, now) {
  const at = /** @type {string | undefined} */ ([d.at, d.decidedAt, d.time].find((x) => typeof x === 'string'));
  const from = serverName(d.from) ?? serverName(d.source);
  const to = serverName(d.to) ?? serverName(d.target);
  const what = typeof d.kind === 'string' ? d.kind : typeof d.action === 'string' ? d.action : d.tabletId !== undefined ? 'move' : 'decision';
  const outcome = typeof d.outcome === 'string' ? d.outcome : typeof d.status === 'string' ? d.status : undefined;
  const figures = d.figures !== null && typeof d.figures === 'object' ? /** @type {Record<string, unknown>} */ (d.figures) : {};
  return html`<tr class="decision">
    <td class="sub" title="${at ?? ''}">
      ${formatTime(at, now)}
      <div>${formatAge(at, now)}</div>
    </td>
    <td><span class="badge info">${what}</span>${d.dryRun === true ? html` <span class="badge muted">dry run</span>` : ''}</td>
    <td>${typeof d.tabletId === 'string' ? html`<span class="id">${d.tabletId}</span>` : ''}${typeof d.table === 'string' ? html`<div class="sub">${d.table}</div>` : ''}</td>
    <td>${from !== undefined || to !== undefined ? html`<span class="id">${from ?? '?'}</span> → <span class="id">${to ?? '?'}</span>` : ''}</td>
    <td>
      <div class="reason-text">${typeof d.reason === 'string' ? d.reason : ''}</div>
      <div>${chips(figures, () => true)}${chips(d, (k) => !KNOWN_DECISION_FIELDS.has(k))}</div>
      ${typeof d.error === 'string' ? html`<div class="reason">${d.error}</div>` : ''}
    </td>
    <td>${outcome === undefined ? '' : html`<span class="badge">${outcome}</span>`}${typeof d.migrationId === 'string' ? html`<div class="sub id">${d.migrationId}</div>` : ''}</td>
  </tr>`;
}

/** @param {Optional<unknown>} r @param {number} now */
export function renderDecisions(r, now) {
  const off = unavailable(r, 'GET /v1/balancer/decisions');
  if (off !== undefined || r.status !== 'ok') return off;
  const data = /** @type {unknown} */ (r.data);
  const list = Array.isArray(data)
    ? data
    : data !== null && typeof data === 'object' && Array.isArray(/** @type {{decisions?: unknown}} */ (data).decisions)
      ? /** @type {{decisions: unknown[]}} */ (data).decisions
      : [];
  const decisions = /** @type {Array<Record<string, unknown>>} */ (list.filter((d) => d !== null && typeof d === 'object'));
  if (decisions.length === 0) return html`<p class="empty">The balancer has made no decision yet.</p>`;
  /** @param {Record<string, unknown>} d */
  const when = (d) => [d.at, d.decidedAt, d.time].map((x) => (typeof x === 'string' ? Date.parse(x) : NaN)).find((t) => !Number.isNaN(t)) ?? 0;
  const newestFirst = decisions
    .map((d, i) => ({ d, i, t: when(d) }))
    .sort((a, b) => b.t - a.t || b.i - a.i)
    .slice(0, DECISIONS_SHOWN)
    .map((x) => x.d);
  return html`<table class="grid decisions">
    <thead>
      <tr>
        <th>when (UTC)</th>
        <th>what</th>
        <th>tablet</th>
        <th>from → to</th>
        <th>reason and figures</th>
        <th>outcome</th>
      </tr>
    </thead>
    <tbody>
      ${newestFirst.map((d) => decisionRow(d, now))}
    </tbody>
  </table>`;
}
