// The tablet server's own disks as its routes serve them (issue 11,
// docs/disks.md): disk-capacity (the filesystem figures of DiskUsage, the
// engine's disk states and the tablets on each), disk-replica (tablets per
// disk with their bytes), disk-migrate (checked here, started by the
// engine) and disk-balance (the planner, disk-balance-plan.ts, over the
// same figures; the first move started unless a dry run).
//
// Promises: a disk is named by its absolute path or its index; a name
// that is neither is INVALID_ARGUMENT naming the field and the server's
// disks. startMigration answers INVALID_ARGUMENT for the same disk, an
// unknown disk or a tablet with no file on the source disk, NOT_FOUND for
// a tablet the engine does not hold, ALREADY_EXISTS (409) when a disk
// migration of the tablet is running — each message saying what to fix.
// Nothing here writes a file: the engine does. When a migration ends the
// disks' KDI bytes are measured again at the next status.

import { KdiError, type DiskBalanceReply, type DiskCapacity, type DiskReplica } from '@kdi/protocol';
import { isStorageError, type DiskMigrationStatus, type Engine } from '@kdi/storage';
import { isAbsolute, resolve } from 'node:path';
import type { DiskUsage } from '../stats/disk-usage.js';
import type { TabletServer } from '../tablets/tablet-server.js';
import { DEFAULT_DISK_BALANCE_OPTIONS, planDiskBalance, type DiskBalanceOptions, type DiskPlanDisk } from './disk-balance-plan.js';

/** A migration that has not ended. */
export const isRunning = (s: DiskMigrationStatus): boolean => s.endedAtMs === undefined;

interface TabletOnDisks {
  readonly tablet: string;
  readonly table: string;
  readonly movable: boolean;
  readonly home: string | undefined;
  readonly bytes: Record<string, number>;
}

export class ServerDisks {
  constructor(
    private readonly server: TabletServer,
    private readonly usage: DiskUsage,
    /** The engine's high-water mark (KDI_TS_DISK_HIGH_WATER_PERCENT ÷ 100): no planned move leaves its target above it. */
    private readonly highWaterMark: number = DEFAULT_DISK_BALANCE_OPTIONS.highWaterMark,
  ) {}

  get engine(): Engine {
    return this.server.engine;
  }

  /** The disks, absolute, disk 0 first (the engine's: the data directories it was opened with). */
  get paths(): readonly string[] {
    return this.engine.disks;
  }

  /** The absolute path of the disk `name` (a path or an index); INVALID_ARGUMENT naming `field` otherwise. */
  resolve(name: string, field: string): string {
    const paths = this.paths;
    if (/^[0-9]+$/.test(name)) {
      const p = paths[Number(name)];
      if (p !== undefined) return p;
    } else if (isAbsolute(name)) {
      const wanted = resolve(name);
      const p = paths.find((d) => d === wanted);
      if (p !== undefined) return p;
    }
    throw new KdiError(
      'INVALID_ARGUMENT',
      `${field}: ${JSON.stringify(name)} is not a disk of server ${this.server.serverId}; name one by index or absolute path: ${paths.map((p, i) => `${i} = ${p}`).join(', ')}`,
      { details: { field, reason: 'unknown-disk', disks: [...paths] } },
    );
  }

  async capacity(only?: string): Promise<DiskCapacity[]> {
    const wanted = only === undefined ? undefined : this.resolve(only, 'disk');
    const figures = new Map((await this.usage.statuses()).map((d) => [d.path, d]));
    const states = this.states();
    const tablets = this.tablets();
    return this.paths.flatMap((disk, index) => {
      if (wanted !== undefined && disk !== wanted) return [];
      const f = figures.get(disk) ?? { capacityBytes: 0, freeBytes: 0, kdiBytes: 0 };
      const usedBytes = Math.max(0, f.capacityBytes - f.freeBytes);
      const s = states.get(disk);
      return [
        {
          disk,
          index,
          capacityBytes: f.capacityBytes,
          usedBytes,
          freeBytes: f.freeBytes,
          kdiBytes: f.kdiBytes,
          usage: f.capacityBytes > 0 ? usedBytes / f.capacityBytes : 0,
          state: s?.state ?? 'ok',
          ...(s?.reason !== undefined && { reason: s.reason }),
          tablets: tablets.filter((t) => (t.bytes[disk] ?? 0) > 0).length,
          home: tablets.filter((t) => t.home === disk).length,
        },
      ];
    });
  }

  replica(only?: string): DiskReplica[] {
    const wanted = only === undefined ? undefined : this.resolve(only, 'disk');
    const tablets = this.tablets();
    return this.paths.flatMap((disk, index) => {
      if (wanted !== undefined && disk !== wanted) return [];
      const here = tablets
        .filter((t) => (t.bytes[disk] ?? 0) > 0 || t.home === disk)
        .map((t) => ({ tablet: t.tablet, table: t.table, bytes: t.bytes[disk] ?? 0, home: t.home === disk }))
        .sort((a, b) => b.bytes - a.bytes || (a.tablet < b.tablet ? -1 : a.tablet > b.tablet ? 1 : 0));
      return [{ disk, index, bytes: here.reduce((n, t) => n + t.bytes, 0), tablets: here }];
    });
  }

  migrations(): DiskMigrationStatus[] {
    return this.engine.diskMigrations();
  }

  migration(tablet: string): DiskMigrationStatus {
    const s = this.engine.diskMigration(tablet);
    if (s === undefined) throw new KdiError('NOT_FOUND', `no disk migration of tablet ${tablet} on server ${this.server.serverId}`, { details: { tablet } });
    return s;
  }

  /**
   * Names the disks, then has the engine check the request (same disk,
   * unknown tablet, not on the source disk, already migrating, a full
   * target) and start it in the background; its refusals become the
   * errors above.
   */
  startMigration(tablet: string, fromName: string, toName: string): DiskMigrationStatus {
    const engine = this.engine;
    const from = this.resolve(fromName, 'from');
    const to = this.resolve(toName, 'to');
    try {
      const started = engine.startDiskMigration(tablet, from, to);
      // Once it ends, the disks' KDI bytes are walked again (Pegasus #903: the disk state was not updated after a migration).
      void engine.awaitDiskMigration(tablet).then(
        () => this.usage.forgetKdiBytes(),
        () => this.usage.forgetKdiBytes(),
      );
      return started;
    } catch (e) {
      if (isStorageError(e, 'not-found')) throw new KdiError('NOT_FOUND', e.message, { details: { tablet }, cause: e });
      if (isStorageError(e, 'invalid-argument')) {
        const reason = e.details?.['reason'];
        if (reason === 'already-migrating') {
          const now = engine.diskMigration(tablet);
          // Running here, or the tablet is moving to another server (the engine's message says which).
          throw now !== undefined && isRunning(now) ? alreadyMigrating(now) : new KdiError('ALREADY_EXISTS', e.message, { details: { tablet, reason }, cause: e });
        }
        const field = reason === 'not-on-disk' ? 'from' : reason === 'same-disk' || reason === 'target-full' ? 'to' : undefined;
        throw new KdiError(reason === 'not-served' || reason === 'target-full' ? 'FAILED_PRECONDITION' : 'INVALID_ARGUMENT', e.message, {
          details: { tablet, ...(field !== undefined && { field }), ...(typeof reason === 'string' && { reason }) },
          cause: e,
        });
      }
      throw e;
    }
  }

  /** Plans over the disks as they are now; unless dryRun, starts the first move. */
  async balance(body: { dryRun: boolean; usageFloor?: number | undefined; skewThreshold?: number | undefined; minTabletBytes?: number | undefined }): Promise<DiskBalanceReply> {
    const engine = this.engine;
    const options: DiskBalanceOptions = {
      ...DEFAULT_DISK_BALANCE_OPTIONS,
      highWaterMark: this.highWaterMark,
      ...(body.usageFloor !== undefined && { usageFloor: body.usageFloor }),
      ...(body.skewThreshold !== undefined && { skewThreshold: body.skewThreshold }),
      ...(body.minTabletBytes !== undefined && { minTabletBytes: body.minTabletBytes }),
    };
    const capacity = await this.capacity();
    const tablets = this.tablets();
    const running = engine.diskMigrations().filter(isRunning);
    const moving = new Set(running.map((r) => r.tablet));
    const disks: DiskPlanDisk[] = capacity.map((d) => ({
      path: d.disk,
      capacityBytes: d.capacityBytes,
      usedBytes: d.usedBytes,
      tablets: tablets
        .filter((t) => (t.bytes[d.disk] ?? 0) > 0)
        .map((t) => ({ tabletId: t.tablet, table: t.table, bytes: t.bytes[d.disk]!, movable: t.movable && !moving.has(t.tablet) })),
    }));
    const plan = planDiskBalance(
      disks,
      running.map((r) => ({ tabletId: r.tablet, from: r.from, to: r.to })),
      options,
    );
    const reply: DiskBalanceReply = {
      serverId: this.server.serverId,
      dryRun: body.dryRun,
      options,
      disks: capacity.map((d) => ({ disk: d.disk, capacityBytes: d.capacityBytes, usedBytes: d.usedBytes, usage: d.usage, tablets: d.tablets })),
      plan: { ...plan, moves: [...plan.moves], notes: [...plan.notes] },
    };
    const first = plan.moves[0];
    if (body.dryRun || first === undefined) return reply;
    try {
      return { ...reply, started: this.startMigration(first.tabletId, first.from, first.to) };
    } catch (e) {
      return { ...reply, error: (e as Error).message };
    }
  }

  private states(): Map<string, { state: 'ok' | 'high-water' | 'full'; reason?: string | undefined }> {
    return new Map(this.engine.diskStates().map((s) => [s.disk, s]));
  }

  /** Every tablet the engine holds, with its bytes on each disk: served ones movable when serving, dormant ones not. */
  private tablets(): TabletOnDisks[] {
    const e = this.engine;
    const known = new Map<string, { table: string; movable: boolean }>();
    for (const v of this.server.tablets()) known.set(v.tabletId, { table: v.table, movable: v.state === 'serving' });
    for (const d of this.server.dormantTablets()) if (!known.has(d.tabletId)) known.set(d.tabletId, { table: d.table, movable: false });
    const out: TabletOnDisks[] = [];
    for (const [tablet, { table, movable }] of known) {
      try {
        out.push({ tablet, table, movable, home: e.tabletHomeDisk(tablet), bytes: e.tabletDiskBytes(tablet) });
      } catch {
        // Unloaded in between: not on any disk any more.
      }
    }
    return out.sort((a, b) => (a.tablet < b.tablet ? -1 : a.tablet > b.tablet ? 1 : 0));
  }
}

function alreadyMigrating(s: DiskMigrationStatus): KdiError {
  return new KdiError(
    'ALREADY_EXISTS',
    `tablet ${s.tablet} is already migrating from ${s.from} to ${s.to} (${s.state}, ${s.bytesCopied} of ${s.bytes} bytes copied); wait for it: GET /v1/admin/disk-migrations/${s.tablet}`,
    { details: { tablet: s.tablet, reason: 'already-migrating', from: s.from, to: s.to, state: s.state } },
  );
}
