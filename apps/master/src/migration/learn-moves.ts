// After a takeover: the moves the tablet servers drive that this master
// has no record of (docs/migration.md "Master"). The history a master
// writes (src/history/) is batched, so a move started in the last moments
// before its master died may be missing from it, and moves that ended
// while no master was active were never seen ending. Each live server's
// GET /v1/admin/migrations names them: a move it is the source of, not in
// the book, running — or ended after the restored history was written
// (less SLACK_MS for clocks) — is put in the book: running ones are then
// polled like any other (MigrationService.poll) and end with their outcome
// (and its event); ended ones get their migration-committed or
// migration-aborted event when learned.
//
// The tablet's bounds come from the source's heartbeat or, before the
// first one reaches the new master, its GET /v1/admin/status. What the
// source does not say is marked as not known: `reason` is
// `unknown` (`drain` when the source is draining), `epoch` is 0 (the
// outcome is then read from META as "the target serves it at a newer
// epoch than the source did", `previousEpoch` — META's epoch at the source
// when learned, 0 when it had already moved); `requestedAt` is the
// source's startedAt.
//
// Promises: each live server is asked until it answered once (and named
// the tablets of its running moves), for at most
// LEARN_FOR_MS after start(); a move in the book is never replaced.

import { allUtf8, encodeWireBytes, KdiError, MigrationProgressSchema, type MasterMigration, type MigrationProgress } from '@kdi/protocol';
import type { MasterContext } from '../node/master-context.js';
import type { MigrationBook } from './migration-book.js';
import { readMovingConfig } from './moving-config.js';

/** A tablet as a server's GET /v1/admin/status?encoding=base64 lists it. */
interface HeldTablet {
  readonly tabletId: string;
  readonly lowerExclusive?: string;
  readonly upperInclusive?: string;
}

/** How long after a takeover servers that did not answer are asked again. */
export const LEARN_FOR_MS = 30_000;
const LEARN_EVERY_MS = 1_000;
/** Ended moves that started up to this long before the restored history was written are learned too (clock skew between hosts). */
export const SLACK_MS = 60_000;

export class MoveLearner {
  readonly #pending = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #deadline = 0;
  #cutoff = '';
  #busy = false;

  constructor(
    private readonly ctx: MasterContext,
    private readonly book: MigrationBook,
  ) {}

  /** Starts asking every live server; `historyWrittenAt`: when the restored history was written (undefined: none restored). */
  start(historyWrittenAt: string | undefined): void {
    const since = historyWrittenAt === undefined ? Date.now() : Date.parse(historyWrittenAt);
    this.#cutoff = new Date((Number.isNaN(since) ? Date.now() : since) - SLACK_MS).toISOString();
    for (const s of this.ctx.registry.liveLoads()) this.#pending.add(s.serverId);
    this.#deadline = performance.now() + LEARN_FOR_MS;
    void this.tick();
    this.#timer = setInterval(() => void this.tick(), LEARN_EVERY_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#pending.clear();
  }

  /** One round over the servers not asked yet; stops when none is left or time is up. */
  async tick(): Promise<void> {
    if (this.#busy) return;
    if (this.#pending.size === 0 || performance.now() > this.#deadline) {
      if (this.#pending.size > 0)
        this.ctx.log.warn(`moves not learned from server(s) ${[...this.#pending].join(', ')}: they did not answer GET /v1/admin/migrations after the takeover`);
      this.stop();
      return;
    }
    this.#busy = true;
    try {
      await Promise.all([...this.#pending].map((id) => this.learnFrom(id)));
    } finally {
      this.#busy = false;
    }
  }

  private async learnFrom(serverId: string): Promise<void> {
    const url = this.ctx.registry.url(serverId);
    if (url === undefined) {
      this.#pending.delete(serverId); // dead: its moves are aborted, and it drives none
      return;
    }
    const answer = await this.ctx.admin.migrations(url);
    if (answer.status !== 200) return;
    const list = (answer.body as { migrations?: unknown[] } | undefined)?.migrations ?? [];
    const learned: MasterMigration[] = [];
    let notFoundYet = false;
    let heldList: Promise<HeldTablet[]> | undefined;
    const held = () => (heldList ??= this.ctx.admin.status(url).then((a) => (a.status === 200 ? ((a.body as { tablets?: HeldTablet[] } | undefined)?.tablets ?? []) : [])));
    for (const raw of list) {
      const parsed = MigrationProgressSchema.safeParse(raw);
      if (!parsed.success) continue;
      const s = parsed.data;
      if (s.role !== 'source' || this.book.has(s.migrationId) || s.tabletId === undefined || s.table === undefined || s.peer?.serverId === undefined) continue;
      if (s.outcome !== undefined && (s.startedAt ?? '') < this.#cutoff) continue;
      const record = await this.record(serverId, url, s, held);
      if (record === undefined) notFoundYet = true;
      else learned.push(record);
    }
    if (learned.length > 0) {
      this.book.restore(learned);
      this.ctx.log.info(`learned ${learned.length} move(s) from server ${serverId}: ${learned.map((r) => `${r.migrationId} (${r.state})`).join(', ')}`);
      // Running ones get their event when they end (MigrationService.poll); these ended while no master watched.
      for (const r of learned) {
        if (r.state === 'running') continue;
        const what = `move ${r.migrationId} of tablet ${r.table} (${r.tabletId}) ${r.source.serverId} → ${r.target.serverId}`;
        this.ctx.events.add({
          kind: r.state === 'committed' ? 'migration-committed' : 'migration-aborted',
          message: `${what} ${r.state === 'committed' ? 'committed' : `aborted: ${r.error ?? 'the source aborted it'}`} (learned from the source after the takeover)`,
          table: r.table,
          tabletId: r.tabletId,
          serverId: r.state === 'committed' ? r.target.serverId : serverId,
        });
      }
    }
    if (!notFoundYet) this.#pending.delete(serverId);
  }

  /** The record of a move learned from its source; undefined while a running move's tablet cannot be found at its source. */
  private async record(serverId: string, url: string, s: MigrationProgress, held: () => Promise<HeldTablet[]>): Promise<MasterMigration | undefined> {
    // The tablet's bounds: from the source's heartbeat, else from its admin status (a new master may have no heartbeat yet).
    const hit = this.ctx.registry.findTablet(s.tabletId!);
    let lower: Uint8Array | undefined;
    let upper: Uint8Array | undefined;
    let found = false;
    if (hit !== undefined && hit.serverId === serverId) {
      const enc = hit.encoding === 'base64' ? 'base64' : 'utf8';
      lower = hit.tablet.lowerExclusive === undefined ? undefined : Buffer.from(hit.tablet.lowerExclusive, enc);
      upper = hit.tablet.upperInclusive === undefined ? undefined : Buffer.from(hit.tablet.upperInclusive, enc);
      found = true;
    } else {
      const t = (await held()).find((x) => x.tabletId === s.tabletId);
      if (t !== undefined) {
        lower = t.lowerExclusive === undefined ? undefined : Buffer.from(t.lowerExclusive, 'base64');
        upper = t.upperInclusive === undefined ? undefined : Buffer.from(t.upperInclusive, 'base64');
        found = true;
      }
    }
    if (!found && s.outcome === undefined) return undefined;
    let previousEpoch = 0;
    if (found) {
      // META's config is the root (moving-config.ts).
      const loc = (await readMovingConfig(this.ctx, s.table!, upper).catch((e: unknown) => (e instanceof KdiError ? undefined : Promise.reject(e))))?.location;
      if (loc?.serverId === serverId) previousEpoch = loc.epoch;
    }
    const encoding = allUtf8([lower, upper]) ? 'utf8' : 'base64';
    const now = new Date().toISOString();
    return {
      migrationId: s.migrationId,
      tabletId: s.tabletId!,
      table: s.table!,
      ...(lower !== undefined && { lowerExclusive: encodeWireBytes(lower, encoding) }),
      ...(upper !== undefined && { upperInclusive: encodeWireBytes(upper, encoding) }),
      encoding,
      source: { serverId, url },
      target: { serverId: s.peer!.serverId!, url: s.peer?.url ?? this.ctx.registry.url(s.peer!.serverId!) ?? '' },
      epoch: 0,
      previousEpoch,
      reason: this.ctx.drains.has(serverId) ? 'drain' : 'unknown',
      state: s.outcome ?? 'running',
      requestedAt: s.startedAt ?? now,
      ...(s.endedAt !== undefined && { endedAt: s.endedAt }),
      ...(s.error !== undefined && { error: s.error }),
      progress: s,
      progressAt: now,
    };
  }
}
