// Moving a tablet, the master's side (docs/migration.md "Master"): checks
// the request, picks the target, gives the move a new epoch, asks the
// source to drive it, and follows it to its outcome.
//
//   start  the tablet is found by id in the live servers' heartbeats (or
//          among the ids this master loaded), its META row read (location
//          S, epoch e); the target is the one asked for or the
//          least-loaded other live server that is not draining; the epoch
//          e′ is the largest this master has seen + 1 (Assigner.newEpoch,
//          as assignment does); then POST {S}/v1/admin/tablets/{id}/migrate
//          {migrationId, target, epoch: e′} with the master's sequencer.
//          202 → a running record; a refusal → a failed record and the
//          source's error to the caller.
//   poll   every POLL_MS while moves run: each source's GET
//          /v1/admin/migrations; the move's status is copied into the
//          record, and its outcome ends it. A source that is gone (dead
//          for the lock-delay) or no longer lists the move (restarted) for
//          MISSING_POLLS polls: the outcome is read from META — location
//          D with e′ is committed, anything else aborted.
//
// META moves like any tablet (its id is `meta`); its config is the root,
// not a META row (moving-config.ts).
//
// Promises: at most one running move per tablet (ALREADY_EXISTS names the
// running one); nothing is sent for a request that fails a check; every
// ended move is an event (migration-committed / migration-aborted) and a
// committed one kicks the assigner (describe shows D at once).

import { randomBytes } from 'node:crypto';
import { describeTablet, readRoot } from '@kdi/client-sdk';
import { allUtf8, encodeWireBytes, KdiError, MigrationProgressSchema, type MasterMigration, type MigrationReason, type TabletConfig } from '@kdi/protocol';
import type { Assigner } from '../assignment/assigner.js';
import { leastLoaded } from '../assignment/placement.js';
import { readCatalog } from '../meta/catalog.js';
import type { MasterContext } from '../node/master-context.js';
import { MigrationBook } from './migration-book.js';
import { readMovingConfig } from './moving-config.js';

/** How often running moves are polled at their sources. */
export const POLL_MS = 1_000;
/** Polls in a row a live source may not list a running move before META decides its outcome. */
const MISSING_POLLS = 3;

export interface MoveRequest {
  readonly tabletId: string;
  /** Server id; undefined: the master picks. */
  readonly target?: string | undefined;
  readonly reason: MigrationReason;
  readonly decisionId?: string | undefined;
}

interface Found {
  readonly config: TabletConfig;
  readonly encoding: 'utf8' | 'base64';
}

export class MigrationService {
  readonly book: MigrationBook;
  readonly #missing = new Map<string, number>();
  /** Tablet ids whose move is being started (checked, not yet recorded). */
  readonly #starting = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #polling = false;

  constructor(
    private readonly ctx: MasterContext,
    private readonly assigner: Assigner,
  ) {
    this.book = new MigrationBook(ctx.config.historyMoves);
  }

  start(): void {
    this.#timer = setInterval(() => void this.poll(), POLL_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** The running move of the tablet whose range ends at `upper` in `table`, if any (describe shows it migrating). */
  movingNow(table: string, upper: Uint8Array | undefined): MasterMigration | undefined {
    const key = rangeKey(table, upper);
    return this.book.runningFor((r) => recordKey(r) === key);
  }

  /** Checks the request, sends it to the source; the record (running, or failed when the source refused). Throws KdiError for a request that fails a check. */
  async move(req: MoveRequest): Promise<MasterMigration> {
    const running = this.book.runningFor((r) => r.tabletId === req.tabletId);
    if (running !== undefined) throw alreadyMoving(running);
    // Two requests for one tablet at once: the second is refused here, before either has a record.
    if (this.#starting.has(req.tabletId)) {
      throw new KdiError('ALREADY_EXISTS', `tablet ${req.tabletId} is already being moved (the move is being started); GET /v1/migrations`, {
        details: { tabletId: req.tabletId },
      });
    }
    this.#starting.add(req.tabletId);
    try {
      return await this.startMove(req);
    } finally {
      this.#starting.delete(req.tabletId);
    }
  }

  private async startMove(req: MoveRequest): Promise<MasterMigration> {
    const { registry } = this.ctx;
    const found = await this.find(req.tabletId);
    const { config } = found;
    const loc = config.location;
    if (loc === undefined || !registry.isLive(loc.serverId)) {
      throw new KdiError(
        'FAILED_PRECONDITION',
        `tablet ${req.tabletId} is not served by a live server now${loc ? ` (META names ${loc.serverId})` : ''}; it is being assigned — try again shortly`,
        {
          details: { tabletId: req.tabletId },
        },
      );
    }
    const key = rangeKey(config.table, config.upperInclusive);
    const other = this.book.runningFor((r) => recordKey(r) === key);
    if (other !== undefined) throw alreadyMoving(other);
    const target = this.pickTarget(req, loc.serverId);
    const sourceUrl = registry.url(loc.serverId)!;
    const targetUrl = registry.url(target)!;
    // A new epoch larger than any in META, the root, or given out by this master.
    const catalog = await readCatalog(this.ctx.metaRows);
    const rootEpoch = (await readRoot(this.ctx.lock))?.config.location?.epoch ?? 0;
    const epoch = this.assigner.newEpoch(Math.max(catalog.maxEpoch, rootEpoch, loc.epoch));
    const migrationId = `mig-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    const record: MasterMigration = {
      migrationId,
      tabletId: req.tabletId,
      table: config.table,
      ...(config.lowerExclusive !== undefined && { lowerExclusive: encodeWireBytes(config.lowerExclusive, found.encoding) }),
      ...(config.upperInclusive !== undefined && { upperInclusive: encodeWireBytes(config.upperInclusive, found.encoding) }),
      encoding: found.encoding,
      source: { serverId: loc.serverId, url: sourceUrl },
      target: { serverId: target, url: targetUrl },
      epoch,
      previousEpoch: loc.epoch,
      reason: req.reason,
      ...(req.decisionId !== undefined && { decisionId: req.decisionId }),
      state: 'running',
      requestedAt: new Date().toISOString(),
    };
    this.book.add(record);
    const answer = await this.ctx.admin.migrate(sourceUrl, req.tabletId, { migrationId, target: { serverId: target, url: targetUrl }, epoch });
    const what = `tablet ${describeTablet(config)} (${req.tabletId}) ${loc.serverId} → ${target}`;
    if (answer.status === 202 || answer.status === 200) {
      this.ctx.events.add({
        kind: 'migration-started',
        message: `move ${migrationId} of ${what}, epoch ${epoch} (${req.reason})`,
        table: config.table,
        tabletId: req.tabletId,
        serverId: loc.serverId,
      });
      return this.book.get(migrationId)!;
    }
    const error = refusal(answer.status, answer.code, answer.message, loc.serverId);
    this.book.end(migrationId, 'failed', error.message);
    this.ctx.events.add({
      kind: 'migration-aborted',
      message: `move ${migrationId} of ${what} refused: ${error.message}`,
      table: config.table,
      tabletId: req.tabletId,
      serverId: loc.serverId,
    });
    throw error;
  }

  /** The tablet's META row and the encoding its bounds are shown in; NOT_FOUND when no live server or load of this master knows the id. */
  private async find(tabletId: string): Promise<Found> {
    const hit = this.ctx.registry.findTablet(tabletId);
    if (hit !== undefined) {
      const t = hit.tablet;
      const upper = t.upperInclusive === undefined ? undefined : Buffer.from(t.upperInclusive, hit.encoding === 'base64' ? 'base64' : 'utf8');
      const config = await readMovingConfig(this.ctx, t.table, upper);
      if (config !== undefined && config.location !== undefined && config.location.serverId !== hit.serverId) {
        // The heartbeat is older than META (a move or reassignment just happened): the id may mean nothing where it is now.
        throw new KdiError(
          'FAILED_PRECONDITION',
          `tablet ${tabletId} has just moved (META names ${config.location.serverId}, the last heartbeat ${hit.serverId}); look its id up again`,
          {
            retryAfterMs: 1000,
            details: { tabletId },
          },
        );
      }
      if (config !== undefined) return { config, encoding: hit.encoding === 'base64' || !utf8(config) ? 'base64' : 'utf8' };
    }
    // Loaded by this master, not in a heartbeat yet.
    const catalog = await readCatalog(this.ctx.metaRows);
    for (const table of catalog.tables.values()) {
      for (const t of table.tablets) {
        if (t.location !== undefined && this.assigner.idOf(t.table, t.upperInclusive, t.location.epoch) === tabletId) return { config: t, encoding: utf8(t) ? 'utf8' : 'base64' };
      }
    }
    throw new KdiError('NOT_FOUND', `no live server serves a tablet with id ${tabletId}; GET /v1/tables/{table}/tablets lists the tablet ids`, { details: { tabletId } });
  }

  private pickTarget(req: MoveRequest, source: string): string {
    const { registry, drains } = this.ctx;
    if (req.target !== undefined) {
      const t = req.target;
      if (t === source)
        throw new KdiError('INVALID_ARGUMENT', `target ${t} is the server the tablet is on; name another server, or leave target out`, { details: { field: 'target' } });
      if (!registry.known(t))
        throw new KdiError('NOT_FOUND', `target server ${t} is not known to the master; GET /v1/servers lists the servers`, { details: { field: 'target', serverId: t } });
      if (!registry.isLive(t)) throw new KdiError('FAILED_PRECONDITION', `target server ${t} is dead (its lock file is gone)`, { details: { field: 'target', serverId: t } });
      if (drains.has(t))
        throw new KdiError('FAILED_PRECONDITION', `target server ${t} is draining; end its drain first (DELETE /v1/servers/${t}/drain)`, {
          details: { field: 'target', serverId: t },
        });
      return t;
    }
    const counts = new Map<string, number>();
    for (const s of registry.liveTablets()) counts.set(s.serverId, s.tablets.length);
    const pick = leastLoaded(
      registry
        .liveLoads()
        .filter((l) => l.serverId !== source && !drains.has(l.serverId))
        .map((l) => ({ ...l, tablets: counts.get(l.serverId) ?? 0 })),
    );
    if (pick === undefined)
      throw new KdiError('FAILED_PRECONDITION', `there is no other live server that is not draining to move the tablet to`, { details: { tabletId: req.tabletId } });
    return pick.serverId;
  }

  /** One poll of every source with running moves. */
  async poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const bySource = new Map<string, MasterMigration[]>();
      for (const r of this.book.running()) bySource.set(r.source.serverId, [...(bySource.get(r.source.serverId) ?? []), r]);
      await Promise.all([...bySource].map(([serverId, records]) => this.pollSource(serverId, records)));
    } catch (e) {
      this.ctx.log.warn({ err: e }, 'polling the running moves failed');
    } finally {
      this.#polling = false;
    }
  }

  private async pollSource(serverId: string, records: readonly MasterMigration[]): Promise<void> {
    const { registry } = this.ctx;
    const url = registry.url(serverId);
    if (url === undefined) {
      // The source is gone: nothing drives the moves. Once it cannot act any more (the lock-delay), META has the outcome.
      if (registry.deadLongEnough(serverId, this.ctx.lockDelayMs())) for (const r of records) await this.settleFromMeta(r, `the source ${serverId} died`);
      return;
    }
    const answer = await this.ctx.admin.migrations(url);
    if (answer.status !== 200) return; // not answering now: try at the next poll
    const list = (answer.body as { migrations?: unknown[] } | undefined)?.migrations ?? [];
    const statuses = new Map<string, ReturnType<typeof MigrationProgressSchema.parse>>();
    for (const raw of list) {
      const parsed = MigrationProgressSchema.safeParse(raw);
      if (parsed.success) statuses.set(parsed.data.migrationId, parsed.data);
    }
    for (const r of records) {
      const status = statuses.get(r.migrationId);
      if (status === undefined) {
        const n = (this.#missing.get(r.migrationId) ?? 0) + 1;
        this.#missing.set(r.migrationId, n);
        if (n >= MISSING_POLLS) await this.settleFromMeta(r, `the source ${serverId} no longer reports the move (restarted?)`);
        continue;
      }
      this.#missing.delete(r.migrationId);
      this.book.progress(r.migrationId, status);
      if (status.outcome === 'committed') this.finish(r, 'committed');
      else if (status.outcome === 'aborted') this.finish(r, 'aborted', status.error ?? 'the source aborted the move');
    }
  }

  /** The outcome as META (the root for META) says: location on the target with the move's epoch → committed, else aborted. */
  private async settleFromMeta(r: MasterMigration, why: string): Promise<void> {
    this.#missing.delete(r.migrationId);
    const upper = r.upperInclusive === undefined ? undefined : Buffer.from(r.upperInclusive, r.encoding === 'base64' ? 'base64' : 'utf8');
    const loc = (await readMovingConfig(this.ctx, r.table, upper))?.location;
    // epoch 0: a move learned from its source (learn-moves.ts), whose new epoch is not known.
    if (loc !== undefined && loc.serverId === r.target.serverId && (r.epoch === 0 ? loc.epoch > r.previousEpoch : loc.epoch === r.epoch)) this.finish(r, 'committed');
    else this.finish(r, 'aborted', `${why}; META names ${loc === undefined ? 'no server' : `${loc.serverId} (epoch ${loc.epoch})`}`);
  }

  private finish(r: MasterMigration, state: 'committed' | 'aborted', error?: string): void {
    if (!this.book.end(r.migrationId, state, error)) return;
    const what = `tablet ${r.table} ${r.upperInclusive === undefined ? '(last)' : JSON.stringify(r.upperInclusive)} (${r.tabletId}) ${r.source.serverId} → ${r.target.serverId}`;
    if (state === 'committed') {
      const stall = this.book.get(r.migrationId)?.progress?.writeStallMs;
      this.ctx.events.add({
        kind: 'migration-committed',
        message: `move ${r.migrationId} of ${what} committed${stall !== undefined ? `; writes waited ${stall} ms` : ''}`,
        table: r.table,
        tabletId: r.tabletId,
        serverId: r.target.serverId,
      });
      this.ctx.kick();
    } else {
      this.ctx.events.add({
        kind: 'migration-aborted',
        message: `move ${r.migrationId} of ${what} aborted: ${error}`,
        table: r.table,
        tabletId: r.tabletId,
        serverId: r.source.serverId,
      });
    }
  }
}

function alreadyMoving(r: MasterMigration): KdiError {
  return new KdiError(
    'ALREADY_EXISTS',
    `tablet ${r.tabletId} is already moving (${r.migrationId}, ${r.source.serverId} → ${r.target.serverId}); GET /v1/migrations/${r.migrationId}`,
    {
      details: { tabletId: r.tabletId, migrationId: r.migrationId },
    },
  );
}

/** The source's refusal as the master's answer. */
function refusal(status: number, code: string | undefined, message: string, source: string): KdiError {
  if (status === 0) return new KdiError('UNAVAILABLE', `the source server ${source} did not answer: ${message}`, { retryAfterMs: 1000, details: { serverId: source } });
  if (status === 404 && (code === undefined || message.startsWith('no route '))) {
    return new KdiError('FAILED_PRECONDITION', `the source server ${source} cannot migrate tablets (it has no POST /v1/admin/tablets/{id}/migrate)`, {
      details: { serverId: source },
    });
  }
  // The source's own code when it is one a caller can act on; its auth or internal errors are the master's problem, not the caller's.
  const passOn = ['ALREADY_EXISTS', 'FAILED_PRECONDITION', 'INVALID_ARGUMENT', 'NOT_FOUND', 'UNAVAILABLE', 'ABORTED', 'RESOURCE_EXHAUSTED'] as const;
  const chosen = passOn.find((c) => c === code) ?? 'FAILED_PRECONDITION';
  return new KdiError(chosen, `the source server ${source} refused the move: ${message}`, { details: { serverId: source, status } });
}

/** A tablet's table and upper bound as one string (bytes as latin1), whatever encoding a record shows them in. */
function rangeKey(table: string, upper: Uint8Array | undefined): string {
  return `${table}\u0000${upper === undefined ? '+' : `=${Buffer.from(upper).toString('latin1')}`}`;
}

function recordKey(r: MasterMigration): string {
  return rangeKey(r.table, r.upperInclusive === undefined ? undefined : Buffer.from(r.upperInclusive, r.encoding === 'base64' ? 'base64' : 'utf8'));
}

function utf8(t: TabletConfig): boolean {
  return allUtf8([t.lowerExclusive, t.upperInclusive]);
}
