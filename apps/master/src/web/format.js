// @ts-check
// Numbers, sizes, durations and times as the web page shows them, and the
// one progress/usage bar every section draws. Pure: the caller passes
// `now` (ms since the epoch) wherever an age is shown, and times are shown
// in UTC (the page says so), so output depends on the arguments alone.

import { html } from './html.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 → "1.5 KiB"; undefined → "–". @param {number | undefined} n */
export function formatBytes(n) {
  if (n === undefined || !Number.isFinite(n)) return '–';
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${UNITS[u]}`;
}

/** Requests per second: "0", "3.2", "41", "1.2k". @param {number | undefined} n */
export function formatRate(n) {
  if (n === undefined || !Number.isFinite(n)) return '–';
  if (n === 0) return '0';
  if (n >= 10_000) return `${(n / 1000).toFixed(0)}k`;
  if (n >= 1000) return `${(n / 1000).toFixed(1)}k`;
  return n >= 10 ? n.toFixed(0) : n.toFixed(1).replace(/\.0$/, '');
}

/** 850 → "850 ms", 2500 → "2.5 s", 150000 → "2 min 30 s", 60000 → "1 min". @param {number | undefined} ms */
export function formatMs(ms) {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${s % 60} s`;
  const min = Math.floor((s % 3600) / 60);
  return min === 0 ? `${Math.floor(s / 3600)} h` : `${Math.floor(s / 3600)} h ${min} min`;
}

/** How long ago an ISO time was, relative to `now`: "4 s ago". @param {string | undefined} iso @param {number} now */
export function formatAge(iso, now) {
  if (iso === undefined) return '–';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '–';
  const ago = now - t;
  return ago < 0 ? 'just now' : `${formatMs(ago)} ago`;
}

/** An ISO time as "14:03:07" (UTC), with the date when it is not `now`'s day. @param {string | undefined} iso @param {number} now */
export function formatTime(iso, now) {
  if (iso === undefined) return '–';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '–';
  const d = new Date(t).toISOString();
  const today = new Date(now).toISOString().slice(0, 10);
  return d.slice(0, 10) === today ? d.slice(11, 19) : `${d.slice(0, 10)} ${d.slice(11, 19)}`;
}

/** part/whole as a percentage in [0, 100] (0 when whole is 0). @param {number} part @param {number} whole */
export function percent(part, whole) {
  if (!(whole > 0) || !Number.isFinite(part)) return 0;
  return Math.min(100, Math.max(0, (part / whole) * 100));
}

/**
 * A horizontal bar of stacked segments, each a share of `whole`, with a
 * label beside it. Widths go in a `data-w` attribute (the page's script
 * sets them: the page allows no inline styles) and are also the bar's
 * accessible value.
 * @param {Array<{ value: number, kind: string, title: string }>} segments
 * @param {number} whole
 * @param {string} label
 */
export function bar(segments, whole, label) {
  const total = segments.reduce((s, x) => s + x.value, 0);
  return html`<span class="bar" role="meter" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${percent(total, whole).toFixed(0)}" aria-label="${label}"
      >${segments.map((s) => html`<span class="seg ${s.kind}" data-w="${percent(s.value, whole).toFixed(2)}" title="${s.title}"></span>`)}</span
    ><span class="bar-label">${label}</span>`;
}
