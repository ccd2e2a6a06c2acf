// Watches (GET /v1/watch): a long poll over the store's event log.
//
// Promises:
//  - every event after `after` that matches is returned, in revision
//    order, or the answer says `reset` (the history no longer reaches back
//    to `after`, or the store lost its data): never a silent gap;
//  - the answer's `revision` is where the next watch continues; it moves
//    past non-matching events too, so the client never rescans them;
//  - omitted `after` means "from now": the current revision is the cursor;
//  - the call returns within timeoutMs (plus one store call), with no
//    events when nothing matched, or as soon as `signal` aborts.

import { isUnder, type WatchEvent, type WatchResult } from '@kdi/protocol';
import type { LockStore } from '../store/lock-store.js';

/** Events read per store call; a long backlog is paged through in one watch. */
export const WATCH_PAGE = 1000;

export interface WatchRequest {
  /** A validated file path, or a directory ('/' allowed) when recursive. */
  readonly path: string;
  readonly recursive: boolean;
  readonly after: number | undefined;
  readonly timeoutMs: number;
}

export function watchMatcher(path: string, recursive: boolean): (e: WatchEvent) => boolean {
  return recursive ? (e) => isUnder(e.path, path) : (e) => e.path === path;
}

export async function watch(store: LockStore, req: WatchRequest, opts: { readonly now: () => number; readonly signal: AbortSignal }): Promise<WatchResult> {
  const deadline = opts.now() + req.timeoutMs;
  const matches = watchMatcher(req.path, req.recursive);
  let cursor = req.after ?? (await store.readEvents(undefined, 1)).revision;
  for (;;) {
    const batch = await store.readEvents(cursor, WATCH_PAGE);
    if (batch.reset) return { events: [], revision: batch.revision, reset: true };
    cursor = batch.revision;
    const events = batch.events.filter(matches).map((e) => ({ revision: e.revision, type: e.type, path: e.path }));
    if (events.length > 0) return { events, revision: cursor, reset: false };
    // A full page may have more behind it: read on before waiting.
    if (batch.events.length >= WATCH_PAGE) continue;
    const left = deadline - opts.now();
    if (left <= 0 || opts.signal.aborted) return { events: [], revision: cursor, reset: false };
    await store.waitForChange(cursor, left, opts.signal);
  }
}
