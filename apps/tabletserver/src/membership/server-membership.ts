// A tablet server's membership (DESIGN §8, §9): it holds an exclusive lock
// on its ephemeral file /kdi/servers/<id> (contents: its URL and disks).
// The master finds servers by these files and declares a server dead by
// deleting its file after the lock-delay.
//
// Promises:
//  - isLive() is false from the moment the session's lease (measured from
//    keep-alive send time on the monotonic clock) may have run out, the
//    session expired, or the file was deleted — the server must then
//    acknowledge no write (it fences itself);
//  - 'lost' is emitted once, with the reason; the process is expected to
//    exit (a server whose file is gone may have had its tablets reassigned).

import { type LockClient, type LockSession, TypedEmitter } from '@kdi/client-sdk';
import { isKdiError, nameProblem, type Sequencer } from '@kdi/protocol';

export const SERVERS_DIR = '/kdi/servers';

export interface ServerInfo {
  readonly serverId: string;
  readonly url: string;
  readonly disks: readonly string[];
}

export interface MembershipEvents {
  lost: { readonly reason: 'session-expired' | 'file-deleted' | 'lock-lost' };
  jeopardy: { readonly leaseRemainingMs: number };
}

/** Another live session owns this server id's file (or its lock). */
export class IdInUseError extends Error {}

/**
 * The session's lease ran out while joining (a starved process: the
 * keep-alive did not get through in time). Nothing it made survives it —
 * an ephemeral file dies with its session — so joining again with a fresh
 * session is safe.
 */
class SessionLapsedWhileJoining extends Error {}

/** Fresh sessions tried after one lapsed while joining, before join gives up. */
const LAPSED_SESSION_RETRIES = 3;

export class ServerMembership extends TypedEmitter<MembershipEvents> {
  private lostReason: MembershipEvents['lost']['reason'] | undefined;
  private readonly watchAbort = new AbortController();

  private constructor(
    readonly info: ServerInfo,
    readonly path: string,
    private readonly session: LockSession,
    readonly sequencer: Sequencer,
  ) {
    super();
  }

  /**
   * Creates the ephemeral file and takes its lock. Fails (FAILED_PRECONDITION)
   * when another live server holds the same id.
   */
  static async join(
    client: LockClient,
    info: ServerInfo,
    opts: { ttlMs?: number; waitForIdMs?: number; onWaiting?: (error: IdInUseError) => void } = {},
  ): Promise<ServerMembership> {
    const idProblem = nameProblem('server id', info.serverId);
    if (idProblem !== undefined) throw new RangeError(idProblem);
    // A restarted server finds its previous incarnation's file until that
    // session expires; with waitForIdMs it waits for it instead of failing.
    const deadline = performance.now() + (opts.waitForIdMs ?? 0);
    let lapsed = 0;
    for (;;) {
      try {
        return await ServerMembership.tryJoin(client, info, opts);
      } catch (e) {
        if (e instanceof SessionLapsedWhileJoining && lapsed++ < LAPSED_SESSION_RETRIES) continue;
        if (e instanceof SessionLapsedWhileJoining) throw (e.cause as Error | undefined) ?? e;
        if (!(e instanceof IdInUseError) || performance.now() >= deadline) throw e;
        opts.onWaiting?.(e);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  private static async tryJoin(client: LockClient, info: ServerInfo, opts: { ttlMs?: number }): Promise<ServerMembership> {
    const path = `${SERVERS_DIR}/${info.serverId}`;
    const session = await client.openSession(opts.ttlMs === undefined ? {} : { ttlMs: opts.ttlMs });
    try {
      try {
        await session.createFile(path, { ephemeral: true, contents: JSON.stringify(info) });
      } catch (e) {
        if (isKdiError(e) && e.code === 'ALREADY_EXISTS') {
          throw new IdInUseError(`server id ${info.serverId} is in use: ${path} belongs to another live session`, { cause: e });
        }
        throw e;
      }
      const got = await session.acquire(path, { mode: 'exclusive' });
      if (!got.acquired) throw new IdInUseError(`could not lock ${path}: ${got.reason}`);
      // The lease may have run out while the calls were under way; the service may not have noticed yet.
      if (!session.isLive()) throw new Error(`the lease of the lock-service session ran out while joining`);
      const m = new ServerMembership(info, path, session, got.sequencer);
      m.start(client);
      return m;
    } catch (e) {
      const lapsed = !(e instanceof IdInUseError) && !session.isLive();
      await session.close().catch(() => {});
      if (lapsed) throw new SessionLapsedWhileJoining(`the lock-service session ran out while joining as ${info.serverId}`, { cause: e });
      throw e;
    }
  }

  private start(client: LockClient): void {
    this.session.on('expired', () => this.lose('session-expired'));
    this.session.on('lock-lost', () => this.lose('lock-lost'));
    this.session.on('jeopardy', (j) => this.emit('jeopardy', { leaseRemainingMs: j.leaseRemainingMs }));
    void (async () => {
      try {
        for await (const item of client.watchIter(this.path, { after: this.sequencer.generation, signal: this.watchAbort.signal })) {
          if (item.type === 'deleted') {
            this.lose('file-deleted');
            return;
          }
          if (item.type === 'reset') {
            // History is gone: look at the file itself.
            const still = await client.stat(this.path).then(
              () => true,
              (e: unknown) => !(isKdiError(e) && e.code === 'NOT_FOUND'),
            );
            if (!still) {
              this.lose('file-deleted');
              return;
            }
          }
        }
      } catch {
        // The watch ends with leave() or with the session; the lease decides liveness.
      }
    })();
  }

  private lose(reason: MembershipEvents['lost']['reason']): void {
    if (this.lostReason !== undefined) return;
    this.lostReason = reason;
    this.watchAbort.abort();
    this.emit('lost', { reason });
  }

  /** May this server acknowledge a write right now? */
  isLive(): boolean {
    return this.lostReason === undefined && this.session.isLive();
  }

  /** Why membership was lost, if it was. */
  get lost(): MembershipEvents['lost']['reason'] | undefined {
    return this.lostReason;
  }

  /** Why isLive() is false, or undefined when it is true. */
  notLiveReason(): string | undefined {
    if (this.lostReason !== undefined) return `has lost its lock file ${this.path} (${this.lostReason})`;
    if (!this.session.isLive()) return `may have lost its lock file ${this.path}: its lease on the lock service may have run out`;
    return undefined;
  }

  leaseRemainingMs(): number {
    return this.isLive() ? this.session.leaseRemainingMs() : 0;
  }

  /** Leaves cleanly: the file is deleted and the lock released with the session. */
  async leave(): Promise<void> {
    this.watchAbort.abort();
    if (this.lostReason === undefined) this.lostReason = 'session-expired';
    await this.session.close().catch(() => {});
  }
}

/**
 * The lease a TabletServer consults (its `lease` option): live only while
 * this process holds /kdi/servers/<id> — not while it is still joining,
 * nor when another live process holds the id — and saying why not.
 * Without a lock service (a single server) it is always live.
 */
export class MembershipLease {
  membership: ServerMembership | undefined;
  private waiting: string;

  constructor(
    private readonly serverId: string,
    private readonly clustered: boolean,
  ) {
    this.waiting = `does not hold its lock file ${SERVERS_DIR}/${serverId} yet (joining the cluster)`;
  }

  isLive(): boolean {
    return !this.clustered || this.membership?.isLive() === true;
  }

  notLiveReason(): string | undefined {
    if (this.isLive()) return undefined;
    return this.membership?.notLiveReason() ?? this.waiting;
  }

  /** ServerMembership.join's onWaiting: another live session holds the id. */
  noteWaiting(error: Error): void {
    this.waiting = `does not hold its lock file ${SERVERS_DIR}/${this.serverId}: ${error.message} (another live process may have this server id)`;
  }
}
