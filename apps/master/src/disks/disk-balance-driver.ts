// The master's automatic disk balance (issue 11, docs/disks.md "Master"):
// with KDI_MASTER_DISK_BALANCE=auto, every KDI_MASTER_DISK_BALANCE_INTERVAL_MS
// the active master goes over the live servers and, on each where no disk
// migration runs, asks its disk-balance (not a dry run) with the master's
// thresholds: the server plans (disk-balance-plan.ts) and starts the first
// move. One move per server at a time: a server with a migration running
// is left alone this round ("waiting").
//
// Each server's round is a decision — started, balanced, waiting or failed
// — with its reason (the planned move's explanation, the plan's notes, or
// the error), kept for GET /v1/disk-balance/decisions (the last
// KDI_MASTER_HISTORY_DECISIONS, newest first; a quiet decision replaces the
// server's previous one when that was quiet with the same outcome, so an
// idle cluster does not push the real ones out). Started and failed ones
// also go to the event log (kind disk-balance). Both are part of the
// master's history (src/history/): written to the lock service, restored
// by a master that takes over, whose decision ids go on above the
// restored ones (dd-N).
//
// Promises: rounds run one at a time and only on the active master; a
// server that fails (no answer, an error) is a failed decision, and the
// round goes on with the next server; stop() ends the timer.

import { DiskBalanceReplySchema, DiskMigrationListReplySchema, type DiskBalanceDecision, type DiskBalanceSettings } from '@kdi/protocol';
import type { MasterContext } from '../node/master-context.js';
import type { DiskProxy } from './disk-proxy.js';

const pct = (u: number) => `${(u * 100).toFixed(1)}%`;

export class DiskBalanceDriver {
  readonly #decisions: DiskBalanceDecision[] = [];
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<DiskBalanceDecision[]> | undefined;
  #onChange: () => void = () => {};

  constructor(
    private readonly ctx: MasterContext,
    private readonly proxy: DiskProxy,
  ) {}

  get settings(): DiskBalanceSettings {
    const c = this.ctx.config;
    return {
      mode: c.diskBalance,
      intervalMs: c.diskBalanceIntervalMs,
      usageFloor: c.diskBalanceUsageFloor,
      skewThreshold: c.diskBalanceSkewThreshold,
      minTabletBytes: c.diskBalanceMinTabletBytes,
    };
  }

  start(): void {
    if (this.ctx.config.diskBalance !== 'auto') return;
    this.#timer = setInterval(() => {
      if (this.ctx.election.role !== 'active') return;
      this.round().catch((e: unknown) => this.ctx.log.warn({ err: e }, 'disk balance round failed'));
    }, this.ctx.config.diskBalanceIntervalMs);
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
  restore(decisions: readonly DiskBalanceDecision[]): void {
    const known = new Set(this.#decisions.map((d) => d.decisionId));
    const old = decisions.filter((d) => !known.has(d.decisionId));
    this.#decisions.splice(0, this.#decisions.length, ...[...old, ...this.#decisions].slice(-this.ctx.config.historyDecisions));
    for (const d of old) this.#seq = Math.max(this.#seq, Number(/^dd-(\d+)$/.exec(d.decisionId)?.[1] ?? 0));
    this.#onChange();
  }

  /** Newest first. */
  decisions(limit?: number): DiskBalanceDecision[] {
    const all = [...this.#decisions].reverse();
    return limit === undefined ? all : all.slice(0, limit);
  }

  /** One round over the live servers (a round asked for during one joins it). */
  round(): Promise<DiskBalanceDecision[]> {
    this.#running ??= this.roundNow().finally(() => (this.#running = undefined));
    return this.#running;
  }

  private async roundNow(): Promise<DiskBalanceDecision[]> {
    const out: DiskBalanceDecision[] = [];
    for (const { serverId } of this.ctx.registry.liveLoads()) {
      const d = await this.serverRound(serverId);
      this.keep(d);
      out.push(d);
    }
    return out;
  }

  private async serverRound(serverId: string): Promise<DiskBalanceDecision> {
    const base = { decisionId: `dd-${++this.#seq}`, at: new Date().toISOString(), serverId };
    try {
      const running = (await this.proxy.call(serverId, 'GET', '/disk-migrations', DiskMigrationListReplySchema)).migrations.filter((m) => m.endedAtMs === undefined);
      if (running.length > 0) {
        const r = running[0]!;
        return {
          ...base,
          outcome: 'waiting',
          reason: `a disk migration runs there: ${r.tablet} ${r.from} → ${r.to} (${r.state}, ${r.bytesCopied} of ${r.bytes} bytes); one move at a time`,
        };
      }
      const s = this.settings;
      const reply = await this.proxy.call(serverId, 'POST', '/disk-balance', DiskBalanceReplySchema, {
        dryRun: false,
        usageFloor: s.usageFloor,
        skewThreshold: s.skewThreshold,
        minTabletBytes: s.minTabletBytes,
      });
      const plan = reply.plan;
      const skews = { skewBefore: plan.skewBefore, skewAfter: plan.skewAfter };
      const first = plan.moves[0];
      if (first === undefined) return { ...base, outcome: 'balanced', reason: plan.notes.join('; ') || 'nothing to do', ...skews };
      if (reply.started !== undefined) {
        return { ...base, outcome: 'started', reason: `moving ${first.tabletId} ${first.from} → ${first.to}: ${first.explanation}`, move: first, ...skews };
      }
      return {
        ...base,
        outcome: 'failed',
        reason: `planned ${first.tabletId} ${first.from} → ${first.to}, but it did not start: ${reply.error ?? 'no reason given'}`,
        move: first,
        ...skews,
      };
    } catch (e) {
      return { ...base, outcome: 'failed', reason: (e as Error).message };
    }
  }

  private keep(d: DiskBalanceDecision): void {
    const quiet = (x: DiskBalanceDecision) => x.outcome === 'balanced' || x.outcome === 'waiting';
    if (quiet(d)) {
      let i = this.#decisions.length - 1;
      while (i >= 0 && this.#decisions[i]!.serverId !== d.serverId) i--;
      const last = i < 0 ? undefined : this.#decisions[i];
      if (last !== undefined && quiet(last) && last.outcome === d.outcome) this.#decisions.splice(i, 1);
    } else {
      const skew = d.skewBefore === undefined ? '' : ` (skew ${pct(d.skewBefore)} → ${pct(d.skewAfter ?? d.skewBefore)})`;
      this.ctx.events.add({
        kind: 'disk-balance',
        message: `disk balance ${d.decisionId} on ${d.serverId}: ${d.outcome}${skew}: ${d.reason}`,
        serverId: d.serverId,
        ...(d.move !== undefined && { tabletId: d.move.tabletId, table: d.move.table }),
      });
    }
    this.#decisions.push(d);
    while (this.#decisions.length > this.ctx.config.historyDecisions) this.#decisions.shift();
    this.#onChange();
  }
}
