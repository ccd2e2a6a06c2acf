// Sequencer checks for receivers of privileged calls (DESIGN §8): a tablet
// server told to load a tablet, or a META write, carries the sender's
// sequencer; the receiver refuses it unless the grant still holds.
//
// SequencerChecker asks the service and remembers, per path, the newest
// grant it has seen valid. Grants of one path are ordered by generation,
// so some sequencers are known stale without a call: an exclusive grant
// older than any later grant of the path, or a shared grant older than a
// later exclusive grant. Optionally a positive answer is cached for
// `cacheTtlMs` — a trade: a sequencer that dies inside that window is still
// accepted (keep it well under the lock-delay). Refusals are final: a grant
// that ended never holds again.

import { KdiError, type Sequencer, type ValidateResult } from '@kdi/protocol';
import type { CallOptions, LockClient } from './lock-client.js';

export interface SequencerCheckerOptions {
  /** Cache positive answers this long (monotonic ms); 0 = always ask. */
  readonly cacheTtlMs?: number;
  /** Bound on remembered sequencers and paths. */
  readonly maxEntries?: number;
}

interface NewestGrant {
  /** Newest generation of any grant seen valid. */
  any: number;
  /** Newest generation of an exclusive grant seen valid. */
  exclusive: number;
}

export class SequencerChecker {
  readonly #client: LockClient;
  readonly #cacheTtlMs: number;
  readonly #maxEntries: number;
  /** key → monotonic time until which "valid" may be reused (Infinity: refused for good). */
  readonly #answers = new Map<string, { until: number; result: ValidateResult }>();
  readonly #newest = new Map<string, NewestGrant>();

  constructor(client: LockClient, opts: SequencerCheckerOptions = {}) {
    this.#client = client;
    this.#cacheTtlMs = Math.max(0, opts.cacheTtlMs ?? 0);
    this.#maxEntries = Math.max(1, opts.maxEntries ?? 1_000);
  }

  /** Whether the grant still holds, with a reason when not. */
  async check(sequencer: Sequencer, opts: CallOptions = {}): Promise<ValidateResult> {
    const stale = this.#knownStale(sequencer);
    if (stale) return { valid: false, reason: stale };
    const key = `${sequencer.path}\u0000${sequencer.mode}\u0000${sequencer.generation}`;
    const now = this.#client.clock.monotonicMs();
    const known = this.#answers.get(key);
    if (known && known.until > now) return known.result;

    const result = await this.#client.validateSequencer(sequencer, opts);
    if (result.valid) {
      this.#noteValid(sequencer);
      if (this.#cacheTtlMs > 0) this.#remember(this.#answers, key, { until: now + this.#cacheTtlMs, result });
    } else {
      this.#remember(this.#answers, key, { until: Number.POSITIVE_INFINITY, result });
    }
    return result;
  }

  /** Resolves when valid; otherwise rejects with FAILED_PRECONDITION naming the stale sequencer. */
  async require(sequencer: Sequencer, opts: CallOptions = {}): Promise<void> {
    const result = await this.check(sequencer, opts);
    if (!result.valid) throw staleError(sequencer, result.reason);
  }

  #knownStale(s: Sequencer): string | undefined {
    const newest = this.#newest.get(s.path);
    if (!newest) return undefined;
    if (s.mode === 'exclusive' && newest.any > s.generation) return `a newer grant (generation ${newest.any}) of ${s.path} exists`;
    if (s.mode === 'shared' && newest.exclusive > s.generation) return `a newer exclusive grant (generation ${newest.exclusive}) of ${s.path} exists`;
    return undefined;
  }

  #noteValid(s: Sequencer): void {
    const newest = this.#newest.get(s.path) ?? { any: 0, exclusive: 0 };
    newest.any = Math.max(newest.any, s.generation);
    if (s.mode === 'exclusive') newest.exclusive = Math.max(newest.exclusive, s.generation);
    this.#remember(this.#newest, s.path, newest);
  }

  /** Insert-or-refresh with a bound: the least recently stored entries go first. */
  #remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    while (map.size > this.#maxEntries) {
      const oldest = map.keys().next();
      if (oldest.done) break;
      map.delete(oldest.value);
    }
  }
}

/** One check against the service, no cache: resolves when valid, rejects FAILED_PRECONDITION when stale. */
export async function checkSequencer(client: LockClient, sequencer: Sequencer, opts: CallOptions = {}): Promise<void> {
  const result = await client.validateSequencer(sequencer, opts);
  if (!result.valid) throw staleError(sequencer, result.reason);
}

function staleError(s: Sequencer, reason: string | undefined): KdiError {
  return new KdiError('FAILED_PRECONDITION', `stale sequencer for ${s.path} (${s.mode}, generation ${s.generation}): ${reason ?? 'not valid'}`, {
    details: { path: s.path, mode: s.mode, generation: s.generation, ...(reason !== undefined && { reason }) },
  });
}
