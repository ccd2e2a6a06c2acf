// @ts-check
// A reply of a route the master may not have (the migration and balancer
// routes came with issue 10): what the section says when it is absent
// (404) or failed. Pure.

import { html } from './html.js';

/**
 * @template T
 * @typedef {{ status: 'ok', data: T } | { status: 'absent' } | { status: 'error', message: string }} Optional
 */

/** Markup for an absent or failed route, or undefined when `r` is ok. @param {Optional<unknown>} r @param {string} route */
export function notOk(r, route) {
  if (r.status === 'absent') return html`<p class="empty">Not available on this master (it has no <code>${route}</code>).</p>`;
  if (r.status === 'error') return html`<p class="error">Could not read <code>${route}</code>: ${r.message}</p>`;
  return undefined;
}
