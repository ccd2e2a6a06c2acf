// The balancer's executor (DESIGN §9, docs/migration.md "Master"): gathers
// the live servers' loads from their heartbeats, asks the pure planner
// (plan.ts) for moves and merge candidates (merge-plan.ts), starts the
// moves through the MigrationService, carries out merges when they are on
// (merge-runner.ts, KDI_MASTER_MERGE_BELOW_BYTES > 0) and keeps each
// decision — what it saw, what it planned, why — for GET
// /v1/balancer/decisions.
//
// When it runs:
//   - every `intervalMs` (KDI_MASTER_BALANCE_INTERVAL_MS; 0 = never by
//     timer): a full run (drain and balance), trigger `periodic`;
//   - on POST /v1/balancer/run: trigger `manual`, optionally a dry run
//     (plans, starts nothing);
//   - every DRAIN_TICK_MS while a server is draining: drain moves only,
//     trigger `drain`, kept as a decision only when it planned a move.
// Runs are one at a time (a run asked for during one waits for it).
//
// Promises: running + started moves never exceed maxConcurrentMoves (the
// planner counts the MigrationService's running moves); a move the
// service refuses is kept in the decision with its error, and the run
// goes on with the next; the last KDI_MASTER_HISTORY_DECISIONS decisions are kept, and
// a decision that planned no move and carried out no merge replaces the
// previous one when that did nothing either, with the same trigger (a quiet
// cluster does not push real decisions out).
//
// The decisions are part of the master's history (src/history/): kept
// KDI_MASTER_HISTORY_DECISIONS deep, written to the lock service, restored
// by a master that takes over; its decision ids go on after the restored
// ones (d-N, N one above the largest restored).

import { META_TABLE, type BalancerDecision, type BalancerSettings, type PlannedMergeView, type TabletStatus } from '@kdi/protocol';
import type { MasterContext } from '../node/master-context.js';
import type { MigrationService } from '../migration/migration-service.js';
import type { ServerTablets } from '../servers/server-registry.js';
import { DEFAULT_MERGE_OPTIONS, planMerges, type MergeOptions, type MergeTablet } from './merge-plan.js';
import { runMerges } from './merge-runner.js';
import { planBalance, type PlanServer } from './plan.js';

export const DRAIN_TICK_MS = 1_000;

export type Trigger = BalancerDecision['trigger'];

export class Balancer {
  readonly #decisions: BalancerDecision[] = [];
  #seq = 0;
  #chain: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #nextPeriodic = 0;
  #onChange: () => void = () => {};

  constructor(
    private readonly ctx: MasterContext,
    private readonly migrations: MigrationService,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get settings(): BalancerSettings {
    const c = this.ctx.config;
    return {
      intervalMs: c.balanceIntervalMs,
      bytesSkewThreshold: c.balanceBytesSkew,
      rateSkewThreshold: c.balanceRateSkew,
      maxConcurrentMoves: c.balanceMaxMoves,
      mergeBelowBytes: c.mergeBelowBytes,
    };
  }

  start(): void {
    this.#nextPeriodic = this.now() + this.ctx.config.balanceIntervalMs;
    this.#timer = setInterval(() => void this.tick(), DRAIN_TICK_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Called after a decision is kept and after restore (the history recorder marks itself dirty). */
  onChange(listener: () => void): void {
    this.#onChange = listener;
  }

  /** Puts decisions a previous master kept (oldest first) before the ones held here; new ids go on above theirs. */
  restore(decisions: readonly BalancerDecision[]): void {
    const known = new Set(this.#decisions.map((d) => d.decisionId));
    const old = decisions.filter((d) => !known.has(d.decisionId));
    this.#decisions.splice(0, this.#decisions.length, ...[...old, ...this.#decisions].slice(-this.ctx.config.historyDecisions));
    for (const d of old) this.#seq = Math.max(this.#seq, Number(/^d-(\d+)$/.exec(d.decisionId)?.[1] ?? 0));
    this.#onChange();
  }

  /** Newest first. */
  decisions(limit?: number): BalancerDecision[] {
    const all = [...this.#decisions].reverse();
    return limit === undefined ? all : all.slice(0, limit);
  }

  /** A run now (after the one running, if any). */
  run(trigger: Trigger, dryRun: boolean): Promise<BalancerDecision> {
    const next = this.#chain.then(() => this.runNow(trigger, dryRun));
    this.#chain = next.catch(() => undefined);
    return next;
  }

  private async tick(): Promise<void> {
    if (this.ctx.election.role !== 'active') return;
    try {
      const interval = this.ctx.config.balanceIntervalMs;
      if (interval > 0 && this.now() >= this.#nextPeriodic) {
        this.#nextPeriodic = this.now() + interval;
        await this.run('periodic', false);
      } else if (this.ctx.drains.ids().some((id) => this.ctx.registry.isLive(id))) {
        await this.run('drain', false);
      }
    } catch (e) {
      this.ctx.log.warn({ err: e }, 'balancer run failed');
    }
  }

  private async runNow(trigger: Trigger, dryRun: boolean): Promise<BalancerDecision> {
    const live = this.ctx.registry.liveTablets();
    const servers = this.withCommittedMoves(
      live.map((x) => this.planServer(x)),
      live,
    );
    const running = this.migrations.book.running().map((r) => ({ tabletId: r.tabletId, from: r.source.serverId, to: r.target.serverId }));
    const s = this.settings;
    const plan = planBalance(servers, running, {
      bytesSkewThreshold: s.bytesSkewThreshold,
      rateSkewThreshold: s.rateSkewThreshold,
      maxConcurrentMoves: s.maxConcurrentMoves,
      balance: trigger !== 'drain',
    });
    const decisionId = `d-${++this.#seq}`;
    const moves: BalancerDecision['moves'] = [];
    for (const m of plan.moves) {
      const view = {
        tabletId: m.tabletId,
        table: m.table,
        from: m.from,
        to: m.to,
        reason: m.reason,
        diskBytes: m.diskBytes,
        requestsPerSec: m.requestsPerSec,
        skewBefore: m.skewBefore,
        skewAfter: m.skewAfter,
        explanation: m.explanation,
      };
      if (dryRun) {
        moves.push(view);
        continue;
      }
      try {
        const started = await this.migrations.move({ tabletId: m.tabletId, target: m.to, reason: m.reason === 'drain' ? 'drain' : 'balance', decisionId });
        moves.push({ ...view, migrationId: started.migrationId });
      } catch (e) {
        moves.push({ ...view, error: (e as Error).message });
      }
    }
    const decision: BalancerDecision = {
      decisionId,
      at: new Date().toISOString(),
      trigger,
      dryRun,
      servers: servers.map((p) => ({
        serverId: p.serverId,
        draining: p.draining,
        diskBytes: p.tablets.reduce((n, t) => n + t.diskBytes, 0),
        requestsPerSec: p.tablets.reduce((n, t) => n + t.requestsPerSec, 0),
        tablets: p.tablets.length,
      })),
      running: running.length,
      skewBefore: plan.skewBefore,
      skewAfter: plan.skewAfter,
      balanced: plan.balanced,
      moves,
      merges: await this.merges(trigger, dryRun, live, decisionId, s.maxConcurrentMoves - running.length - moves.filter((x) => x.migrationId !== undefined).length),
      notes: [...plan.notes],
    };
    this.keep(decision);
    if (moves.length > 0) {
      const started = moves.filter((m) => m.migrationId !== undefined).length;
      this.ctx.events.add({
        kind: 'balancer-run',
        message:
          `balancer ${decisionId} (${trigger}${dryRun ? ', dry run' : ''}) planned ${moves.length} move(s)${dryRun ? '' : `, started ${started}`}: ` +
          moves.map((m) => `${m.tabletId} ${m.from}→${m.to} (${m.reason})`).join(', '),
      });
    }
    return decision;
  }

  /** Merge candidates; carried out (two tablets at a time, within `slots`) when merges are on and this is not a dry run. */
  private async merges(trigger: Trigger, dryRun: boolean, live: readonly ServerTablets[], decisionId: string, slots: number): Promise<PlannedMergeView[]> {
    if (trigger === 'drain') return [];
    const below = this.ctx.config.mergeBelowBytes;
    const candidates = mergeCandidates(live, below > 0 ? { ...DEFAULT_MERGE_OPTIONS, smallBytes: below, maxMergedBytes: 4 * below } : DEFAULT_MERGE_OPTIONS);
    if (below === 0 || dryRun || candidates.length === 0) return candidates;
    return runMerges(this.ctx, this.migrations, candidates, live, decisionId, Math.max(0, slots));
  }

  private keep(d: BalancerDecision): void {
    // Did something (or would have, in a dry run): moves planned, or a merge carried out or begun.
    const acted = (x: BalancerDecision) => x.moves.length > 0 || x.merges.some((g) => g.merged !== undefined || g.migrationId !== undefined);
    if (d.trigger === 'drain' && !acted(d)) return;
    const last = this.#decisions.at(-1);
    if (!acted(d) && last !== undefined && !acted(last) && last.trigger === d.trigger && last.dryRun === d.dryRun) this.#decisions.pop();
    this.#decisions.push(d);
    if (this.#decisions.length > this.ctx.config.historyDecisions) this.#decisions.shift();
    this.#onChange();
  }

  /**
   * A move that committed after its source's last heartbeat: that heartbeat still lists the tablet. It is taken off the
   * source and put on the target (not movable: its id there is not known yet) until the servers report again, so it is
   * neither planned off the source a second time nor missing from the target's load.
   */
  private withCommittedMoves(servers: PlanServer[], live: readonly ServerTablets[]): PlanServer[] {
    const at = new Map(live.map((x) => [x.serverId, x.heartbeatAt?.getTime() ?? 0]));
    const byId = new Map(servers.map((x) => [x.serverId, { ...x, tablets: [...x.tablets] }]));
    for (const r of this.migrations.book.list()) {
      if (r.state !== 'committed' || r.endedAt === undefined) continue;
      const source = byId.get(r.source.serverId);
      const stale = source?.tablets.find((t) => t.tabletId === r.tabletId);
      if (source === undefined || stale === undefined || Date.parse(r.endedAt) < (at.get(r.source.serverId) ?? 0)) continue;
      source.tablets = source.tablets.filter((t) => t !== stale);
      const target = byId.get(r.target.serverId);
      if (target !== undefined && (at.get(r.target.serverId) ?? 0) <= Date.parse(r.endedAt))
        target.tablets.push({ ...stale, tabletId: `${r.tabletId}@${r.target.serverId}`, movable: false });
    }
    return [...byId.values()];
  }

  private planServer(s: ServerTablets): PlanServer {
    return {
      serverId: s.serverId,
      draining: this.ctx.drains.has(s.serverId),
      tablets: s.tablets.map((t) => ({
        tabletId: t.tabletId,
        table: t.table,
        diskBytes: t.diskBytes,
        requestsPerSec: t.readsPerSec + t.writesPerSec,
        // A tablet loading or unloading is not ready to move; META moves only off a draining server (plan.ts).
        movable: t.state === 'serving',
        drainOnly: t.table === META_TABLE,
      })),
    };
  }
}

/** Merge candidates of every table, from the heartbeats (bounds compared as bytes, shown as base64 when not UTF-8). */
function mergeCandidates(live: readonly ServerTablets[], options: MergeOptions): PlannedMergeView[] {
  const byTable = new Map<string, { t: TabletStatus; lower: Buffer | undefined; upper: Buffer | undefined }[]>();
  for (const s of live) {
    const enc = s.encoding === 'base64' ? 'base64' : 'utf8';
    for (const t of s.tablets) {
      if (t.table === META_TABLE || t.state !== 'serving') continue;
      const list = byTable.get(t.table) ?? [];
      list.push({
        t,
        lower: t.lowerExclusive === undefined ? undefined : Buffer.from(t.lowerExclusive, enc),
        upper: t.upperInclusive === undefined ? undefined : Buffer.from(t.upperInclusive, enc),
      });
      byTable.set(t.table, list);
    }
  }
  const out: PlannedMergeView[] = [];
  for (const [table, list] of [...byTable].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    list.sort((a, b) => (a.upper === undefined ? (b.upper === undefined ? 0 : 1) : b.upper === undefined ? -1 : Buffer.compare(a.upper, b.upper)));
    const tablets: MergeTablet[] = list.map(({ t, lower, upper }) => ({
      tabletId: t.tabletId,
      ...(lower !== undefined && { lowerExclusive: lower.toString('base64') }),
      ...(upper !== undefined && { upperInclusive: upper.toString('base64') }),
      diskBytes: t.diskBytes,
      requestsPerSec: t.readsPerSec + t.writesPerSec,
    }));
    for (const m of planMerges(table, tablets, options)) {
      out.push({ table, tabletIds: [...m.tabletIds], diskBytes: m.diskBytes, requestsPerSec: m.requestsPerSec, explanation: m.explanation });
    }
  }
  return out;
}
