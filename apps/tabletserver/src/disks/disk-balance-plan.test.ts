// The disk-balance planner's promises over many random servers (seeded, so
// a failure names a seed that replays it), run as the executor runs it —
// plan, carry out the first move, plan again: every move leaves its target
// no fuller than its source and at or under the high-water mark, never
// raises the skew, strictly lowers Σ capacity·(usage − mean)², moves no
// tablet under the minimum size and none that cannot move; the loop stops;
// where it stops the server is balanced or the notes say why not.

import { describe, expect, it } from 'vitest';
import { seededRandom } from '@kdi/primitives/test-support';
import { planDiskBalance, type DiskBalanceOptions, type DiskPlanDisk } from './disk-balance-plan.js';

function randomServer(r: () => number): { disks: DiskPlanDisk[]; options: DiskBalanceOptions } {
  const n = 2 + Math.floor(r() * 4);
  let id = 0;
  const disks = Array.from({ length: n }, (_, i) => {
    const capacityBytes = (1 + Math.floor(r() * 4)) * 1000;
    const tablets = Array.from({ length: Math.floor(r() * (r() < 0.3 ? 25 : 6)) }, () => ({
      tabletId: `t${++id}`,
      table: 't',
      bytes: 1 + Math.floor(r() * (r() < 0.2 ? 600 : 120)),
      movable: r() > 0.1,
    }));
    const kdi = tablets.reduce((s, t) => s + t.bytes, 0);
    const others = Math.floor(r() * 300);
    // Scale a disk that would be over capacity down to what fits.
    const fits = tablets.filter((_, j) => tablets.slice(0, j + 1).reduce((s, t) => s + t.bytes, 0) + others <= capacityBytes);
    return {
      path: `/d${i + 1}`,
      capacityBytes,
      usedBytes:
        Math.min(
          kdi,
          fits.reduce((s, t) => s + t.bytes, 0),
        ) + others,
      tablets: fits,
    };
  });
  const options: DiskBalanceOptions = {
    usageFloor: r() < 0.5 ? 0 : r() * 0.6,
    skewThreshold: r() * 0.2,
    minTabletBytes: r() < 0.5 ? 0 : Math.floor(r() * 100),
    highWaterMark: 0.7 + r() * 0.3,
    maxMoves: 1 + Math.floor(r() * 10),
  };
  return { disks, options };
}

const usage = (d: { usedBytes: number; capacityBytes: number }) => d.usedBytes / d.capacityBytes;

function phi(disks: readonly DiskPlanDisk[]): number {
  const mean = disks.reduce((s, d) => s + d.usedBytes, 0) / disks.reduce((s, d) => s + d.capacityBytes, 0);
  return disks.reduce((s, d) => s + d.capacityBytes * (usage(d) - mean) ** 2, 0);
}

describe('planDiskBalance over random servers', () => {
  it('keeps its promises and converges', () => {
    let moved = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const r = seededRandom(seed);
      const { disks: start, options } = randomServer(r);
      let disks = start.map((d) => ({ ...d, tablets: [...d.tablets] }));
      const fixed = new Set(start.flatMap((d) => d.tablets.filter((t) => t.movable === false).map((t) => t.tabletId)));
      let steps = 0;
      for (;;) {
        const p = planDiskBalance(disks, [], options);
        expect(p.moves.length, `seed ${seed}`).toBeLessThanOrEqual(options.maxMoves);
        const m = p.moves[0];
        if (m === undefined) {
          expect(p.balanced || p.notes.some((n) => n.includes('no tablet fits')), `seed ${seed}: ${p.notes.join('; ')}`).toBe(true);
          break;
        }
        expect(m.toAfter.usage, `seed ${seed} step ${steps}: target fuller than source`).toBeLessThanOrEqual(m.fromAfter.usage + 1e-12);
        expect(m.toAfter.usage, `seed ${seed} step ${steps}: past the high-water mark`).toBeLessThanOrEqual(options.highWaterMark + 1e-12);
        expect(m.skewAfter, `seed ${seed} step ${steps}: skew grew`).toBeLessThanOrEqual(m.skewBefore + 1e-12);
        expect(m.bytes, `seed ${seed} step ${steps}: under the minimum`).toBeGreaterThanOrEqual(options.minTabletBytes);
        expect(fixed.has(m.tabletId), `seed ${seed} step ${steps}: moved a tablet that cannot move`).toBe(false);
        const before = phi(disks);
        disks = disks.map((d) => {
          if (d.path === m.from) return { ...d, usedBytes: d.usedBytes - m.bytes, tablets: d.tablets.filter((t) => t.tabletId !== m.tabletId) };
          if (d.path === m.to) return { ...d, usedBytes: d.usedBytes + m.bytes, tablets: [...d.tablets, { tabletId: m.tabletId, table: m.table, bytes: m.bytes }] };
          return d;
        });
        expect(phi(disks), `seed ${seed} step ${steps}: imbalance did not fall`).toBeLessThan(before);
        steps++;
        moved++;
        expect(steps, `seed ${seed}: did not stop`).toBeLessThan(500);
      }
    }
    // The cases are not all trivially balanced.
    expect(moved).toBeGreaterThan(100);
  });
});
