// @ts-check
// The recent-events section of the web page (GET /v1/events: oldest first,
// shown newest first) — pure.

import { formatAge, formatTime } from './format.js';
import { html } from './html.js';

/** @typedef {import('@kdi/protocol').ClusterEvent} ClusterEvent */

const KIND_CLASS = /** @type {Record<string, string>} */ ({
  'server-dead': 'bad',
  'tablet-unavailable': 'bad',
  error: 'bad',
  'master-elected': 'info',
  'server-joined': 'ok',
  'tablet-loaded': 'ok',
  'table-created': 'ok',
  'table-dropped': 'warn',
  'migration-started': 'info',
  'migration-committed': 'ok',
  'migration-aborted': 'bad',
  'balancer-run': 'info',
  'server-draining': 'warn',
  'server-drain-ended': 'ok',
});

/** @param {ClusterEvent[]} events @param {number} now @param {number} shown */
export function renderEvents(events, now, shown) {
  if (events.length === 0) return html`<p class="empty">No events yet.</p>`;
  const newest = [...events].sort((a, b) => b.seq - a.seq).slice(0, shown);
  return html`<table class="grid events">
    <thead>
      <tr>
        <th>#</th>
        <th>when (UTC)</th>
        <th>kind</th>
        <th>message</th>
        <th>table / tablet / server</th>
      </tr>
    </thead>
    <tbody>
      ${newest.map(
        (e) =>
          html`<tr class="event" data-seq="${e.seq}">
            <td class="num sub">${e.seq}</td>
            <td class="sub" title="${e.at} (${formatAge(e.at, now)})">${formatTime(e.at, now)}</td>
            <td><span class="badge ${KIND_CLASS[e.kind] ?? ''}">${e.kind}</span></td>
            <td class="message">${e.message}</td>
            <td class="sub">${[e.table, e.tabletId, e.serverId].filter((x) => x !== undefined).join(' · ')}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}
