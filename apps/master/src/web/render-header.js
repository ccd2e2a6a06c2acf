// @ts-check
// The page's header: which master this is (active or standby, with the
// cluster's counts and where META is served) and how fresh the figures are. A standby names the
// active master, linked when its URL is http(s). Pure.

import { formatAge, formatTime } from './format.js';
import { html, safeHref } from './html.js';

/** @typedef {import('@kdi/protocol').MasterStatusReply} MasterStatusReply */

/** GET /v1/meta/location's reply (MetaLocationReplySchema). @typedef {{ table: 'META', location?: { serverId: string, url: string, epoch: number } }} MetaLocationReply */

/**
 * @param {{ status: 'ok', data: MasterStatusReply } | { status: 'error', message: string, unreachable?: boolean, activeMaster?: string }} r
 *   an error with `unreachable` is a master that did not answer at all; without it, one that answered with an error (e.g. while it stops)
 * @param {number} now
 * @param {MetaLocationReply} [meta] where META is served (absent: not known)
 */
export function renderMaster(r, now, meta) {
  if (r.status === 'error') {
    const href = safeHref(r.activeMaster);
    return html`<span class="badge bad">${r.unreachable === true ? 'unreachable' : 'error'}</span> <span class="error">${r.message}</span>${
        href === undefined ? '' : html` — the active master is <a href="${href}">${r.activeMaster}</a>`
      }`;
  }
  const m = r.data;
  const role = m.role === 'active' ? html`<span class="badge ok" data-field="role">active</span>` : html`<span class="badge warn" data-field="role">standby</span>`;
  return html`${role} <span class="kv">${m.url}</span>
    ${m.activeSince === undefined ? '' : html`<span class="kv" title="${m.activeSince}">since ${formatTime(m.activeSince, now)} (${formatAge(m.activeSince, now)})</span>`}
    <span class="kv"><b data-field="servers">${m.servers}</b> servers</span>
    <span class="kv"><b data-field="tables">${m.tables}</b> tables</span>
    <span class="kv"><b data-field="tablets">${m.tablets}</b> tablets</span>
    <span class="kv ${m.unavailableTablets > 0 ? 'bad-text' : ''}"><b data-field="unavailable">${m.unavailableTablets}</b> unavailable</span>
    ${meta === undefined ? '' : meta.location === undefined ? html`<span class="kv bad-text">META not assigned</span>` : html`<span class="kv">META on <span class="id" data-field="meta">${meta.location.serverId}</span></span>`}
    <span class="kv sub">lock service ${m.lockUrl}</span>`;
}

/** A standby serves no cluster state: what the sections say instead. @param {string} activeMaster */
export function renderStandby(activeMaster) {
  const href = safeHref(activeMaster);
  return html`<p class="empty">
    This master is a standby: the cluster's state is on the active master${href === undefined ? '' : html`, <a href="${href}">${activeMaster}</a>`}.
  </p>`;
}
