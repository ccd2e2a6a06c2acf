// Human output of the disk commands, on fixed replies: the outcome of a
// migration (COMPLETED, or failed with its error), progress, a plan with
// its moves and reasons, and a disk's state reason under the table.

import type { DiskBalanceReply, DiskCapacityReply, DiskMigrationStatusView } from '@kdi/protocol';
import { describe, expect, it } from 'vitest';
import { diskBalanceView, diskCapacityView, diskMigrationEndedView, diskMigrationFraction, diskMigrationProgress } from './disk-views.js';

const status = (over: Partial<DiskMigrationStatusView> = {}): DiskMigrationStatusView => ({
  tablet: 'web-1',
  table: 'web',
  from: '/d0',
  to: '/d1',
  state: 'MOVING',
  files: 4,
  filesCopied: 1,
  bytes: 4096,
  bytesCopied: 1024,
  startedAtMs: 1_000,
  oriFiles: 0,
  ...over,
});

describe('disk views', () => {
  it('a migration: progress, then COMPLETED or failed with its error', () => {
    expect(diskMigrationProgress(status())).toBe('MOVING 1 KiB of 4 KiB, 1/4 files');
    expect(diskMigrationFraction(status())).toBe(0.25);
    expect(diskMigrationFraction(status({ state: 'COMPLETED', bytes: 0, bytesCopied: 0 }))).toBe(1);
    expect(diskMigrationEndedView(status({ state: 'COMPLETED', bytesCopied: 4096, filesCopied: 4, endedAtMs: 2_500, oriFiles: 2 }))).toBe(
      'web-1 moved from /d0 to /d1: COMPLETED, 4 file(s), 4 KiB in 1.5 s\n2 old file(s) kept on /d0 until no scan or META config needs them',
    );
    expect(diskMigrationEndedView(status({ state: 'IDLE', endedAtMs: 1_200, error: 'no space left on /d1' }))).toBe(
      'web-1 stays on /d0: the migration to /d1 failed (IDLE) after 0.2 s: no space left on /d1',
    );
  });

  it('disk-capacity: a disk that is not ok says why under the table', () => {
    const r: DiskCapacityReply = {
      serverId: 'ts-1',
      disks: [
        {
          disk: '/d0',
          index: 0,
          capacityBytes: 1000,
          usedBytes: 950,
          freeBytes: 50,
          kdiBytes: 900,
          usage: 0.95,
          state: 'high-water',
          reason: 'usage 95.0% ≥ 90%',
          tablets: 2,
          home: 0,
        },
      ],
    };
    const lines = diskCapacityView(r).split('\n');
    expect(lines[0]).toBe('server ts-1: 1 disk(s)');
    expect(lines[2]).toMatch(/^ {3}0 {2}\/d0 .*95\.0% {2}high-water {8}2 {5}0$/);
    expect(lines[3]).toBe('disk 0 is high-water: usage 95.0% ≥ 90%');
  });

  it('disk-balance: each planned move with its figures and reason, and what was started', () => {
    const u = (usedBytes: number) => ({ usedBytes, capacityBytes: 100, usage: usedBytes / 100 });
    const r: DiskBalanceReply = {
      serverId: 'ts-1',
      dryRun: false,
      options: { usageFloor: 0.5, skewThreshold: 0.1, minTabletBytes: 64 * 1024 * 1024, highWaterMark: 0.9, maxMoves: 32 },
      disks: [
        { disk: '/d0', capacityBytes: 100, usedBytes: 80, usage: 0.8, tablets: 1 },
        { disk: '/d1', capacityBytes: 100, usedBytes: 20, usage: 0.2, tablets: 0 },
      ],
      plan: {
        moves: [
          {
            tabletId: 'web-1',
            table: 'web',
            from: '/d0',
            to: '/d1',
            bytes: 30,
            fromBefore: u(80),
            fromAfter: u(50),
            toBefore: u(20),
            toAfter: u(50),
            skewBefore: 0.6,
            skewAfter: 0,
            explanation: 'web-1 is the largest tablet that fits',
          },
        ],
        meanUsage: 0.5,
        skewBefore: 0.6,
        skewAfter: 0,
        running: 0,
        balanced: true,
        notes: ['balanced: usage skew 0.0% ≤ 10.0%'],
      },
      started: { tablet: 'web-1', table: 'web', from: '/d0', to: '/d1', state: 'MOVING', files: 0, filesCopied: 0, bytes: 0, bytesCopied: 0, startedAtMs: 1, oriFiles: 0 },
    };
    const text = diskBalanceView(r);
    expect(text.split('\n')[0]).toBe('disk balance of ts-1: mean usage 50.0%, skew 60.0% → 0.0%, 1 move(s) planned');
    expect(text).toMatch(/^1\s+web-1\s+web\s+30 B\s+\/d0\s+\/d1\s+80\.0% → 50\.0%\s+20\.0% → 50\.0%$/m);
    expect(text).toContain('  1. web-1 is the largest tablet that fits');
    expect(text).toContain('started: web-1 /d0 → /d1 (MOVING); run kdi disk-balance again once it has ended');
    expect(text).toMatch(/note: balanced: usage skew 0\.0% ≤ 10\.0%$/);
    expect(diskBalanceView({ ...r, started: undefined, error: 'tablet web-1 is unloading' })).toContain('not started: tablet web-1 is unloading');
    expect(diskBalanceView({ ...r, dryRun: true, started: undefined })).toContain('nothing started (dry run)');
  });
});
