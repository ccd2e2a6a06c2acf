// @ts-check
// The servers and disks sections of the web page: pure functions from the
// master's GET /v1/servers reply (MasterServer, libs/protocol master-api)
// to markup. A dead server stays listed (the master keeps those it saw);
// a live one whose last heartbeat is older than `staleAfterMs` is marked
// stale, since its figures are then old.

import { bar, formatAge, formatBytes, formatMs, formatRate, formatTime, percent } from './format.js';
import { html } from './html.js';

/** @typedef {import('@kdi/protocol').MasterServer} MasterServer */
/** @typedef {import('@kdi/protocol').DiskStatus} DiskStatus */

/** A lease with less than this left is shown as a warning. */
const LEASE_WARN_MS = 1000;

/** @param {MasterServer} s @param {number} now @param {number} staleAfterMs */
function liveness(s, now, staleAfterMs) {
  if (s.state === 'dead') return html`<span class="badge bad">dead</span>`;
  const last = s.lastHeartbeatAt === undefined ? NaN : Date.parse(s.lastHeartbeatAt);
  if (Number.isNaN(last)) return html`<span class="badge warn" title="no heartbeat received yet">live, no heartbeat</span>`;
  if (now - last > staleAfterMs) return html`<span class="badge warn" title="the last heartbeat is old">live, stale</span>`;
  return html`<span class="badge ok">live</span>`;
}

/** Being drained (a field of masters that drain servers): it gets no new tablets and its tablets are moved off. @param {MasterServer} s */
function draining(s) {
  return /** @type {{ draining?: unknown }} */ (s).draining === true
    ? html` <span class="badge warn" title="it gets no new tablets; its tablets are being moved off">draining</span>`
    : '';
}

/** @param {MasterServer} s */
function lease(s) {
  if (s.leaseRemainingMs === undefined) return html`<span class="muted">–</span>`;
  const cls = s.leaseRemainingMs < LEASE_WARN_MS ? 'warn' : '';
  return html`<span class="${cls}">${formatMs(s.leaseRemainingMs)}</span>`;
}

/** @param {MasterServer} s */
function memory(s) {
  const m = s.memory;
  if (m === undefined) return html`<span class="muted">–</span>`;
  const frag = bar(
    [{ value: m.memoryFragmentBytes, kind: 'used', title: `memory fragments ${formatBytes(m.memoryFragmentBytes)}` }],
    m.memoryBudgetBytes,
    `${formatBytes(m.memoryFragmentBytes)} / ${formatBytes(m.memoryBudgetBytes)}`,
  );
  return html`<div class="mem"><span class="kv">rss ${formatBytes(m.rssBytes)}</span> <span class="kv">heap ${formatBytes(m.heapUsedBytes)}</span></div>
    <div class="mem" title="the engine's memory fragments against their budget">${frag}</div>`;
}

/** The servers table. @param {MasterServer[]} servers @param {number} now @param {number} staleAfterMs */
export function renderServers(servers, now, staleAfterMs) {
  if (servers.length === 0) return html`<p class="empty">No tablet server has registered with this master yet.</p>`;
  const sorted = [...servers].sort((a, b) => (a.state === b.state ? a.serverId.localeCompare(b.serverId) : a.state === 'live' ? -1 : 1));
  const rows = sorted.map((s) => {
    return html`<tr class="server ${s.state}" data-server-id="${s.serverId}">
      <td>
        <span class="id">${s.serverId}</span>
        <div class="sub">${s.url}</div>
      </td>
      <td>
        ${liveness(s, now, staleAfterMs)}${draining(s)}
        <div class="sub" title="${s.lastHeartbeatAt ?? ''}">heartbeat ${formatAge(s.lastHeartbeatAt, now)}</div>
      </td>
      <td class="num">${lease(s)}</td>
      <td class="num" data-field="tablets">${s.tablets}</td>
      <td class="num" data-field="diskBytes" title="${s.diskBytes} bytes">${formatBytes(s.diskBytes)}</td>
      <td class="num">${formatRate(s.readsPerSec)}</td>
      <td class="num">${formatRate(s.writesPerSec)}</td>
      <td>${memory(s)}</td>
      <td class="sub">${formatTime(s.startedAt, now)}</td>
    </tr>`;
  });
  return html`<table class="grid">
    <thead>
      <tr>
        <th>server</th>
        <th>liveness</th>
        <th class="num" title="what is left of its lock-service lease">lease</th>
        <th class="num">tablets</th>
        <th class="num">bytes</th>
        <th class="num">reads/s</th>
        <th class="num">writes/s</th>
        <th>memory (rss, heap; memory fragments / budget)</th>
        <th>started (UTC)</th>
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
  </table>`;
}

/** @param {DiskStatus} d */
function diskBar(d) {
  const used = Math.max(0, d.capacityBytes - d.freeBytes);
  const kdi = Math.min(d.kdiBytes, used);
  const label = `${formatBytes(used)} of ${formatBytes(d.capacityBytes)} used (${percent(used, d.capacityBytes).toFixed(0)}%), ${formatBytes(d.freeBytes)} free`;
  const usedPct = percent(used, d.capacityBytes);
  return bar(
    [
      { value: kdi, kind: 'kdi', title: `KDI files ${formatBytes(d.kdiBytes)}` },
      { value: used - kdi, kind: usedPct >= 90 ? 'other full' : 'other', title: `other files ${formatBytes(used - kdi)}` },
    ],
    d.capacityBytes,
    label,
  );
}

/** Every data directory of every server that reported its disks. @param {MasterServer[]} servers */
export function renderDisks(servers) {
  const withDisks = [...servers].filter((s) => s.disks.length > 0).sort((a, b) => a.serverId.localeCompare(b.serverId));
  if (withDisks.length === 0) return html`<p class="empty">No server has reported its disks yet (they come with heartbeats).</p>`;
  const rows = withDisks.flatMap((s) =>
    s.disks.map(
      (d, i) =>
        html`<tr data-server-id="${s.serverId}" data-disk="${d.path}">
          <td>${i === 0 ? html`<span class="id">${s.serverId}</span>` : ''}</td>
          <td class="path">${d.path}</td>
          <td data-field="state" title="${d.reason ?? ''}">${d.state ?? '-'}${d.reason === undefined ? '' : html`: ${d.reason}`}</td>
          <td class="num" data-field="kdiBytes" title="${d.kdiBytes} bytes">${formatBytes(d.kdiBytes)}</td>
          <td class="wide">${diskBar(d)}</td>
        </tr>`,
    ),
  );
  return html`<table class="grid">
    <thead>
      <tr>
        <th>server</th>
        <th>data directory</th>
        <th>state</th>
        <th class="num">KDI bytes</th>
        <th>
          filesystem <span class="legend"><span class="sw kdi"></span>KDI <span class="sw other"></span>other</span>
        </th>
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
  </table>`;
}
