// WRONG_TABLET with a location hint (DESIGN §4): in a cluster, a request
// for rows this server does not serve is answered with where META says
// they are served — details.locationHint {serverId, url, epoch, state} —
// so a client re-routes in one round trip. The lookup is bounded
// (HINT_TIMEOUT_MS): when META is slow or out of reach the reply goes out
// without a hint rather than late. For a tablet this server handed over
// to a migration's target in the last seconds, the target's location (as
// its commit answered) is the hint, without a META read.

import { KdiError } from '@kdi/protocol';
import type { TabletServer } from '../tablets/tablet-server.js';

export const HINT_TIMEOUT_MS = 1000;

/** `error` itself, or — for a WRONG_TABLET naming a row, in a cluster — a copy with details.locationHint. */
export async function withLocationHint(error: unknown, server: TabletServer): Promise<unknown> {
  const meta = server.meta;
  if (!(error instanceof KdiError) || error.code !== 'WRONG_TABLET' || meta === undefined) return error;
  const d = error.details;
  if (d === undefined || typeof d['table'] !== 'string' || typeof d['row'] !== 'string' || d['locationHint'] !== undefined) return error;
  const row = Buffer.from(d['row'], d['rowEncoding'] === 'base64' ? 'base64' : 'utf8');
  // A tablet this server just handed over: its target is known (the writes released from a migration's freeze).
  const known = server.handedOverLocation(d['table'], row);
  if (known !== undefined) return withHint(error, d, known);
  let timer: NodeJS.Timeout | undefined;
  const hint = await Promise.race([
    meta.locate(d['table'], row).catch(() => undefined),
    new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), HINT_TIMEOUT_MS))),
  ]);
  clearTimeout(timer);
  if (hint === undefined) return error;
  return withHint(error, d, hint);
}

function withHint(error: KdiError, d: Record<string, unknown>, hint: object): KdiError {
  return new KdiError('WRONG_TABLET', error.message, {
    details: { ...d, locationHint: hint },
    ...(error.retryAfterMs !== undefined && { retryAfterMs: error.retryAfterMs }),
    cause: error,
  });
}
