// The target's receiver of a tablet migration (DESIGN §10,
// docs/migration.md): prepare makes `<data dir>/migrations/<id>.tmp/`,
// each file is streamed into it (fsynced, its CRC-32C checked), preload
// (before the source freezes) adopts the files received so far into the
// engine — the tablet loaded but not served, its cache warmed — delta
// rounds apply the cells written at the source since, through this
// server's log, and commit hands the last cells (and, from an older
// source, the final lists and hot blocks) to the tablet server
// (TabletServer.receiveMigrated: final lists, warm, apply, META, serve).
//
// Promises:
//  - the temp directory lies inside the engine's directory (the commit
//    renames, never copies) and outside tables/ (the engine never mistakes
//    it for its own files);
//  - a file whose bytes do not match x-kdi-crc32c is removed and refused
//    (INVALID_ARGUMENT) before anything names it;
//  - a migration ends committed, or aborted with its temp directory gone:
//    by DELETE, by a failed commit, by the idle sweep (no call for
//    idleMs), or at the next start (every migrations/*.tmp is removed);
//  - once a commit has started it is never aborted: DELETE waits for it
//    and answers its outcome; after DELETE answers `aborted` this target
//    never commits that migration. A commit whose META write has an
//    unknown outcome answers UNAVAILABLE and its status carries no
//    outcome (the source then reads META).

import { mkdir, open, readdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { crc32c } from '@kdi/primitives';
import { type Cell, decodeCellBlock, KdiError, type MigrationStatus } from '@kdi/protocol';
import type { TabletServer } from '../tablets/tablet-server.js';
import type { ServerLogger } from '../tablets/tablet-types.js';
import type { CrashPoint } from './crash-point.js';
import { MigrationRecord, type MigrationBook, type Peer } from './migration-book.js';

export const MIGRATIONS_DIR = 'migrations';

export interface MigrationTargetDeps {
  readonly server: TabletServer;
  readonly book: MigrationBook;
  /** The engine's directory (KDI_TS_DATA_DIR), absolute. */
  readonly dataDir: string;
  /** A migration with no call for this long is aborted (KDI_TS_MIGRATION_IDLE_MS). */
  readonly idleMs: number;
  readonly selfUrl: () => string | undefined;
  readonly crash: (point: CrashPoint) => void;
  /** Test-only pause (crash-point.ts). */
  readonly pause: (point: CrashPoint) => Promise<void>;
  readonly logger: ServerLogger;
}

export interface PrepareRequest {
  readonly migrationId: string;
  readonly tabletId: string;
  readonly table: string;
  readonly lowerExclusive: Uint8Array | undefined;
  readonly upperInclusive: Uint8Array | undefined;
  readonly source: Peer;
  readonly epoch: number;
  readonly newEpoch: number;
}

export interface CommitRequest {
  /** The final lists; undefined: the tablet keeps the lists it preloaded (the delta rounds and `memory` carry every write since). */
  readonly fragments?: Readonly<Record<string, readonly string[]>> | undefined;
  /** A base64 cell block (the JSON commit), or the cells of a binary commit. */
  readonly memory: string | readonly Cell[];
  readonly hotBlocks: readonly { readonly name: string; readonly block: number }[];
}

export interface PreloadRequest {
  readonly fragments: Readonly<Record<string, readonly string[]>>;
  readonly hotBlocks: readonly { readonly name: string; readonly block: number }[];
}

interface Incoming {
  readonly req: PrepareRequest;
  readonly rec: MigrationRecord;
  readonly dir: string;
  /** Received files: name → bytes. */
  readonly files: Map<string, number>;
  lastCall: number;
  /** Set once commit started: DELETE waits for it. */
  committing: Promise<unknown> | undefined;
  /** Files being written now. */
  writing: number;
  /** After preload: received name → the adopted file's path (the engine holds the tablet, compactions held). */
  preloaded: Map<string, string> | undefined;
  /** Set while the preload runs: DELETE waits for it, then aborts. */
  preloading: Promise<unknown> | undefined;
  /** Set while a delta round is applied: DELETE waits for it, then aborts. */
  applying: Promise<unknown> | undefined;
}

export class MigrationTarget {
  private readonly incoming = new Map<string, Incoming>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly d: MigrationTargetDeps) {}

  get root(): string {
    return join(this.d.dataDir, MIGRATIONS_DIR);
  }

  /** At start: removes every migrations/*.tmp (migrations are stateless; none survives a restart), then sweeps idle ones on a timer. */
  async start(): Promise<void> {
    let names: string[] = [];
    try {
      names = await readdir(this.root);
    } catch {
      // No migrations directory yet.
    }
    for (const name of names) if (name.endsWith('.tmp')) await rm(join(this.root, name), { recursive: true, force: true });
    if (names.length > 0) this.d.logger.info({ removed: names.filter((n) => n.endsWith('.tmp')) }, 'removed temp directories of migrations a restart ended');
    const every = Math.max(50, Math.min(5_000, Math.floor(this.d.idleMs / 4)));
    this.timer = setInterval(() => void this.sweep(), every);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const inc of [...this.incoming.values()]) {
      if (inc.committing !== undefined) continue;
      await inc.preloading?.catch(() => undefined);
      await inc.applying?.catch(() => undefined);
      await this.drop(inc, 'the server is shutting down');
    }
  }

  async prepare(req: PrepareRequest): Promise<MigrationRecord> {
    const { server, book } = this.d;
    if (server.meta === undefined) throw new KdiError('FAILED_PRECONDITION', `server ${server.serverId} runs without a lock service: it takes no migrations`);
    if (book.find('target', req.migrationId) !== undefined)
      throw new KdiError('ALREADY_EXISTS', `migration ${req.migrationId} is known here already`, { details: { migrationId: req.migrationId } });
    if (req.source.serverId === server.serverId) throw new KdiError('INVALID_ARGUMENT', 'the source is this server', { details: { field: 'source.serverId' } });
    if (server.map.get(req.tabletId) !== undefined)
      throw new KdiError('ALREADY_EXISTS', `tablet ${req.tabletId} is already on server ${server.serverId}`, { details: { tabletId: req.tabletId } });
    if (req.newEpoch <= req.epoch) throw new KdiError('INVALID_ARGUMENT', `newEpoch ${req.newEpoch} must be above epoch ${req.epoch}`, { details: { field: 'newEpoch' } });
    // An early look at META: the commit would be refused anyway.
    const loc = await server.meta.assignment(req.table, req.upperInclusive);
    if (loc?.serverId !== req.source.serverId || loc.epoch !== req.epoch) {
      const now = loc === undefined ? 'no server' : `${loc.serverId}/epoch ${loc.epoch}`;
      throw new KdiError('FAILED_PRECONDITION', `tablet ${req.tabletId}: META assigns it to ${now}, not to the source ${req.source.serverId}/epoch ${req.epoch}`, {
        details: { tabletId: req.tabletId },
      });
    }
    const rec = new MigrationRecord(req.migrationId, req.tabletId, req.table, 'target', req.source);
    const dir = join(this.root, `${req.migrationId}.tmp`);
    this.d.crash('target-prepare');
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    this.incoming.set(req.migrationId, {
      req,
      rec,
      dir,
      files: new Map(),
      lastCall: performance.now(),
      committing: undefined,
      writing: 0,
      preloaded: undefined,
      preloading: undefined,
      applying: undefined,
    });
    book.add(rec);
    return rec;
  }

  /** Writes one file into the temp directory, fsyncs it and checks its CRC-32C (removed and refused on a mismatch). */
  async receiveFile(migrationId: string, name: string, crcHeader: string | undefined, body: Readable): Promise<void> {
    const inc = this.open(migrationId);
    if (inc.committing !== undefined) throw new KdiError('FAILED_PRECONDITION', `migration ${migrationId} is committing: no more files`);
    const expected = crcHeader === undefined || !/^[0-9]{1,10}$/.test(crcHeader) ? undefined : Number(crcHeader);
    if (expected === undefined || expected > 0xffffffff) {
      throw new KdiError('INVALID_ARGUMENT', 'x-kdi-crc32c must be the CRC-32C of the whole file as a decimal unsigned 32-bit integer', { details: { field: 'x-kdi-crc32c' } });
    }
    if (inc.rec.step === 'prepare') inc.rec.enter('copy');
    const path = join(inc.dir, name);
    inc.writing++;
    let crc = 0;
    let bytes = 0;
    const fh = await open(path, 'w');
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        crc = crc32c(chunk, crc);
        bytes += chunk.length;
        inc.lastCall = performance.now();
        await fh.write(chunk);
      }
      await fh.sync();
    } catch (e) {
      await fh.close().catch(() => undefined);
      await unlink(path).catch(() => undefined);
      inc.writing--;
      throw e;
    }
    await fh.close();
    inc.writing--;
    inc.lastCall = performance.now();
    if (crc >>> 0 !== expected) {
      await unlink(path).catch(() => undefined);
      throw new KdiError(
        'INVALID_ARGUMENT',
        `file ${name} of migration ${migrationId}: CRC-32C ${crc >>> 0} of the ${bytes} bytes received does not match x-kdi-crc32c ${expected}; the file was removed`,
        {
          details: { field: 'x-kdi-crc32c', name },
        },
      );
    }
    inc.files.set(name, bytes);
    inc.rec.filesCopied++;
    inc.rec.bytesCopied += bytes;
    inc.rec.filesTotal = inc.rec.filesCopied;
    inc.rec.bytesTotal = inc.rec.bytesCopied;
    if (inc.files.size === 1) this.d.crash('target-copy');
  }

  /**
   * Preload (before the source freezes): the files received so far, as the
   * source's lists name them now, are adopted into the engine (the tablet
   * loaded, not served, its compactions held) and its hot blocks warmed.
   */
  async preload(migrationId: string, body: PreloadRequest): Promise<MigrationRecord> {
    const inc = this.open(migrationId);
    if (inc.committing !== undefined || inc.preloading !== undefined || inc.preloaded !== undefined)
      throw new KdiError('FAILED_PRECONDITION', `migration ${migrationId} is already preloaded`);
    if (inc.writing > 0) throw new KdiError('FAILED_PRECONDITION', `migration ${migrationId} still receives a file`);
    const files = this.received(inc, body.fragments);
    const { req } = inc;
    const preloading = Promise.resolve().then(() =>
      this.d.server.preloadMigrated({
        tabletId: req.tabletId,
        table: req.table,
        lowerExclusive: req.lowerExclusive,
        upperInclusive: req.upperInclusive,
        files,
        hotBlocks: body.hotBlocks.flatMap((h) => (inc.files.has(h.name) ? [{ path: join(inc.dir, h.name), block: h.block }] : [])),
      }),
    );
    inc.preloading = preloading;
    try {
      const adopted = await preloading;
      inc.preloaded = new Map([...inc.files.keys()].flatMap((name) => (adopted.has(join(inc.dir, name)) ? [[name, adopted.get(join(inc.dir, name))!]] : [])));
    } finally {
      inc.preloading = undefined;
      inc.lastCall = performance.now();
    }
    if (this.incoming.get(migrationId) !== inc) {
      // Aborted while it ran.
      await this.d.server.dropStaged(req.tabletId);
      throw new KdiError('FAILED_PRECONDITION', `migration ${migrationId} was aborted during its preload`);
    }
    this.d.crash('target-preloaded');
    return inc.rec;
  }

  /** Paths of received files by list key; INVALID_ARGUMENT for a name not received. With `preloaded`, adopted files by their adopted path. */
  private received(inc: Incoming, fragments: Readonly<Record<string, readonly string[]>>, preloaded?: Map<string, string>): Record<string, string[]> {
    const files: Record<string, string[]> = {};
    for (const [group, names] of Object.entries(fragments)) {
      files[group] = names.map((n) => {
        const adopted = preloaded?.get(n);
        if (adopted !== undefined) return adopted;
        if (!inc.files.has(n) || preloaded?.has(n)) {
          throw new KdiError('INVALID_ARGUMENT', `fragments[${JSON.stringify(group)}] names ${n}, which migration ${inc.req.migrationId} has not received`, {
            details: { field: 'fragments' },
          });
        }
        return join(inc.dir, n);
      });
    }
    return files;
  }

  /**
   * A delta round (after the preload, before the commit; docs/migration.md
   * `delta`): cells written at the source since its round before, applied
   * to the preloaded tablet through this server's log (durable). The
   * source sends rounds one at a time.
   */
  async delta(migrationId: string, cells: readonly Cell[]): Promise<{ cells: number; ms: number }> {
    const inc = this.open(migrationId);
    if (inc.committing !== undefined) throw new KdiError('FAILED_PRECONDITION', `migration ${migrationId} is committing: no more delta rounds`);
    if (inc.preloaded === undefined) throw new KdiError('FAILED_PRECONDITION', `migration ${migrationId} was not preloaded: preload before sending cells`);
    if (inc.applying !== undefined) throw new KdiError('FAILED_PRECONDITION', `migration ${migrationId} still applies a delta round: send them one at a time`);
    const t0 = performance.now();
    inc.rec.enter('delta');
    const applying = this.d.server.applyMigratedDelta(inc.req.tabletId, cells);
    inc.applying = applying;
    try {
      await applying;
    } finally {
      inc.applying = undefined;
      inc.lastCall = performance.now();
    }
    if (this.incoming.get(migrationId) !== inc) throw new KdiError('FAILED_PRECONDITION', `migration ${migrationId} was aborted during a delta round`);
    this.d.crash('target-delta');
    return { cells: cells.length, ms: Math.round((performance.now() - t0) * 10) / 10 };
  }

  /**
   * `authorized` (the master's sequencer check, begun when the request
   * arrived) is awaited right before the META write, so the lock
   * service's round trip overlaps the commit's own work instead of
   * preceding it; a refusal fails the commit before META is touched.
   */
  async commit(
    migrationId: string,
    body: CommitRequest,
    authorized: Promise<void> = Promise.resolve(),
  ): Promise<{ location: { serverId: string; url: string; epoch: number }; epoch: number; parts: Record<string, number> }> {
    const inc = this.open(migrationId);
    if (inc.committing !== undefined) throw new KdiError('FAILED_PRECONDITION', `migration ${migrationId} is already committing`);
    if (inc.writing > 0) throw new KdiError('FAILED_PRECONDITION', `migration ${migrationId} still receives a file`);
    if (inc.preloaded === undefined) throw new KdiError('FAILED_PRECONDITION', `migration ${migrationId} was not preloaded: preload before commit`);
    if (inc.applying !== undefined) throw new KdiError('FAILED_PRECONDITION', `migration ${migrationId} still applies a delta round`);
    const preloaded = inc.preloaded;
    const files = body.fragments === undefined ? undefined : this.received(inc, body.fragments, preloaded);
    let memory: readonly Cell[];
    if (typeof body.memory === 'string') {
      try {
        memory = decodeCellBlock(Buffer.from(body.memory, 'base64'));
      } catch (e) {
        throw new KdiError('INVALID_ARGUMENT', `memory is not a base64 cell block: ${(e as Error).message}`, { details: { field: 'memory' } });
      }
    } else {
      memory = body.memory;
    }
    const hotBlocks = body.hotBlocks.flatMap((h) => {
      const path = preloaded.get(h.name) ?? (inc.files.has(h.name) ? join(inc.dir, h.name) : undefined);
      return path === undefined ? [] : [{ path, block: h.block }];
    });
    inc.rec.enter('commit');
    const { req, rec } = inc;
    const t0 = performance.now();
    const committing = Promise.resolve().then(() =>
      this.d.server.receiveMigrated({
        migrationId,
        tabletId: req.tabletId,
        source: { serverId: req.source.serverId, epoch: req.epoch },
        newEpoch: req.newEpoch,
        files,
        memory,
        hotBlocks,
        beforeMetaWrite: async () => {
          await authorized.catch((e: unknown) => {
            // Nothing reached META: the commit is refused (aborted here), whatever the check's own error was.
            throw new KdiError('FAILED_PRECONDITION', `migration ${migrationId}: the master's sequencer was not confirmed (${(e as Error).message}); nothing was committed`, {
              cause: e,
            });
          });
          this.d.crash('target-commit');
          await this.d.pause('target-commit');
        },
      }),
    );
    inc.committing = committing;
    let parts: Record<string, number>;
    try {
      ({ parts } = await committing);
      rec.commitParts = parts;
    } catch (e) {
      const unknown = e instanceof KdiError && e.code === 'UNAVAILABLE';
      rec.end(unknown ? undefined : 'aborted', (e as Error).message);
      await this.forget(inc);
      throw e;
    }
    this.d.crash('target-committed');
    await this.d.pause('target-committed');
    rec.enter('done');
    rec.end('committed');
    // The answer releases the source's waiting writes: the temp directory (files the commit did not adopt) goes after it.
    void this.forget(inc);
    parts['answered'] = Math.round((performance.now() - t0) * 10) / 10;
    this.d.logger.info({ migrationId, tabletId: req.tabletId, from: req.source.serverId, files: rec.filesCopied, bytes: rec.bytesCopied }, 'migration committed');
    const url = this.d.selfUrl() ?? '';
    return { location: { serverId: this.d.server.serverId, url, epoch: req.newEpoch }, epoch: req.newEpoch, parts };
  }

  /** DELETE: aborts (removing the temp directory), or waits for a running commit; the status after. Undefined for an unknown id. */
  async abort(migrationId: string): Promise<MigrationStatus | undefined> {
    const inc = this.incoming.get(migrationId);
    if (inc === undefined) return this.d.book.find('target', migrationId)?.status();
    if (inc.committing !== undefined) {
      await inc.committing.catch(() => undefined);
      return inc.rec.status();
    }
    await inc.preloading?.catch(() => undefined);
    await inc.applying?.catch(() => undefined);
    await this.drop(inc, 'aborted by DELETE');
    return inc.rec.status();
  }

  private open(migrationId: string): Incoming {
    const inc = this.incoming.get(migrationId);
    if (inc === undefined) {
      const ended = this.d.book.find('target', migrationId);
      if (ended !== undefined)
        throw new KdiError('FAILED_PRECONDITION', `migration ${migrationId} has ended (${ended.outcome ?? 'outcome unknown'}${ended.error ? `: ${ended.error}` : ''})`, {
          details: { migrationId },
        });
      throw new KdiError('NOT_FOUND', `no migration ${migrationId} on server ${this.d.server.serverId}`, { details: { migrationId } });
    }
    inc.lastCall = performance.now();
    return inc;
  }

  private async drop(inc: Incoming, why: string): Promise<void> {
    if (!inc.rec.ended) inc.rec.end('aborted', why);
    await this.forget(inc);
  }

  private async forget(inc: Incoming): Promise<void> {
    if (this.incoming.get(inc.req.migrationId) === inc) this.incoming.delete(inc.req.migrationId);
    // A preloaded tablet that did not commit leaves the engine (a no-op after a commit, or when its outcome is unknown).
    if (inc.preloaded !== undefined && inc.rec.outcome === 'aborted') await this.d.server.dropStaged(inc.req.tabletId);
    this.d.book.finished(inc.rec);
    // Files the commit did not adopt (replaced before the freeze) go with the directory.
    await rm(inc.dir, { recursive: true, force: true }).catch((e: unknown) => this.d.logger.warn({ err: e, dir: inc.dir }, 'removing a migration temp directory failed'));
  }

  private async sweep(): Promise<void> {
    const now = performance.now();
    for (const inc of [...this.incoming.values()]) {
      if (inc.committing !== undefined || inc.preloading !== undefined || inc.applying !== undefined || inc.writing > 0 || now - inc.lastCall < this.d.idleMs) continue;
      this.d.logger.warn({ migrationId: inc.req.migrationId, tabletId: inc.req.tabletId }, 'migration idle too long: aborted, temp files removed');
      await this.drop(inc, `no call for ${this.d.idleMs} ms`);
    }
  }
}
