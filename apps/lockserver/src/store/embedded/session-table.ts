// Sessions of the embedded store: a lease per session measured on the
// monotonic clock, plus the locks and ephemeral files that end with it.
// Expiry itself (releasing, deleting, emitting events) is the state
// machine's; this table only knows who is due.

import { randomBytes } from 'node:crypto';
import { KdiError } from '@kdi/protocol';
import type { LockStoreLimits, SessionGrant } from '../lock-store.js';

/** The lease when the caller asks for none (clamped to the limits): Chubby's 12 s, rounded. */
export const DEFAULT_SESSION_TTL_MS = 10_000;

export interface Session {
  readonly id: string;
  readonly ttlMs: number;
  /** How long locks this session loses by expiry stay ungrantable. */
  readonly lockDelayMs: number;
  /** Monotonic milliseconds after which the session is gone. */
  deadline: number;
  /** Paths this session holds a lock on. */
  readonly locks: Set<string>;
  /** Ephemeral files this session owns. */
  readonly ephemerals: Set<string>;
}

export function sessionGrant(s: Session): SessionGrant {
  return { sessionId: s.id, ttlMs: s.ttlMs, lockDelayMs: s.lockDelayMs };
}

/** The lease granted for a requested TTL: an integer within [minTtlMs, maxTtlMs]. */
export function clampTtl(requested: number | undefined, limits: LockStoreLimits): number {
  if (requested !== undefined && !(Number.isFinite(requested) && requested > 0)) {
    throw new KdiError('INVALID_ARGUMENT', `ttlMs must be a positive number of milliseconds, got ${requested}`);
  }
  const ttl = Math.round(requested ?? DEFAULT_SESSION_TTL_MS);
  return Math.min(limits.maxTtlMs, Math.max(limits.minTtlMs, ttl));
}

export class SessionTable {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly limits: LockStoreLimits,
    private readonly newId: () => string = () => randomBytes(16).toString('hex'),
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  open(requestedTtlMs: number | undefined, now: number): Session {
    const ttlMs = clampTtl(requestedTtlMs, this.limits);
    let id = this.newId();
    while (this.sessions.has(id)) id = this.newId();
    const session: Session = {
      id,
      ttlMs,
      lockDelayMs: Math.max(this.limits.lockDelayMs, ttlMs),
      deadline: now + ttlMs,
      locks: new Set(),
      ephemerals: new Set(),
    };
    this.sessions.set(id, session);
    return session;
  }

  /** The session, or NOT_FOUND (an expired session is gone). */
  live(id: string): Session {
    const session = this.sessions.get(id);
    if (!session) throw new KdiError('NOT_FOUND', `session ${JSON.stringify(id)} does not exist (it expired or was closed); open a new session`);
    return session;
  }

  find(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  /** Sessions whose deadline has passed at `now`. */
  due(now: number): Session[] {
    const due: Session[] = [];
    for (const s of this.sessions.values()) if (s.deadline <= now) due.push(s);
    return due;
  }

  remove(id: string): void {
    this.sessions.delete(id);
  }
}
