// The web page's I/O (the master serves it at /; DESIGN §9, docs/master.md
// "Web page"): every refresh reads the master's JSON API — GET /v1/master,
// /v1/meta/location,
// /v1/servers, /v1/tables and /v1/tables/{table} for each table,
// /v1/events, /v1/migrations, /v1/balancer/decisions — in parallel, then
// hands the replies to the pure render functions (render-*.js) and puts
// their markup in the page. Nothing else builds markup, and the render
// functions escape every value they are given.
//
// Promises: a refresh that finds the master unreachable keeps the last
// figures on screen and says since when they are (the header says why);
// the next one is scheduled all the same. A route that answers an error
// shows that error in its own section (above the section's last figures,
// when it has some). A 404 from the migration or balancer routes means
// "not available on this master" (a master older than them). Refreshes are
// sequential (the next starts `refreshMs` after the last ended), paused
// while the tab is hidden or the person presses "pause". `?refresh=SECONDS`
// sets the interval (default 2, at least 0.5). With many tables only the
// unfolded ones' tablets are read; unfolding one reads it at once.
// body[data-refreshes] counts completed refreshes (the browser test waits
// on it).

import { renderDisks, renderServers } from './render-servers.js';
import { renderTables, tablesToDescribe } from './render-tables.js';
import { renderMigrations } from './render-migrations.js';
import { renderDecisions } from './render-decisions.js';
import { renderEvents } from './render-events.js';
import { renderMaster, renderStandby } from './render-header.js';
import { html } from './html.js';
import { formatTime } from './format.js';

const params = new URLSearchParams(location.search);
const refreshSeconds = Number(params.get('refresh') ?? '2');
const refreshMs = Number.isFinite(refreshSeconds) ? Math.max(500, refreshSeconds * 1000) : 2000;
/** A live server whose last heartbeat is older than this is shown as stale. */
const STALE_AFTER_MS = 10_000;
const EVENTS_SHOWN = 50;

/** The person's fold/unfold choice per table, kept across refreshes. */
const folded = new Map();
let paused = false;
let refreshes = 0;
/** When the sections were last drawn from the master's replies. */
let lastPainted;
/** Tables drawn without their tablets (folded, with many tables: render-tables.js tablesToDescribe). */
let undescribed = new Set();
/** Each table's last description that was an answer, not an error: kept on screen when a later one fails (a master stopping answers errors). */
const lastDescribed = new Map();
let timer;

const $ = (id) => document.getElementById(id);

/** GET a master route: {status:'ok', data} | {status:'absent'} (404) | {status:'error', message, details}. */
async function getJson(path) {
  let res;
  try {
    res = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' });
  } catch (e) {
    return { status: 'error', unreachable: true, message: `the master did not answer (${e instanceof Error ? e.message : String(e)})` };
  }
  let body;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  if (res.ok && body !== undefined) return { status: 'ok', data: body };
  if (res.status === 404) return { status: 'absent' };
  const err = body?.error;
  return { status: 'error', message: err?.message ?? `HTTP ${res.status}`, details: err?.details ?? {} };
}

async function load() {
  const [master, meta, servers, tables, events, migrations, decisions] = await Promise.all([
    getJson('/v1/master'),
    getJson('/v1/meta/location'),
    getJson('/v1/servers'),
    getJson('/v1/tables'),
    getJson(`/v1/events?limit=${EVENTS_SHOWN}`),
    getJson('/v1/migrations'),
    getJson('/v1/balancer/decisions'),
  ]);
  const described = new Map();
  if (tables.status === 'ok') {
    const wanted = tablesToDescribe(tables.data.tables, folded);
    const replies = await Promise.all(wanted.map((t) => getJson(`/v1/tables/${encodeURIComponent(t.name)}`)));
    wanted.forEach((t, i) => {
      const r = replies[i];
      if (r.status === 'ok') {
        described.set(t.name, r);
        lastDescribed.set(t.name, r);
      } else if (r.status === 'error') {
        const last = lastDescribed.get(t.name);
        described.set(t.name, last === undefined ? r : { ...last, stale: r.message });
      }
    });
  }
  return { master, meta, servers, tables, events, migrations, decisions, described };
}

/** Markup for a section whose source failed. */
function failed(r) {
  return r.status === 'absent' ? html`<p class="error">The master has no such route.</p>` : html`<p class="error">${r.message}</p>`;
}

/** Sections drawn from an answer (not an error) at least once: a later error keeps their figures. */
const drawn = new Set();

/**
 * A route answered an error: a section that has figures keeps them, under
 * a line saying the refresh failed (a master that is stopping answers
 * errors before it answers nothing); one that has none shows the error.
 */
function putFailed(id, r) {
  const el = $(id);
  if (el === null) return;
  if (!drawn.has(id)) {
    el.innerHTML = String(failed(r));
    return;
  }
  el.querySelector(':scope > .stale-note')?.remove();
  el.insertAdjacentHTML(
    'afterbegin',
    String(html`<p class="error stale-note">Not refreshed: ${r.status === 'absent' ? 'the master has no such route' : r.message}. Showing the last figures.</p>`),
  );
}

function put(id, markup) {
  const el = $(id);
  if (el === null) return;
  drawn.add(id);
  el.innerHTML = String(markup);
  // Bar widths: set through the CSSOM (the page's policy allows no inline style attributes).
  for (const seg of el.querySelectorAll('[data-w]')) seg.style.width = `${seg.dataset.w}%`;
}

function paint(s, now) {
  const standbyOf = [s.servers, s.tables].find((r) => r.status === 'error' && typeof r.details?.activeMaster === 'string')?.details.activeMaster;
  put(
    'master',
    s.master.status === 'ok'
      ? renderMaster(s.master, now, s.meta.status === 'ok' ? s.meta.data : undefined)
      : renderMaster({ status: 'error', message: s.master.message ?? 'no reply' }, now),
  );
  if (s.master.status === 'ok' && s.master.data.role === 'standby') {
    const note = renderStandby(standbyOf ?? '');
    for (const id of ['servers', 'disks', 'tables', 'moves', 'decisions', 'events']) put(id, note);
    return;
  }
  if (s.servers.status === 'ok') {
    put('servers', renderServers(s.servers.data.servers, now, STALE_AFTER_MS));
    put('disks', renderDisks(s.servers.data.servers));
  } else {
    putFailed('servers', s.servers);
    putFailed('disks', s.servers);
  }
  if (s.tables.status === 'ok') put('tables', renderTables(s.tables.data.tables, s.described, folded));
  else putFailed('tables', s.tables);
  undescribed = new Set(s.tables.status === 'ok' ? s.tables.data.tables.map((t) => t.name).filter((n) => !s.described.has(n)) : []);
  put('moves', renderMigrations(s.migrations, now));
  put('decisions', renderDecisions(s.decisions, now));
  if (s.events.status === 'ok') put('events', renderEvents(s.events.data.events, now, EVENTS_SHOWN));
  else putFailed('events', s.events);
}

/** Refreshes never overlap: one asked for while another runs happens right after it. */
let running = false;
let again = false;

async function refresh() {
  clearTimeout(timer);
  if (running) {
    again = true;
    return;
  }
  running = true;
  const status = $('refresh-status');
  try {
    const snapshot = await load();
    const now = Date.now();
    if (snapshot.master.unreachable === true) {
      // The master is down or the network is: keep the last figures, say since when they are.
      put('master', renderMaster(snapshot.master, now));
      status.textContent = lastPainted === undefined ? 'no figures yet' : `showing the figures of ${formatTime(new Date(lastPainted).toISOString(), now)} UTC; retrying`;
      status.classList.add('error');
    } else {
      paint(snapshot, now);
      lastPainted = now;
      status.textContent = `updated ${formatTime(new Date(now).toISOString(), now)} UTC, every ${refreshMs / 1000} s`;
      status.classList.remove('error');
    }
    refreshes++;
    document.body.dataset.refreshes = String(refreshes);
  } catch (e) {
    status.textContent = `refresh failed (${e instanceof Error ? e.message : String(e)}); showing the last figures`;
    status.classList.add('error');
  } finally {
    running = false;
  }
  if (again) {
    again = false;
    void refresh();
  } else schedule();
}

function schedule() {
  clearTimeout(timer);
  if (!paused && !document.hidden) timer = setTimeout(refresh, refreshMs);
}

$('tables').addEventListener(
  'toggle',
  (e) => {
    const d = e.target;
    if (!(d instanceof HTMLDetailsElement) || d.dataset.table === undefined) return;
    folded.set(d.dataset.table, d.open);
    // Unfolding a table whose tablets this refresh did not read: read them now.
    if (d.open && undescribed.has(d.dataset.table)) void refresh();
  },
  true,
);
$('pause').addEventListener('click', () => {
  paused = !paused;
  $('pause').textContent = paused ? 'resume' : 'pause';
  $('pause').setAttribute('aria-pressed', String(paused));
  if (paused) clearTimeout(timer);
  else void refresh();
});
document.addEventListener('visibilitychange', () => {
  if (!document.hidden && !paused) void refresh();
  else clearTimeout(timer);
});

void refresh();
