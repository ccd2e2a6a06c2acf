// @ts-check
// The balancer section of the web page (GET /v1/balancer/decisions): what
// the balancer decided and why. Pure.
//
// A decision record is one run of the planner (BalancerDecision: when, what
// triggered it, dry run or not, the skew in bytes and request rate before
// and after its plan, whether that leaves the cluster balanced, the moves
// it planned — each with its reason, one-sentence explanation and figures,
// and the move started for it or why none could be —, merge candidates and
// notes on why the plan stops where it does). Runs that planned nothing are
// folded into a count, except the newest, whose notes say why nothing
// moves. A record of another shape (no `moves` list) is shown by its time,
// tablet, from → to, reason, figures and outcome, and any other plain field
// as "name: value", so the section never hides what the master said.

import { formatAge, formatBytes, formatMs, formatRate, formatTime } from './format.js';
import { html } from './html.js';
import { notOk } from './optional.js';

/** @template T @typedef {import('./optional.js').Optional<T>} Optional */

/**
 * @typedef {{ bytes: number, rate: number }} Skew
 * @typedef {{ tabletId: string, table: string, from: string, to: string, reason: string, diskBytes?: number, requestsPerSec?: number,
 *   skewBefore?: Skew, skewAfter?: Skew, explanation?: string, migrationId?: string, error?: string }} PlannedMove
 * @typedef {{ table: string, tabletIds: string[], diskBytes?: number, requestsPerSec?: number, explanation?: string }} PlannedMerge
 * @typedef {{ decisionId?: string, at: string, trigger?: string, dryRun?: boolean, running?: number, skewBefore?: Skew, skewAfter?: Skew,
 *   balanced?: boolean, moves: PlannedMove[], merges?: PlannedMerge[], notes?: string[] }} BalancerRun
 * @typedef {{ intervalMs?: number, bytesSkewThreshold?: number, rateSkewThreshold?: number, maxConcurrentMoves?: number }} BalancerSettings
 */

/** Runs shown (those that planned something, and always the newest). */
export const DECISIONS_SHOWN = 20;

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

/** "900 MiB → 100 MiB" for bytes and "40/s → 12/s" for rate. @param {Skew | undefined} before @param {Skew | undefined} after */
function skewText(before, after) {
  if (before === undefined) return '';
  const arrow = (/** @type {string} */ a, /** @type {string | undefined} */ b) => (b === undefined || a === b ? a : `${a} → ${b}`);
  return html`<div class="kv">bytes ${arrow(formatBytes(before.bytes), after && formatBytes(after.bytes))}</div>
    <div class="kv">rate ${arrow(`${formatRate(before.rate)}/s`, after && `${formatRate(after.rate)}/s`)}</div>`;
}

/** @param {PlannedMove} m */
function plannedMove(m) {
  const started = m.migrationId !== undefined ? html` <span class="sub id" title="the move started for it">${m.migrationId}</span>` : '';
  return html`<li class="planned-move">
    <span class="id">${m.tabletId}</span> <span class="sub">${m.table}</span> <span class="id">${m.from}</span> → <span class="id">${m.to}</span>
    <span class="badge warn">${m.reason}</span>${started} ${m.explanation === undefined ? '' : html`<div class="reason-text">${m.explanation}</div>`}
    <div>
      ${m.diskBytes === undefined ? '' : html`<span class="chip">size ${formatBytes(m.diskBytes)}</span>`}${
        m.requestsPerSec === undefined ? '' : html`<span class="chip">rate ${formatRate(m.requestsPerSec)}/s</span>`
      }${m.skewAfter === undefined ? '' : html`<span class="chip">skew after: ${formatBytes(m.skewAfter.bytes)}, ${formatRate(m.skewAfter.rate)}/s</span>`}
    </div>
    ${m.error === undefined ? '' : html`<div class="reason">not started: ${m.error}</div>`}
  </li>`;
}

/** @param {BalancerRun} d @param {number} now */
function runRow(d, now) {
  const merges = d.merges ?? [];
  const notes = d.notes ?? [];
  const outcome = d.balanced === true ? html`<span class="badge ok">balanced</span>` : d.balanced === false ? html`<span class="badge warn">unbalanced</span>` : '';
  return html`<tr class="decision" data-decision-id="${d.decisionId ?? ''}">
    <td class="sub" title="${d.at}">
      ${formatTime(d.at, now)}
      <div>${formatAge(d.at, now)}</div>
    </td>
    <td>
      ${d.trigger === undefined ? '' : html`<span class="badge info">${d.trigger}</span>`}${d.dryRun === true ? html` <span class="badge muted">dry run</span>` : ''}
      ${d.running === undefined ? '' : html`<div class="sub">${d.running} running</div>`}
    </td>
    <td class="sub">${skewText(d.skewBefore, d.skewAfter)}</td>
    <td>
      ${outcome} ${d.moves.length === 0 ? html`<span class="muted">no move</span>` : html`<b>${d.moves.length}</b> ${d.moves.length === 1 ? 'move' : 'moves'}`}
      ${
        d.moves.length === 0
          ? ''
          : html`<ul class="plan">
              ${d.moves.map(plannedMove)}
            </ul>`
      }
      ${
        merges.length === 0
          ? ''
          : html`<ul class="plan">
              ${merges.map((m) => html`<li><span class="badge muted">merge candidate</span> <span class="sub">${m.table}</span> ${m.tabletIds.map((id, i) => html`${i > 0 ? ' + ' : ''}<span class="id">${id}</span>`)}${m.explanation === undefined ? '' : html`<div class="reason-text">${m.explanation}</div>`}</li>`)}
            </ul>`
      }
      ${
        notes.length === 0
          ? ''
          : html`<ul class="notes">
              ${notes.map((n) => html`<li>${n}</li>`)}
            </ul>`
      }
    </td>
  </tr>`;
}

const KNOWN_FIELDS = new Set([
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
  if (v !== null && typeof v === 'object' && 'serverId' in v && typeof v.serverId === 'string') return v.serverId;
  return undefined;
}

/** A record of a shape this page does not know: its plain fields, nothing dropped silently. @param {Record<string, unknown>} d @param {number} now */
function otherRow(d, now) {
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
    <td></td>
    <td>
      ${typeof d.tabletId === 'string' ? html`<span class="id">${d.tabletId}</span> ` : ''}${typeof d.table === 'string' ? html`<span class="sub">${d.table}</span> ` : ''}${
        from !== undefined || to !== undefined ? html`<span class="id">${from ?? '?'}</span> → <span class="id">${to ?? '?'}</span>` : ''
      }
      <div class="reason-text">${typeof d.reason === 'string' ? d.reason : ''}</div>
      <div>${chips(figures, () => true)}${chips(d, (k) => !KNOWN_FIELDS.has(k))}</div>
      ${typeof d.error === 'string' ? html`<div class="reason">${d.error}</div>` : ''}
      ${outcome === undefined ? '' : html`<span class="badge">${outcome}</span>`}${typeof d.migrationId === 'string' ? html` <span class="sub id">${d.migrationId}</span>` : ''}
    </td>
  </tr>`;
}

/** @param {BalancerSettings | undefined} s */
function settingsLine(s) {
  if (s === undefined || typeof s !== 'object') return '';
  const parts = [
    s.intervalMs === undefined ? undefined : s.intervalMs === 0 ? 'runs on demand only' : `runs every ${formatMs(s.intervalMs)}`,
    s.bytesSkewThreshold === undefined ? undefined : `moves when the bytes skew passes ${formatBytes(s.bytesSkewThreshold)}`,
    s.rateSkewThreshold === undefined ? undefined : `or the rate skew ${formatRate(s.rateSkewThreshold)}/s`,
    s.maxConcurrentMoves === undefined ? undefined : `at most ${s.maxConcurrentMoves} moves at once`,
  ].filter((x) => x !== undefined);
  return parts.length === 0 ? '' : html`<p class="sub settings">The balancer ${parts.join(', ')}.</p>`;
}

/** @param {Record<string, unknown>} d */
function when(d) {
  return [d.at, d.decidedAt, d.time].map((x) => (typeof x === 'string' ? Date.parse(x) : NaN)).find((t) => !Number.isNaN(t)) ?? 0;
}

/** @param {Optional<unknown>} r @param {number} now */
export function renderDecisions(r, now) {
  const off = notOk(r, 'GET /v1/balancer/decisions');
  if (off !== undefined || r.status !== 'ok') return off;
  const data = /** @type {{ decisions?: unknown, settings?: BalancerSettings } | unknown[] | null} */ (r.data);
  const list = Array.isArray(data) ? data : Array.isArray(data?.decisions) ? data.decisions : [];
  const settings = Array.isArray(data) ? undefined : data?.settings;
  const records = /** @type {Array<Record<string, unknown>>} */ (list.filter((d) => d !== null && typeof d === 'object'));
  if (records.length === 0)
    return html`${settingsLine(settings)}
      <p class="empty">The balancer has made no decision yet.</p>`;
  const newestFirst = records
    .map((d, i) => ({ d, i, t: when(d) }))
    .sort((a, b) => b.t - a.t || a.i - b.i)
    .map((x) => x.d);
  const isRun = (/** @type {Record<string, unknown>} */ d) => Array.isArray(d.moves);
  /** @param {Record<string, unknown>} d */
  const planned = (d) => !isRun(d) || /** @type {unknown[]} */ (d.moves).length > 0 || (Array.isArray(d.merges) && d.merges.length > 0);
  const shown = newestFirst.filter((d, i) => i === 0 || planned(d)).slice(0, DECISIONS_SHOWN);
  const quiet = newestFirst.slice(1).filter((d) => !planned(d)).length;
  return html`${settingsLine(settings)}
    <table class="grid decisions">
      <thead>
        <tr>
          <th>when (UTC)</th>
          <th>trigger</th>
          <th>skew before → after</th>
          <th>plan, reasons and figures</th>
        </tr>
      </thead>
      <tbody>
        ${shown.map((d) => (isRun(d) ? runRow(/** @type {BalancerRun} */ (/** @type {unknown} */ (d)), now) : otherRow(d, now)))}
      </tbody>
    </table>
    ${quiet === 0 ? '' : html`<p class="sub">${quiet} earlier ${quiet === 1 ? 'run' : 'runs'} that planned nothing not shown.</p>`}`;
}
