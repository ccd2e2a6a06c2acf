// The assignment loop (DESIGN §7, §9). Each round, while this master is
// active:
//   1. META first: /kdi/root is created when missing (EMPTY_ROOT); when it
//      names no server, or a dead one (after the lock-delay), META gets a
//      new epoch in the root (compare-and-set) and is loaded on the
//      least-loaded live server.
//   2. Then every tablet row of every active table whose `location:` is
//      empty, names a dead server (after the lock-delay), or whose last
//      load failed (after the retry pause) gets a new epoch (the largest
//      seen + 1) written to `location:` with state `loading`, fenced by
//      MetaTableClient.writeTablet (the location it replaces must still be
//      there), and is loaded: POST {server}/v1/admin/tablets {table,
//      tabletId, epoch, upperInclusive} with the master's sequencer.
//   3. A tablet left `loading` on a live server that does not hold it (a
//      load cut short by a master failover) is assigned again.
// A load that fails because a log (or file) its config names cannot be
// read — the dead server's disks — leaves the tablet `unavailable` with
// that reason; it is tried again every RETRY_MS, on the server it came
// from as soon as that one is back.
//
// Rounds run one at a time; a kick during a round runs another after it.

import { describeTablet, EMPTY_ROOT, readRoot, writeRoot } from '@kdi/client-sdk';
import { isKdiError, META_TABLE, tabletRowKey, type TabletConfig } from '@kdi/protocol';
import type { MasterContext } from '../node/master-context.js';
import { readCatalog, type Catalog } from '../meta/catalog.js';
import { leastLoaded, type Candidate } from './placement.js';
import { newTabletId } from './tablet-ids.js';

/** Pause before a failed load is tried again. */
export const RETRY_MS = 2_000;
const META_KEY = '\u0000META';

/** What the master knows about a tablet beyond META: why it is not served, and the id it was loaded under. */
export interface TabletNote {
  readonly state: 'unassigned' | 'unavailable';
  readonly reason: string;
  /** Monotonic ms after which it is tried again. */
  readonly retryAt: number;
  /** The server whose disks hold its data (try there once it is back). */
  readonly preferServer?: string | undefined;
}

export function tabletKey(table: string, upper: Uint8Array | undefined): string {
  return table === META_TABLE ? META_KEY : tabletRowKey(table, upper).toString('latin1');
}

export class Assigner {
  /** Problems by tabletKey. */
  readonly notes = new Map<string, TabletNote>();
  /** Tablet ids by `${tabletKey}\u0000${epoch}`: the id each load used. */
  readonly ids = new Map<string, string>();
  #maxEpoch = 0;
  /** Per server that came back as a new process: tablets located there with an epoch up to this are not served by it. */
  readonly #staleUpTo = new Map<string, number>();
  /** Tablets being assigned right now (by tabletKey). */
  readonly #inFlight = new Set<string>();
  #running: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: MasterContext,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Runs rounds every `intervalMs` (and on kicks) until stop(). */
  start(intervalMs: number): void {
    this.#timer = setInterval(() => void this.kick(), intervalMs);
    this.#timer.unref();
    void this.kick();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Runs a round now, or right after the one running; resolves when a round that started after the call is done. */
  kick(): Promise<void> {
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running.then(() => this.#running ?? undefined);
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        try {
          await this.round();
        } catch (e) {
          this.ctx.log.warn({ err: e }, 'assignment round failed; trying again');
        }
      } while (this.#again && this.ctx.election.role === 'active');
    })().finally(() => (this.#running = undefined));
    return this.#running;
  }

  /** A new assignment epoch for a move: larger than `seen` and than every epoch this master has seen or given out. */
  newEpoch(seen: number): number {
    this.#maxEpoch = Math.max(this.#maxEpoch, seen);
    return ++this.#maxEpoch;
  }

  idOf(table: string, upper: Uint8Array | undefined, epoch: number): string | undefined {
    return this.ids.get(`${tabletKey(table, upper)}\u0000${epoch}`);
  }

  /** One pass over the root and META. */
  async round(): Promise<void> {
    if (this.ctx.election.role !== 'active') return;
    if (!(await this.ensureMeta())) return;
    const catalog = await readCatalog(this.ctx.metaRows);
    this.#maxEpoch = Math.max(this.#maxEpoch, catalog.maxEpoch);
    for (const id of this.ctx.registry.takeRestarts()) this.#staleUpTo.set(id, this.#maxEpoch);
    const counts = tabletCounts(catalog);
    const todo: TabletConfig[] = [];
    const holdings = new Map<string, Promise<Set<string> | undefined>>();
    // A server seen joining (a new process, or first seen by this master) holds only what it was given since:
    // tablets META places there that it does not hold are assigned again (e.g. after a restart of the whole cluster).
    const verify = new Set<string>();
    for (const id of this.ctx.registry.takeUnverified()) {
      const url = this.ctx.registry.url(id)!;
      const held = this.heldBy(url);
      holdings.set(id, held);
      if ((await held) === undefined) this.ctx.registry.unverified(id);
      else verify.add(id);
    }
    for (const table of catalog.tables.values()) {
      if (table.row === undefined || table.row.state !== 'active') continue;
      for (const t of table.tablets) {
        if (this.#inFlight.has(tabletKey(t.table, t.upperInclusive))) continue;
        if ((await this.notHeld(t, verify, holdings)) || (await this.needsAssignment(t, holdings))) todo.push(t);
      }
    }
    await Promise.all(todo.map((t) => this.assign(t, counts)));
  }

  /** True when `t` is located on a server being verified that does not hold it. */
  private async notHeld(t: TabletConfig, verify: ReadonlySet<string>, holdings: Map<string, Promise<Set<string> | undefined>>): Promise<boolean> {
    const loc = t.location;
    if (loc === undefined || !verify.has(loc.serverId) || this.notes.has(tabletKey(t.table, t.upperInclusive))) return false;
    const held = await holdings.get(loc.serverId);
    return held !== undefined && !held.has(tabletKey(t.table, t.upperInclusive));
  }

  private async needsAssignment(t: TabletConfig, holdings: Map<string, Promise<Set<string> | undefined>>): Promise<boolean> {
    const key = tabletKey(t.table, t.upperInclusive);
    const note = this.notes.get(key);
    const loc = t.location;
    if (loc === undefined) return note === undefined || note.retryAt <= this.now();
    const { registry } = this.ctx;
    if (!registry.isLive(loc.serverId)) {
      if (!registry.deadLongEnough(loc.serverId, this.ctx.lockDelayMs())) return false;
      return note === undefined || note.retryAt <= this.now();
    }
    if (note !== undefined) return note.retryAt <= this.now();
    if (loc.epoch <= (this.#staleUpTo.get(loc.serverId) ?? 0)) return true; // assigned to the server's previous process
    if (t.state !== 'loading' || this.idOf(t.table, t.upperInclusive, loc.epoch) !== undefined) return false;
    // Loading on a live server, but not by a load of ours: does that server hold it?
    let held = holdings.get(loc.serverId);
    if (held === undefined) holdings.set(loc.serverId, (held = this.heldBy(registry.url(loc.serverId) ?? loc.url)));
    const set = await held;
    return set !== undefined && !set.has(key);
  }

  /** Tablet keys the server at `url` holds (any state); undefined when it does not answer. */
  private async heldBy(url: string): Promise<Set<string> | undefined> {
    const a = await this.ctx.admin.status(url);
    if (a.status !== 200) return undefined;
    const tablets = (a.body as { tablets?: Array<{ table: string; upperInclusive?: string }> }).tablets ?? [];
    return new Set(tablets.map((v) => tabletKey(v.table, v.upperInclusive === undefined ? undefined : Buffer.from(v.upperInclusive, 'base64'))));
  }

  /** Live servers that may take tablets: not draining (docs/migration.md "Master"). */
  private candidates(counts: Map<string, number>, prefer: string | undefined): Candidate[] {
    const loads = this.ctx.registry.liveLoads().filter((l) => !this.ctx.drains.has(l.serverId));
    if (prefer !== undefined && loads.some((l) => l.serverId === prefer)) {
      return loads.filter((l) => l.serverId === prefer).map((l) => ({ ...l, tablets: counts.get(l.serverId) ?? 0 }));
    }
    return loads.map((l) => ({ ...l, tablets: counts.get(l.serverId) ?? 0 }));
  }

  private async assign(t: TabletConfig, counts: Map<string, number>): Promise<void> {
    const key = tabletKey(t.table, t.upperInclusive);
    this.#inFlight.add(key);
    try {
      await this.assignNow(t, key, counts);
    } finally {
      this.#inFlight.delete(key);
    }
  }

  private async assignNow(t: TabletConfig, key: string, counts: Map<string, number>): Promise<void> {
    const note = this.notes.get(key);
    const prefer = note?.preferServer;
    const target = leastLoaded(this.candidates(counts, prefer));
    if (target === undefined) {
      const draining = this.ctx.drains.ids().filter((id) => this.ctx.registry.isLive(id));
      const reason =
        draining.length > 0
          ? `no live tablet server that is not draining to assign it to (draining: ${draining.join(', ')}); start one, or end a drain`
          : 'no live tablet server to assign it to; start one';
      this.note(key, { state: 'unassigned', reason, retryAt: this.now() });
      return;
    }
    counts.set(target.serverId, (counts.get(target.serverId) ?? 0) + 1);
    const url = this.ctx.registry.url(target.serverId)!;
    const epoch = ++this.#maxEpoch;
    const read = await this.ctx.meta.readTablet(t.table, t.upperInclusive);
    if (read.config === undefined) return; // dropped meanwhile
    if (read.config.location?.epoch !== t.location?.epoch) {
      this.ctx.kick(); // assigned meanwhile: decide again on a fresh read
      return;
    }
    const expect = read.config.location && { serverId: read.config.location.serverId, epoch: read.config.location.epoch };
    try {
      await this.ctx.meta.writeTablet({ ...read.config, location: { serverId: target.serverId, url, epoch }, state: 'loading' }, expect, read.txn);
    } catch (e) {
      if (isKdiError(e) && (e.code === 'ABORTED' || e.code === 'FAILED_PRECONDITION')) {
        this.ctx.kick(); // the row changed (a split, a load): look again
        return;
      }
      throw e;
    }
    const tabletId = newTabletId(t.table);
    this.ids.set(`${key}\u0000${epoch}`, tabletId);
    const from = t.location !== undefined ? ` (was on ${t.location.serverId})` : '';
    this.ctx.events.add({
      kind: 'tablet-assigned',
      message: `tablet ${describeTablet(t)} → ${target.serverId}, epoch ${epoch}${from}`,
      table: t.table,
      tabletId,
      serverId: target.serverId,
    });
    const answer = await this.ctx.admin.loadTablet(url, {
      table: t.table,
      tabletId,
      epoch,
      encoding: 'base64',
      ...(t.upperInclusive !== undefined && { upperInclusive: Buffer.from(t.upperInclusive).toString('base64') }),
    });
    if (answer.status === 201) {
      this.notes.delete(key);
      this.ctx.events.add({
        kind: 'tablet-loaded',
        message: `tablet ${describeTablet(t)} serves on ${target.serverId} as ${tabletId}`,
        table: t.table,
        tabletId,
        serverId: target.serverId,
      });
      return;
    }
    this.loadFailed(key, t, target.serverId, answer.message);
  }

  private loadFailed(key: string, t: TabletConfig, serverId: string, message: string): void {
    const unreadable = [...t.logs.map((l) => l.dir), ...Object.values(t.fragments).flat()].find((p) => message.includes(p));
    const previous = t.location?.serverId;
    if (unreadable !== undefined) {
      const owner = this.notes.get(key)?.preferServer ?? previous;
      const reason =
        `its data at ${unreadable} cannot be read from ${serverId}: ${message}. ` +
        `It is tried again every ${RETRY_MS / 1000} s, and on ${owner ?? 'the server that wrote it'} as soon as that server is back.`;
      this.note(key, { state: 'unavailable', reason, retryAt: this.now() + RETRY_MS, preferServer: owner !== serverId ? owner : undefined });
      this.ctx.events.add({ kind: 'tablet-unavailable', message: `tablet ${describeTablet(t)} is unavailable: ${reason}`, table: t.table, serverId });
      return;
    }
    this.note(key, { state: 'unassigned', reason: `loading it on ${serverId} failed: ${message}; tried again in ${RETRY_MS / 1000} s`, retryAt: this.now() + RETRY_MS });
    this.ctx.events.add({ kind: 'error', message: `loading tablet ${describeTablet(t)} on ${serverId} failed: ${message}`, table: t.table, serverId });
    setTimeout(() => this.ctx.kick(), RETRY_MS + 10).unref();
  }

  private note(key: string, note: TabletNote): void {
    this.notes.set(key, note);
    if (note.state === 'unavailable') setTimeout(() => this.ctx.kick(), RETRY_MS + 10).unref();
  }

  /** Step 1: the root exists and names a live server serving META. False when META cannot be reached this round. */
  private async ensureMeta(): Promise<boolean> {
    const { lock, registry } = this.ctx;
    let root = await readRoot(lock);
    if (root === undefined) {
      try {
        await writeRoot(lock, EMPTY_ROOT, undefined);
        this.ctx.log.info('created /kdi/root (a new cluster)');
      } catch (e) {
        if (!(isKdiError(e) && e.code === 'ALREADY_EXISTS')) throw e;
      }
      root = await readRoot(lock);
      if (root === undefined) return false;
    }
    const loc = root.config.location;
    if (loc !== undefined) this.#maxEpoch = Math.max(this.#maxEpoch, loc.epoch);
    const note = this.notes.get(META_KEY);
    if (loc !== undefined && registry.isLive(loc.serverId)) {
      if (note !== undefined) {
        if (note.retryAt > this.now()) return false;
      } else if (!registry.isRestarted(loc.serverId) && registry.url(loc.serverId) === loc.url) {
        if (this.ids.has(`${META_KEY}\u0000${loc.epoch}`)) return true;
        const held = await this.heldBy(loc.url);
        if (held === undefined || held.has(META_KEY)) return true;
      } // else a new process (restarted, or at another URL): it does not serve META; assign it again (below)
    } else if (loc !== undefined && !registry.deadLongEnough(loc.serverId, this.ctx.lockDelayMs())) {
      return false;
    }
    const target = leastLoaded(this.candidates(new Map(), note?.preferServer));
    if (target === undefined) {
      this.notes.set(META_KEY, { state: 'unassigned', reason: 'no live tablet server to assign META to; start one', retryAt: this.now() });
      return false;
    }
    const url = registry.url(target.serverId)!;
    const epoch = ++this.#maxEpoch;
    try {
      // A move of META its old server was driving is over (state cleared): the new epoch fences its commit.
      await writeRoot(lock, { ...root.config, location: { serverId: target.serverId, url, epoch }, state: undefined }, root.generation);
    } catch (e) {
      if (isKdiError(e) && e.code === 'ABORTED') return false; // a server rewrote the root: next round
      throw e;
    }
    this.ids.set(`${META_KEY}\u0000${epoch}`, 'meta');
    this.ctx.events.add({ kind: 'tablet-assigned', message: `META → ${target.serverId}, epoch ${epoch}`, table: META_TABLE, tabletId: 'meta', serverId: target.serverId });
    const answer = await this.ctx.admin.loadTablet(url, { table: META_TABLE, tabletId: 'meta', epoch });
    if (answer.status === 201) {
      this.notes.delete(META_KEY);
      this.ctx.events.add({ kind: 'tablet-loaded', message: `META serves on ${target.serverId}`, table: META_TABLE, tabletId: 'meta', serverId: target.serverId });
      return true;
    }
    const metaConfig: TabletConfig = {
      table: META_TABLE,
      lowerExclusive: undefined,
      upperInclusive: undefined,
      location: loc,
      logs: root.config.logs,
      fragments: root.config.fragments,
      state: undefined,
    };
    this.loadFailed(META_KEY, metaConfig, target.serverId, answer.message);
    return false;
  }
}

/** Tablets per server in META (locations), for placement. */
export function tabletCounts(catalog: Catalog): Map<string, number> {
  const counts = new Map<string, number>();
  for (const table of catalog.tables.values()) {
    for (const t of table.tablets) if (t.location !== undefined) counts.set(t.location.serverId, (counts.get(t.location.serverId) ?? 0) + 1);
  }
  return counts;
}
