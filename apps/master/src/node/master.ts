// The master (DESIGN §9) put together: election, server watch, heartbeats,
// the assignment loop, table DDL, file GC, tablet moves, the balancer,
// drains, the event log and the durable history of moves, decisions and
// events (src/history/), over one
// LockClient and META access. start(url) runs after the HTTP server
// listens (the URL goes into /kdi/master); the master stands by until it
// wins the election, then bootstraps the root and META and keeps the
// cluster assigned. A master that loses its lock-service session calls
// `onLost` (main.ts exits with code 3: a supervisor restarts it as a
// standby) and stops acting at once.
//
// Standbys answer GET /v1/master (role standby, naming the active master)
// and refuse every other master route with UNAVAILABLE naming the active
// master's URL: they proxy nothing.

import { LockClient, MetaRouter, MetaTableClient } from '@kdi/client-sdk';
import { KdiError, type ClusterEvent, type DrainReply, type HeartbeatReply, type MasterServer, type MasterStatusReply } from '@kdi/protocol';
import type { FastifyBaseLogger } from 'fastify';
import { Assigner } from '../assignment/assigner.js';
import { tabletCounts } from '../assignment/assigner.js';
import { Balancer } from '../balancer/balancer.js';
import { AdminClient } from '../cluster/admin-client.js';
import { DiskBalanceDriver } from '../disks/disk-balance-driver.js';
import { DiskProxy } from '../disks/disk-proxy.js';
import type { MasterConfig } from '../config.js';
import { Election } from '../election/election.js';
import { EventLog } from '../events/event-log.js';
import { GcDriver } from '../gc/gc-driver.js';
import { HistoryRecorder } from '../history/history-recorder.js';
import { HistoryStore } from '../history/history-store.js';
import { historyParts } from '../history/history-parts.js';
import { readCatalog } from '../meta/catalog.js';
import { MoveLearner } from '../migration/learn-moves.js';
import { MigrationService } from '../migration/migration-service.js';
import { DrainSet } from '../servers/drain-set.js';
import { ServerRegistry, type ServerHeartbeat } from '../servers/server-registry.js';
import { ServerWatch } from '../servers/server-watch.js';
import { TableService } from '../tables/table-service.js';
import type { MasterContext } from './master-context.js';

/** How often the assignment loop runs without a kick. */
export const RECONCILE_INTERVAL_MS = 2_000;

export interface MasterDeps {
  readonly logger: FastifyBaseLogger;
  /** Called once when the session is lost; the caller must stop the process (main.ts exits 3). */
  readonly onLost: (reason: string) => void;
}

interface Active {
  readonly ctx: MasterContext;
  readonly assigner: Assigner;
  readonly tables: TableService;
  readonly gc: GcDriver;
  readonly watch: ServerWatch;
  readonly migrations: MigrationService;
  readonly balancer: Balancer;
  readonly learner: MoveLearner;
  /** A server's disk routes, through the master (issue 11). */
  readonly diskProxy: DiskProxy;
  /** The automatic disk balance (KDI_MASTER_DISK_BALANCE). */
  readonly diskBalance: DiskBalanceDriver;
}

export class Master {
  readonly events: EventLog;
  readonly registry = new ServerRegistry();
  readonly lock: LockClient;
  readonly drains: DrainSet;
  #url: string | undefined;
  #election: Election | undefined;
  #active: Active | undefined;
  #parts: Active | undefined;
  #history: HistoryRecorder | undefined;
  #closed = false;

  constructor(
    readonly config: MasterConfig,
    private readonly deps: MasterDeps,
  ) {
    const log = deps.logger;
    this.events = new EventLog(config.historyEvents, (e: ClusterEvent) => log.info({ event: e }, `event ${e.kind}: ${e.message}`));
    this.lock = new LockClient({ url: config.lockUrl, ...(config.lockSecret !== undefined && { secret: config.lockSecret }), ttlMs: config.leaseTtlMs });
    this.drains = new DrainSet(this.lock);
  }

  get url(): string | undefined {
    return this.#url;
  }

  get role(): 'active' | 'standby' {
    return this.#active !== undefined && this.#election?.role === 'active' ? 'active' : 'standby';
  }

  /** Joins the election with this URL; resolves at once (standing by runs in the background). */
  start(listeningUrl: string): void {
    const url = this.config.url ?? listeningUrl;
    this.#url = url;
    const log = this.deps.logger;
    const election = new Election(this.lock, {
      url,
      ttlMs: this.config.leaseTtlMs,
      onLost: (reason) => {
        this.#active = undefined;
        this.#history?.stop();
        this.stopParts();
        log.fatal({ reason }, 'the master lost its lock-service session; it stops acting');
        this.deps.onLost(reason);
      },
      log: (level, message) => log[level](message),
    });
    this.#election = election;
    let kick = () => {};
    const ctx: MasterContext = {
      config: this.config,
      url,
      lock: this.lock,
      election,
      metaRows: new MetaRouter({ lockClient: this.lock, clusterSecret: this.config.clusterSecret }),
      meta: undefined as unknown as MetaTableClient,
      registry: this.registry,
      drains: this.drains,
      admin: new AdminClient(this.config.clusterSecret, () => election.sequencer),
      events: this.events,
      log,
      lockDelayMs: () => election.lockDelayMs ?? this.config.leaseTtlMs,
      kick: () => kick(),
    };
    (ctx as { meta: MetaTableClient }).meta = new MetaTableClient(ctx.metaRows);
    const assigner = new Assigner(ctx);
    kick = () => void assigner.kick();
    const migrations = new MigrationService(ctx, assigner);
    const diskProxy = new DiskProxy(this.registry, () => ctx.admin);
    const parts: Active = {
      ctx,
      assigner,
      tables: new TableService(ctx, assigner, (table, upper) => migrations.movingNow(table, upper)),
      gc: new GcDriver(ctx),
      watch: new ServerWatch(ctx),
      migrations,
      balancer: new Balancer(ctx, migrations),
      learner: new MoveLearner(ctx, migrations.book),
      diskProxy,
      diskBalance: new DiskBalanceDriver(ctx, diskProxy),
    };
    this.#parts = parts;
    election
      .run()
      .then(async (sequencer) => {
        if (this.#closed) return;
        // The predecessor's moves, decisions and events first (bounded; never stops the takeover), so this master's own come after them.
        const history = new HistoryRecorder({
          store: new HistoryStore(this.lock),
          parts: historyParts(migrations.book, parts.balancer, this.events, parts.diskBalance),
          writer: { url, generation: sequencer.generation },
          flushMs: this.config.historyFlushMs,
          maxBytes: this.config.historyMaxBytes,
          isWriter: () => election.role === 'active' && election.sequencer?.generation === sequencer.generation,
          log,
        });
        this.#history = history;
        const dirty = () => history.markDirty();
        migrations.book.onChange(dirty);
        parts.balancer.onChange(dirty);
        parts.diskBalance.onChange(dirty);
        this.events.onChange(dirty);
        await history.takeOver();
        this.events.add({ kind: 'master-elected', message: `${url} is the active master (sequencer generation ${sequencer.generation})` });
        await parts.watch.refresh().catch((e: unknown) => log.warn({ err: e }, 'listing the server files failed'));
        // Drains another master began go on (before the first assignment round, so a draining server gets nothing).
        await this.drains.load().catch((e: unknown) => log.warn({ err: e }, `listing the drains failed; drains another master began are not continued`));
        // Moves the sources drive that the restored history does not name (started just before the failover, or ended during it).
        parts.learner.start(history.restoredWrittenAt);
        this.#active = parts;
        void parts.watch.run();
        parts.assigner.start(RECONCILE_INTERVAL_MS);
        parts.gc.start(this.config.gcIntervalMs);
        parts.migrations.start();
        parts.balancer.start();
        parts.diskBalance.start();
      })
      .catch((e: unknown) => {
        if (this.#closed) return;
        log.fatal({ err: e }, 'the master election failed');
        this.deps.onLost(`the election failed: ${(e as Error).message}`);
      });
  }

  /** The active parts, or UNAVAILABLE naming the active master. */
  active(): Active {
    if (this.#active !== undefined && this.#election?.role === 'active') return this.#active;
    const other = this.#election?.activeUrl;
    // The lock file can name this master before it is active: it holds the lock and is still taking over (bootstrap, history).
    const message =
      other !== undefined && other === this.#url
        ? `this master (${other}) is taking over as the active master; retry in a moment`
        : `this master (${this.#url ?? 'starting'}) is a standby; the active master is ${other ?? 'not elected yet'}`;
    throw new KdiError('UNAVAILABLE', message, {
      retryAfterMs: 1000,
      details: { role: 'standby', ...(other !== undefined && { activeMaster: other }) },
    });
  }

  async status(): Promise<MasterStatusReply> {
    const base = { url: this.#url ?? '', lockUrl: this.config.lockUrl };
    const a = this.role === 'active' ? this.#active : undefined;
    if (a === undefined) {
      await this.#election?.readActiveUrl().catch(() => undefined);
      return { ...base, role: 'standby', tables: 0, servers: 0, tablets: 0, unavailableTablets: 0 };
    }
    // META may be unreachable for a moment (being assigned): the role still answers.
    const counts = await a.tables.counts().catch(() => ({ tables: 0, tablets: 0, unavailable: 0 }));
    return {
      ...base,
      role: 'active',
      ...(this.#election?.activeSince && { activeSince: this.#election.activeSince.toISOString() }),
      tables: counts.tables,
      servers: this.registry.liveLoads().length,
      tablets: counts.tablets,
      unavailableTablets: counts.unavailable,
    };
  }

  /** The active master's URL as last seen (for standbys' replies). */
  get activeUrl(): string | undefined {
    return this.#election?.activeUrl;
  }

  heartbeat(hb: ServerHeartbeat & { readonly reason?: string }): HeartbeatReply {
    const a = this.active();
    if (hb.reason === 'split') {
      // META already holds the halves (the server wrote them): describe shows them; the event says it happened.
      this.events.add({ kind: 'tablet-split', message: `server ${hb.serverId} split a tablet; it now holds ${hb.tablets.length} tablet(s)`, serverId: hb.serverId });
    }
    if (!this.registry.heartbeat(hb, new Date())) {
      // Not (yet) seen in /kdi/servers: look again; the heartbeat counts from the next one.
      void a.watch.refresh().catch(() => undefined);
    }
    return { masterUrl: this.#url!, intervalMs: this.config.heartbeatIntervalMs };
  }

  async servers(): Promise<MasterServer[]> {
    const a = this.active();
    const counts = tabletCounts(await readCatalog(a.ctx.metaRows));
    return this.registry.list(counts, (id) => this.drains.has(id));
  }

  /** Starts (draining: true) or ends a drain of a live server; NOT_FOUND for a server the master does not know. */
  async drain(serverId: string, draining: boolean): Promise<DrainReply> {
    const a = this.active();
    const tablets = () => this.registry.liveTablets().find((s) => s.serverId === serverId)?.tablets.length ?? 0;
    if (!draining) {
      if (this.drains.has(serverId)) {
        await this.drains.remove(serverId);
        this.events.add({ kind: 'server-drain-ended', message: `server ${serverId} is no longer draining; it takes tablets again`, serverId });
        a.ctx.kick();
      }
      return { serverId, draining: false, tablets: tablets() };
    }
    if (!this.registry.known(serverId)) {
      throw new KdiError('NOT_FOUND', `server ${serverId} is not known to the master; GET /v1/servers lists the servers`, { details: { serverId } });
    }
    if (!this.registry.isLive(serverId)) {
      throw new KdiError('FAILED_PRECONDITION', `server ${serverId} is dead: its tablets are reassigned already; there is nothing to drain`, { details: { serverId } });
    }
    if (!this.drains.has(serverId)) {
      await this.drains.add(serverId);
      this.events.add({ kind: 'server-draining', message: `server ${serverId} is draining: it gets no new tablets and its ${tablets()} tablet(s) are moved off`, serverId });
      void a.balancer.run('drain', false).catch((e: unknown) => this.deps.logger.warn({ err: e }, 'drain run failed'));
    }
    return { serverId, draining: true, tablets: tablets() };
  }

  private stopParts(): void {
    const p = this.#parts;
    p?.assigner.stop();
    p?.gc.stop();
    p?.watch.stop();
    p?.migrations.stop();
    p?.balancer.stop();
    p?.diskBalance.stop();
    p?.learner.stop();
  }

  /** Stops acting and gives up the election (the lock and /kdi/master go at once). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#active = undefined;
    this.stopParts();
    // What changed since the last write, before the election is given up (a clean stop loses no history).
    await this.#history?.close();
    await this.#election?.close();
    await this.lock.close();
  }
}
