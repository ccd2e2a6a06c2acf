// Watch iteration: every event under a path, in revision order, for as long
// as the caller iterates — or an explicit `reset` marker when the service
// can no longer say what happened (its history was trimmed past our cursor,
// or it lost its data). Never a silent gap:
//  - the cursor only moves past an event after that event was yielded, or
//    to a `revision` the service vouches for (an empty poll, a reset);
//  - a failed poll is repeated from the same cursor (retryable errors with
//    backoff, for as long as it takes); other errors end the iteration;
//  - on reset the marker is yielded with the revision to read the state at
//    ("re-read, then watch after that revision" misses nothing), and
//    watching continues from there.
// Breaking out of the loop ends the iteration after the poll in flight; the
// signal also interrupts a poll (the iterator then throws CANCELLED).

import { isKdiError, type WatchEvent } from '@kdi/protocol';
import { abortableDelay } from '../http/retry.js';
import type { LockClient } from './lock-client.js';

export interface WatchResetMarker {
  readonly type: 'reset';
  /** Re-read your state (it then reflects at least this revision); events after it follow. */
  readonly revision: number;
}

export type WatchItem = WatchEvent | WatchResetMarker;

export interface WatchIterOptions {
  /** Watch every path below `path` (a directory; '/' for all). */
  readonly recursive?: boolean;
  /** Start after this revision (e.g. the `revision` of a read); omitted = from now on. */
  readonly after?: number;
  readonly signal?: AbortSignal;
  /** Server-side wait of one long poll (default the client's watchPollMs). */
  readonly pollMs?: number;
}

const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 2_000;

export async function* watchIter(client: LockClient, path: string, opts: WatchIterOptions = {}): AsyncGenerator<WatchItem, void, undefined> {
  let cursor = opts.after;
  let backoff = FIRST_BACKOFF_MS;
  for (;;) {
    let batch;
    try {
      batch = await client.watch({ path, recursive: opts.recursive, after: cursor, timeoutMs: opts.pollMs, signal: opts.signal });
      backoff = FIRST_BACKOFF_MS;
    } catch (e) {
      if (!isKdiError(e) || !e.retryable || opts.signal?.aborted) throw e;
      await abortableDelay(Math.max(backoff, e.retryAfterMs ?? 0), opts.signal, e);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      continue;
    }
    if (batch.reset) {
      cursor = batch.revision;
      yield { type: 'reset', revision: batch.revision };
      continue;
    }
    for (const event of batch.events) {
      // A service that repeats an event (a retried poll) must not make us yield it twice.
      if (cursor !== undefined && event.revision <= cursor) continue;
      cursor = event.revision;
      yield event;
    }
    if (cursor === undefined || batch.revision > cursor) cursor = batch.revision;
  }
}
