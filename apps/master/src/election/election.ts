// The master election (DESIGN §8, §9). Whoever creates the ephemeral lock
// file /kdi/master (contents: its URL) in its session is the candidate,
// and becomes active once it holds the file's exclusive lock; the lock's
// sequencer goes on every assignment call (x-kdi-sequencer), so a tablet
// server refuses a master that is no longer the holder. A standby finds
// the file present (naming the active master) and polls until it is gone —
// the holder's session ended — then tries again.
//
// Creating the file is the race, not the lock: a standby never owns the
// file the active master holds the lock on, so no standby's exit can take
// the file (and with it the lock) away from the active master.
//
// Losing the session (expiry, or a lock found invalid after a reconnect)
// is final: `onLost` is called once and the master must stop acting at
// once (main.ts exits with code 3).

import { isKdiError, type Sequencer } from '@kdi/protocol';
import type { LockClient, LockSession } from '@kdi/client-sdk';

export const MASTER_PATH = '/kdi/master';

export interface ElectionOptions {
  /** This master's advertised URL: the file's contents. */
  readonly url: string;
  readonly ttlMs: number;
  /** Called once when the session is lost while active or standing by. */
  readonly onLost: (reason: string) => void;
  /** Log lines (standby waiting, errors while trying). */
  readonly log: (level: 'info' | 'warn', message: string) => void;
  /** How often a standby looks whether the active master's file is gone (default ttl / 4, at most 500 ms). */
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
}

export type Role = 'standby' | 'active';

export class Election {
  #session: LockSession | undefined;
  #sequencer: Sequencer | undefined;
  #activeSince: Date | undefined;
  #activeUrl: string | undefined;
  #lost = false;

  constructor(
    private readonly lock: LockClient,
    private readonly o: ElectionOptions,
  ) {}

  get role(): Role {
    return this.#sequencer === undefined || this.#lost ? 'standby' : 'active';
  }

  get sequencer(): Sequencer | undefined {
    return this.#lost ? undefined : this.#sequencer;
  }

  get activeSince(): Date | undefined {
    return this.#activeSince;
  }

  /** The lock-delay the lock service applies to locks lost by expiry (from the session's grant). */
  get lockDelayMs(): number | undefined {
    return this.#session?.lockDelayMs;
  }

  /** The active master's URL as /kdi/master names it (this one's when active), as last seen. */
  get activeUrl(): string | undefined {
    return this.role === 'active' ? this.o.url : this.#activeUrl;
  }

  /** Reads /kdi/master: the active master's URL, or undefined when there is none. */
  async readActiveUrl(): Promise<string | undefined> {
    try {
      const file = await this.lock.getFile(MASTER_PATH);
      this.#activeUrl = file.contents === '' ? undefined : file.contents;
    } catch (e) {
      if (!(isKdiError(e) && e.code === 'NOT_FOUND')) throw e;
      this.#activeUrl = undefined;
    }
    return this.activeUrl;
  }

  /** Opens the session and waits (as a standby) until this master is active; resolves with the sequencer. */
  async run(): Promise<Sequencer> {
    const session = await this.openSession();
    this.#session = session;
    const lost = (reason: string) => {
      if (this.#lost) return;
      this.#lost = true;
      this.o.onLost(reason);
    };
    session.on('expired', (e) => lost(`the lock-service session expired (${e.reason})`));
    session.on('lock-lost', (e) => lost(`the lock on ${MASTER_PATH} was lost: ${e.reason}`));
    const pollMs = this.o.pollMs ?? Math.min(500, Math.floor(this.o.ttlMs / 4));
    let announced = false;
    for (;;) {
      this.o.signal?.throwIfAborted();
      session.assertLive();
      if (await this.tryCreate(session)) {
        const got = await session.acquire(MASTER_PATH, { mode: 'exclusive', waitMs: this.o.ttlMs * 3 });
        if (got.acquired) {
          this.#sequencer = got.sequencer;
          this.#activeSince = new Date();
          return got.sequencer;
        }
        this.o.log('info', `created ${MASTER_PATH} but its lock is not free yet (${got.reason}); trying again`);
        continue;
      }
      const active = await this.readActiveUrl().catch(() => undefined);
      if (!announced) {
        this.o.log('info', `standing by: ${MASTER_PATH} names the active master ${active ?? '(none yet)'}`);
        announced = true;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /** Opens the session, waiting (with growing pauses) while the lock service does not answer. */
  private async openSession(): Promise<LockSession> {
    let pause = 200;
    for (;;) {
      try {
        return await this.lock.openSession({ ttlMs: this.o.ttlMs });
      } catch (e) {
        if (!(isKdiError(e) && e.retryable) || this.o.signal?.aborted) throw e;
        this.o.log('warn', `the lock service does not answer (${e.message}); trying again`);
        await new Promise((r) => setTimeout(r, pause));
        pause = Math.min(pause * 2, 5_000);
      }
    }
  }

  private async tryCreate(session: LockSession): Promise<boolean> {
    try {
      await session.createFile(MASTER_PATH, { ephemeral: true, contents: this.o.url });
      return true;
    } catch (e) {
      if (isKdiError(e) && e.code === 'ALREADY_EXISTS') return false;
      throw e;
    }
  }

  /** Closes the session (a clean stop: the lock and the file go at once, a standby takes over). */
  async close(): Promise<void> {
    this.#lost = true;
    await this.#session?.close().catch(() => undefined);
  }
}
