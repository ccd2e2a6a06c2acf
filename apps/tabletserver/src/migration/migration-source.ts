// The source's driver of a tablet migration (DESIGN §10, docs/migration.md):
// prepare → copy → catch-up (ending with the target's preload: it loads
// the tablet from the files so far, not served, and warms its cache) →
// delta (rounds of the cells written since, applied at the target while
// writes go on) → freeze → commit (carrying only the cells since the last
// round) → done, in the background after the master's POST .../migrate.
//
// Promises:
//  - until the target has committed, the tablet serves here: every
//    failure before commit (the target refuses, a CRC mismatch, a network
//    error, an abort) unfreezes it, releases the pins and asks the target
//    to delete its temp files (best effort; the target also sweeps idle
//    migrations and cleans up at start);
//  - files are pinned (libs/storage tablet-pin.ts) from the moment their
//    list is read until the move ends, so each stays readable while sent;
//    each is sent once, with the CRC-32C of its bytes;
//  - a write tap (libs/storage tablet-write-tap.ts) opened before the
//    catch-up's last serialization records every write after it; the
//    files of the lists after that serialization (the preload's) plus the
//    tap's cells are the whole tablet. Delta rounds send the tap's cells
//    in order; at freeze, with no write to the tablet in flight, the rest
//    of the tap goes with the commit — every write acknowledged before
//    the freeze is in the preloaded files, a delta round or the commit;
//  - from prepare on, META says `state: migrating` for the tablet (the
//    target's commit is conditioned on it);
//  - commit: the target's 200 means committed; any other end of the call
//    is an unknown outcome, settled by asking the target (its DELETE waits
//    for a commit in progress and answers its outcome) and, when it cannot
//    say, by the fence: writing the config back to `serving` (conditioned
//    on this server and epoch) succeeds only if no commit landed, and then
//    none can; refused, META names the winner. Writes stay frozen
//    (bounded, retryable) until it is settled;
//  - from just before the commit is sent until it is settled, reads of
//    the tablet that open after that moment wait (bounded like writes;
//    storage read-gate.ts): the target may acknowledge writes from its
//    META write on, and a read here must not miss them;
//  - committed: the tablet leaves this server (TabletServer.handOver);
//    requests for its rows — waiting reads included — get WRONG_TABLET
//    with the target's location (known here: no META read for the hint).
//    Aborted or fenced: they go on here.
// META itself moves the same way; its config is the root, not a META row
// (tablets/move-config.ts, docs/migration.md "Moving META").

import { type Cell, encodeCellBlock, KdiError, type MigrationStep } from '@kdi/protocol';
import type { Engine, FragmentLists, HotBlock, ReadGate, TabletPin, TabletWriteTap, WriteFreeze } from '@kdi/storage';
import { cellSize, crc32c } from '@kdi/primitives';
import type { TabletServer } from '../tablets/tablet-server.js';
import type { ServerLogger } from '../tablets/tablet-types.js';
import type { TabletMeta } from '../tablets/tablet-meta.js';
import type { CrashPoint } from './crash-point.js';
import { MigrationBook, MigrationRecord, type Peer } from './migration-book.js';
import { PeerClient, PeerError } from './peer-client.js';

export interface MigrationSourceDeps {
  readonly server: TabletServer;
  readonly book: MigrationBook;
  readonly clusterSecret: string;
  /** How long a write waits on the frozen tablet before UNAVAILABLE (KDI_TS_MIGRATION_FREEZE_MS). */
  readonly freezeMs: number;
  /** This server's URL once it joined (the target's calls back are none, but it is recorded there). */
  readonly selfUrl: () => string | undefined;
  readonly crash: (point: CrashPoint) => void;
  /** Test-only pause (crash-point.ts). */
  readonly pause: (point: CrashPoint) => Promise<void>;
  readonly logger: ServerLogger;
}

export interface MigrateRequest {
  readonly migrationId: string;
  readonly tabletId: string;
  readonly target: Peer;
  readonly newEpoch: number;
  /** The master's sequencer header, passed on to the target. */
  readonly sequencer: string | undefined;
}

/** At most this many catch-up rounds (each serializes and sends what is new). */
const MAX_CATCH_UP_ROUNDS = 4;
/** At most this many delta rounds after the preload; they stop once what the next would carry is this small, or not less than the last. */
const MAX_DELTA_ROUNDS = 8;
const DELTA_DONE_BYTES = 16 * 1024;
/** One delta request carries at most this many cell bytes (and at most half the request limit). */
const DELTA_BLOCK_BYTES = 16 << 20;
const SETTLE_RETRY_MS = 250;

export class MigrationSource {
  private readonly aborted = new Set<string>();
  private readonly runs = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly d: MigrationSourceDeps) {}

  private get engine(): Engine {
    return this.d.server.engine;
  }

  /** Checks the request and starts the move in the background (docs/migration.md migrate). */
  start(req: MigrateRequest): MigrationRecord {
    const { server, book } = this.d;
    const meta = server.meta;
    if (meta === undefined) throw new KdiError('FAILED_PRECONDITION', `server ${server.serverId} runs without a lock service: no migrations`);
    const entry = server.map.get(req.tabletId);
    if (entry === undefined) throw new KdiError('NOT_FOUND', `tablet ${req.tabletId} is not on server ${server.serverId}`, { details: { tabletId: req.tabletId } });
    if (entry.state !== 'serving' || entry.epoch === undefined) {
      throw new KdiError(
        'FAILED_PRECONDITION',
        `tablet ${req.tabletId} is ${entry.state}${entry.epoch === undefined ? ' without an assignment epoch' : ''}, not serving: it cannot move`,
        {
          details: { tabletId: req.tabletId, state: entry.state },
        },
      );
    }
    if (book.find('source', req.migrationId) !== undefined)
      throw new KdiError('ALREADY_EXISTS', `migration ${req.migrationId} is known here already`, { details: { migrationId: req.migrationId } });
    const moving = book.movingTablet('source', req.tabletId);
    if (moving !== undefined)
      throw new KdiError('ALREADY_EXISTS', `tablet ${req.tabletId} is already moving (migration ${moving.migrationId})`, { details: { migrationId: moving.migrationId } });
    if (req.target.serverId === server.serverId)
      throw new KdiError('INVALID_ARGUMENT', `the target is this server (${server.serverId})`, { details: { field: 'target.serverId' } });
    if (req.newEpoch <= entry.epoch) {
      throw new KdiError('INVALID_ARGUMENT', `epoch ${req.newEpoch} must be above the tablet's current epoch ${entry.epoch}`, {
        details: { field: 'epoch', currentEpoch: entry.epoch },
      });
    }
    const selfUrl = this.d.selfUrl();
    if (selfUrl === undefined) throw new KdiError('UNAVAILABLE', `server ${server.serverId} has not joined its cluster yet`, { retryAfterMs: 1000 });
    const rec = new MigrationRecord(req.migrationId, req.tabletId, entry.table, 'source', req.target);
    book.add(rec);
    const run = this.run(rec, req, meta, { epoch: entry.epoch, lowerExclusive: entry.lowerExclusive, upperInclusive: entry.upperInclusive }, selfUrl);
    this.runs.add(run);
    void run.finally(() => this.runs.delete(run));
    return rec;
  }

  /** DELETE at the source: stops the move before commit; past it, nothing changes. The record, or undefined. */
  abort(migrationId: string): MigrationRecord | undefined {
    const rec = this.d.book.find('source', migrationId);
    if (rec !== undefined && !rec.ended) this.aborted.add(migrationId);
    return rec;
  }

  /** Stops starting steps: running moves abort at their next check (the process is going away). */
  async close(): Promise<void> {
    this.closed = true;
    for (const rec of this.d.book.list()) if (rec.role === 'source') this.aborted.add(rec.migrationId);
    await Promise.allSettled([...this.runs]);
  }

  private async run(
    rec: MigrationRecord,
    req: MigrateRequest,
    meta: TabletMeta,
    tablet: { epoch: number; lowerExclusive: Uint8Array | undefined; upperInclusive: Uint8Array | undefined },
    selfUrl: string,
  ): Promise<void> {
    const { server, logger } = this.d;
    const engine = this.engine;
    const id = req.tabletId;
    const peer = new PeerClient(req.target.url, {
      authorization: `Bearer ${this.d.clusterSecret}`,
      ...(req.sequencer !== undefined && { 'x-kdi-sequencer': req.sequencer }),
    });
    const pins: TabletPin[] = [];
    /** Source path → the name it was sent under. */
    const sent = new Map<string, string>();
    let freeze: WriteFreeze | undefined;
    let readGate: ReadGate | undefined;
    let tap: TabletWriteTap | undefined;
    let stallStart = 0;
    let committed = false;
    let unsettled = false;
    /** The settle step already wrote `serving` back (the fence). */
    let fenced = false;
    const step = (s: MigrationStep, crash: CrashPoint) => {
      this.check(req.migrationId);
      rec.enter(s);
      this.d.crash(crash);
    };
    const seen = new Set<string>();
    const pin = (): TabletPin => {
      const p = engine.pinTablet(id);
      pins.push(p);
      for (const f of p.files) {
        if (seen.has(f.path)) continue;
        seen.add(f.path);
        rec.filesTotal++;
        rec.bytesTotal += f.bytes;
      }
      return p;
    };
    const sendAll = async (p: TabletPin): Promise<number> => {
      let bytes = 0;
      for (const f of p.files) {
        if (sent.has(f.path)) continue;
        this.check(req.migrationId);
        const name = `f${String(sent.size + 1).padStart(6, '0')}.frag`;
        let crc = 0;
        for await (const chunk of p.read(f.path)) crc = crc32c(chunk, crc);
        await peer.putFile(req.migrationId, name, crc >>> 0, f.bytes, p.read(f.path));
        sent.set(f.path, name);
        rec.filesCopied++;
        rec.bytesCopied += f.bytes;
        bytes += f.bytes;
      }
      return bytes;
    };
    try {
      // After the 202 went out.
      await new Promise((r) => setImmediate(r));
      step('prepare', 'prepare');
      // META says the tablet is moving: the target's commit requires it, and writing `serving` back fences that commit.
      await server.markMigrating(id, true);
      const encoding = 'base64' as const;
      await peer.prepare(req.migrationId, {
        tabletId: id,
        table: rec.table,
        ...(tablet.lowerExclusive !== undefined && { lowerExclusive: Buffer.from(tablet.lowerExclusive).toString(encoding) }),
        ...(tablet.upperInclusive !== undefined && { upperInclusive: Buffer.from(tablet.upperInclusive).toString(encoding) }),
        encoding,
        source: { serverId: server.serverId, url: selfUrl },
        epoch: tablet.epoch,
        newEpoch: req.newEpoch,
      });

      step('copy', 'copy');
      await sendAll(pin());

      step('catch-up', 'catch-up');
      let last = Number.POSITIVE_INFINITY;
      let latest = pins.at(-1)!;
      for (let round = 0; round < MAX_CATCH_UP_ROUNDS; round++) {
        // Opened before the serialization: every write from here on is recorded, every earlier one is in `latest`.
        tap?.close();
        tap = engine.tapTabletWrites(id);
        await engine.serialize();
        latest = pin();
        const bytes = await sendAll(latest);
        if (bytes === 0 || bytes >= last) break;
        last = bytes;
      }
      // The target loads the tablet from these files and warms its cache now, outside the stall.
      this.check(req.migrationId);
      await peer.preload(req.migrationId, { fragments: wireLists(latest.lists, sent), hotBlocks: wireBlocks(engine.hotBlocks(id), sent) });

      // Delta rounds: the preloaded copy catches up with the writes since, while they go on (outside the stall).
      this.check(req.migrationId);
      rec.enter('delta');
      const blockBytes = Math.max(1, Math.min(DELTA_BLOCK_BYTES, Math.floor(server.limits.maxRequestBytes / 2)));
      for (let round = 0; round < MAX_DELTA_ROUNDS; round++) {
        this.check(req.migrationId);
        const bytes = tap!.pendingBytes;
        const cells = tap!.take();
        const t0 = performance.now();
        for (const block of cellBlocks(cells, blockBytes)) await peer.delta(req.migrationId, block);
        rec.deltaRounds.push({ cells: cells.length, bytes, ms: performance.now() - t0 });
        if (round === 0) {
          this.d.crash('delta');
          await this.d.pause('delta');
        }
        // What the next round (or the commit, inside the stall) would carry: the writes made while this one travelled.
        const next = tap!.pendingBytes;
        if (next <= DELTA_DONE_BYTES || next >= bytes) break;
      }

      step('freeze', 'freeze');
      stallStart = performance.now();
      freeze = await engine.freezeWrites(id, this.d.freezeMs);
      rec.freezeWaitMs = performance.now() - stallStart;
      // Nothing writes the tablet now: the tap holds every write since the last round.
      const memory = tap!.take();
      tap!.close();
      rec.finalCells = memory.length;
      const blocks = cellBlocks(memory, blockBytes);
      // More than one request's worth (rare: the rounds stopped early): all but the last as rounds, inside the stall.
      for (const block of blocks.slice(0, -1)) await peer.delta(req.migrationId, block);

      step('commit', 'commit');
      const body = blocks.at(-1) ?? encodeCellBlock([]);
      // From here the outcome is the target's (and META's): no abort. Reads of the tablet here wait too
      // (same bound as writes), until the hand-over (→ WRONG_TABLET, the target) or the abort (→ served here):
      // once the commit is sent the target may acknowledge writes this copy never sees. Reads already running
      // may finish: they started before the commit was sent, so before the target could acknowledge any write.
      readGate = engine.gateReads(id, this.d.freezeMs);
      try {
        const answer = await peer.commit(req.migrationId, body);
        rec.commitParts = (answer as { parts?: Record<string, number> } | undefined)?.parts;
        committed = true;
      } catch (e) {
        logger.warn({ err: e, migrationId: req.migrationId, tabletId: id }, 'migration commit failed or its answer was lost; settling the outcome');
        const settled = await this.settle(req, peer, meta, rec, tablet.epoch);
        fenced = settled === false;
        if (settled === 'unsettled') {
          unsettled = true;
          // Shutting down with the outcome unknown: the tablet stays frozen (its writes and reads time out) until the process ends.
          freeze = undefined;
          readGate = undefined;
          throw new KdiError('UNAVAILABLE', 'the server shut down before the outcome of the commit was known', { cause: e });
        }
        committed = settled;
        if (!committed) throw e;
      }
      this.d.crash('done');
      rec.enter('done');
      // handOver's synchronous part removes the tablet and ends the freeze: the writes that waited
      // here go on (to WRONG_TABLET → the target) from this moment.
      rec.writeStallMs = performance.now() - stallStart;
      await server
        .handOver(id, { serverId: req.target.serverId, url: req.target.url, epoch: req.newEpoch })
        .catch((e: unknown) => logger.error({ err: e, tabletId: id }, 'dropping a handed-over tablet failed'));
      rec.end('committed');
      logger.info(
        { migrationId: req.migrationId, tabletId: id, to: req.target.serverId, writeStallMs: rec.writeStallMs, bytes: rec.bytesCopied, files: rec.filesCopied },
        'tablet migrated',
      );
    } catch (e) {
      if (committed) {
        rec.end('committed', (e as Error).message);
      } else if (unsettled) {
        rec.end(undefined, (e as Error).message);
      } else {
        if (!fenced) {
          // Back to `serving` in META (a commit cannot land any more) before writes go on; best effort before a commit was sent.
          await server
            .markMigrating(id, false)
            .catch((err: unknown) => logger.warn({ err, tabletId: id }, 'writing the tablet config back to serving failed; the publisher retries'));
        }
        freeze?.thaw();
        freeze = undefined;
        readGate?.open();
        readGate = undefined;
        rec.end('aborted', (e as Error).message);
        logger.warn({ err: e, migrationId: req.migrationId, tabletId: id }, 'migration aborted; the tablet stays here');
        await peer.abort(req.migrationId).catch(() => undefined);
      }
    } finally {
      freeze?.thaw();
      // Committed, the hand-over's drop opened it (waiting reads find the tablet gone); if that drop failed they time out rather than read this copy.
      if (!committed) readGate?.open();
      tap?.close();
      for (const p of pins) p.release();
      this.aborted.delete(req.migrationId);
      this.d.book.finished(rec);
    }
  }

  /**
   * The unknown-outcome rule: ask the target; when it cannot say, fence —
   * write the tablet's config back to `serving` (conditioned on
   * `location:` naming this server with its epoch). That write succeeding
   * means no commit landed and none can (the target's requires
   * `migrating`); refused because the location moved, META says who won.
   * Repeated until one answers. True when committed.
   */
  private async settle(req: MigrateRequest, peer: PeerClient, meta: TabletMeta, rec: MigrationRecord, epoch: number): Promise<boolean | 'unsettled'> {
    const entry = this.d.server.map.get(req.tabletId);
    for (let attempt = 0; ; attempt++) {
      if (this.closed) return 'unsettled';
      try {
        const status = await peer.abort(req.migrationId);
        if (status?.outcome === 'committed') return true;
      } catch {
        // Unreachable: the fence decides.
      }
      try {
        await this.d.server.markMigrating(req.tabletId, false);
        return false;
      } catch (e) {
        if (!(e instanceof KdiError && e.code === 'FAILED_PRECONDITION')) {
          if (attempt % 20 === 0) this.d.logger.warn({ err: e, migrationId: req.migrationId }, 'cannot write META to settle a migration; retrying (writes stay frozen)');
          await new Promise((r) => setTimeout(r, SETTLE_RETRY_MS));
          continue;
        }
      }
      try {
        const loc = await meta.assignment(rec.table, entry?.upperInclusive);
        if (loc?.serverId === req.target.serverId && loc.epoch === req.newEpoch) return true;
        this.d.logger.warn({ tabletId: req.tabletId, location: loc, epoch }, 'META names neither side of the migration');
        return false;
      } catch (e) {
        if (attempt % 20 === 0) this.d.logger.warn({ err: e, migrationId: req.migrationId }, 'cannot read META to settle a migration; retrying (writes stay frozen)');
      }
      await new Promise((r) => setTimeout(r, SETTLE_RETRY_MS));
    }
  }

  private check(migrationId: string): void {
    if (this.closed) throw new KdiError('UNAVAILABLE', 'the server is shutting down');
    if (this.aborted.has(migrationId)) throw new KdiError('ABORTED', `migration ${migrationId} was aborted`);
  }
}

export { PeerError };

/** Fragment lists with each file as the name it was sent under. */
function wireLists(lists: FragmentLists, sent: ReadonlyMap<string, string>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(lists).map(([group, paths]) => [group, paths.map((p) => sent.get(p)!)]));
}

/** `cells` as cell blocks of at most about `maxBytes` each, in order (none for no cells). */
function cellBlocks(cells: readonly Cell[], maxBytes: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let from = 0;
  let bytes = 0;
  for (let i = 0; i < cells.length; i++) {
    const size = cellSize(cells[i]!) + 16;
    if (i > from && bytes + size > maxBytes) {
      out.push(encodeCellBlock(cells.slice(from, i)));
      from = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (from < cells.length) out.push(encodeCellBlock(cells.slice(from)));
  return out;
}

/** Hot blocks of sent files, by the names they were sent under. */
function wireBlocks(hot: readonly HotBlock[], sent: ReadonlyMap<string, string>): { name: string; block: number }[] {
  return hot.flatMap((h) => (sent.has(h.path) ? [{ name: sent.get(h.path)!, block: h.block }] : []));
}
