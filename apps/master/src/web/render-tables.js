// @ts-check
// The tables section of the web page: every table (GET /v1/tables) with
// its tablets (GET /v1/tables/{table}: ranges, locations, sizes, states
// and the reason a tablet is unassigned or unavailable). Pure: the caller
// passes the replies and which tables the person folded or unfolded.
//
// Ranges are shown as (lower, upper] — the API's lowerExclusive and
// upperInclusive — through showBytes, so a key of any bytes is readable
// and can never become markup. A table with more than MAX_TABLETS_SHOWN
// tablets shows the first ones and says how many are left out. With more
// than DESCRIBE_ALL_UP_TO tables, a refresh reads the tablets of the
// unfolded tables only (tablesToDescribe), so the page costs the master
// a bounded number of reads.

import { formatBytes, formatRate } from './format.js';
import { html, showBytes } from './html.js';

/** @typedef {import('@kdi/protocol').TableSummary} TableSummary */
/** @typedef {import('@kdi/protocol').TableDescription} TableDescription */
/** @typedef {import('@kdi/protocol').MasterTablet} MasterTablet */

export const MAX_TABLETS_SHOWN = 200;
/** Tables with at most this many tablets start unfolded. */
const OPEN_BY_DEFAULT_UP_TO = 32;

const STATE_CLASS = { serving: 'ok', loading: 'info', migrating: 'info', unloading: 'info', unassigned: 'warn', unavailable: 'bad' };

/** @param {string} state */
function stateBadge(state) {
  return html`<span class="badge ${/** @type {Record<string, string>} */ (STATE_CLASS)[state] ?? 'warn'}">${state}</span>`;
}

/** "(lower, upper]" with −∞ / +∞ for an open end. @param {MasterTablet} t @param {string} encoding */
export function rangeText(t, encoding) {
  const lo = t.lowerExclusive === undefined ? '−∞' : `'${showBytes(t.lowerExclusive, encoding)}'`;
  const hi = t.upperInclusive === undefined ? '+∞' : `'${showBytes(t.upperInclusive, encoding)}'`;
  return `(${lo}, ${hi}]`;
}

/** "3 serving 1 unavailable", each state a badge @param {MasterTablet[]} tablets */
function stateCounts(tablets) {
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const t of tablets) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
  return [...counts].map(([state, n]) => html`<span class="count">${n} ${stateBadge(state)}</span>`);
}

/** @param {MasterTablet} t @param {string} encoding */
function tabletRow(t, encoding) {
  return html`<tr class="tablet ${t.state}" data-tablet-id="${t.tabletId ?? ''}">
    <td class="range">${rangeText(t, encoding)}</td>
    <td class="id">${t.tabletId ?? '–'}</td>
    <td>
      ${t.location === undefined ? html`<span class="muted">–</span>` : html`<span class="id">${t.location.serverId}</span> <span class="sub">epoch ${t.location.epoch}</span>`}
    </td>
    <td>${stateBadge(t.state)}${t.reason === undefined ? '' : html`<div class="reason">${t.reason}</div>`}</td>
    <td class="num">${formatBytes(t.diskBytes)}</td>
    <td class="num">${formatRate(t.readsPerSec)}</td>
    <td class="num">${formatRate(t.writesPerSec)}</td>
  </tr>`;
}

/**
 * @typedef {{ status: 'ok', data: TableDescription, stale?: string } | { status: 'error', message: string }} DescribeResult
 */

/** Whether a table's tablets are shown: the person's choice, else open when it is small. @param {TableSummary} t @param {Map<string, boolean>} folded */
export function isOpen(t, folded) {
  return folded.get(t.name) ?? t.tablets <= OPEN_BY_DEFAULT_UP_TO;
}

/** With more tables than this, only the unfolded ones are described on each refresh. */
export const DESCRIBE_ALL_UP_TO = 100;

/** The tables whose tablets a refresh reads (GET /v1/tables/{table}). @param {TableSummary[]} tables @param {Map<string, boolean>} folded */
export function tablesToDescribe(tables, folded) {
  return tables.length <= DESCRIBE_ALL_UP_TO ? tables : tables.filter((t) => isOpen(t, folded));
}

/**
 * @param {TableSummary[]} tables the list, in the master's order
 * @param {Map<string, DescribeResult>} described each table's description (a table dropped meanwhile may be missing)
 * @param {Map<string, boolean>} folded the person's choice per table (true: open), kept across refreshes
 */
export function renderTables(tables, described, folded) {
  if (tables.length === 0) return html`<p class="empty">No tables yet. Create one with <code>kdi tables create NAME</code> or <code>POST /v1/tables</code>.</p>`;
  const sorted = [...tables].sort((a, b) => a.name.localeCompare(b.name));
  return html`${sorted.map((t) => {
    const d = described.get(t.name);
    const open = isOpen(t, folded);
    let body;
    if (d === undefined) body = html`<p class="muted">(its tablets are read when it is unfolded)</p>`;
    else if (d.status === 'error') body = html`<p class="error">Could not describe it: ${d.message}</p>`;
    else {
      const shown = d.data.tablets.slice(0, MAX_TABLETS_SHOWN);
      const more = d.data.tablets.length - shown.length;
      body = html`${d.stale === undefined ? '' : html`<p class="error stale-note">Not refreshed: ${d.stale}. Showing its last tablets.</p>`}
        <table class="grid tablets">
          <thead>
            <tr>
              <th>range (lower, upper]</th>
              <th>tablet</th>
              <th>location</th>
              <th>state</th>
              <th class="num">bytes</th>
              <th class="num">reads/s</th>
              <th class="num">writes/s</th>
            </tr>
          </thead>
          <tbody>
            ${shown.map((x) => tabletRow(x, d.data.encoding))}
          </tbody>
        </table>
        ${more > 0 ? html`<p class="muted">… and ${more} more tablets (the CLI lists them all: <code>kdi tablets ${t.name}</code>)</p>` : ''}`;
    }
    const states = d?.status === 'ok' ? stateCounts(d.data.tablets) : '';
    return html`<details class="table" data-table="${t.name}" ${open ? html`open` : ''}>
      <summary>
        <span class="name">${t.name}</span>
        ${t.state === 'deleting' ? html`<span class="badge warn">deleting</span>` : ''}
        <span class="kv"><span data-field="tablets">${t.tablets}</span> tablets</span>
        <span class="kv">${formatBytes(t.diskBytes)}</span>
        <span class="kv">${states}</span>
      </summary>
      ${body}
    </details>`;
  })}`;
}
