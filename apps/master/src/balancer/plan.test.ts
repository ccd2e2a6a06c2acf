// The planner's promises over many random clusters (a seeded generator, so
// a failure names a seed that reproduces it): run as the executor runs it —
// plan, start, finish a round later, again — every move lowers the sum of
// squared loads of the dimension it is made for and never raises that
// dimension's skew; the other skew stays within max(before, threshold);
// running moves never exceed the bound; nothing goes onto a draining
// server; draining servers end with no movable tablet; it stops.

import { describe, expect, it } from 'vitest';
import { seededRandom } from '@kdi/primitives/test-support';
import { planBalance, type BalancerOptions, type PlanServer, type PlanTablet, type RunningMove } from './plan.js';

const rng = seededRandom;

function randomCluster(r: () => number): { servers: PlanServer[]; options: BalancerOptions } {
  const n = 2 + Math.floor(r() * 5);
  let id = 0;
  const servers: PlanServer[] = Array.from({ length: n }, (_, i) => ({
    serverId: `ts${i + 1}`,
    draining: i > 0 && r() < 0.15,
    tablets: Array.from({ length: Math.floor(r() * (r() < 0.3 ? 30 : 6)) }, () => ({
      tabletId: `t${++id}`,
      table: 'x',
      diskBytes: Math.floor(r() * r() * 1000),
      requestsPerSec: r() < 0.5 ? 0 : Math.floor(r() * r() * 500),
      movable: r() > 0.03,
    })),
  }));
  return {
    servers,
    options: { bytesSkewThreshold: 50 + Math.floor(r() * 300), rateSkewThreshold: 20 + Math.floor(r() * 200), maxConcurrentMoves: 1 + Math.floor(r() * 4), balance: true },
  };
}

const squares = (servers: readonly PlanServer[], d: 'bytes' | 'rate') =>
  servers.filter((s) => !s.draining).reduce((n, s) => n + s.tablets.reduce((m, t) => m + (d === 'bytes' ? t.diskBytes : t.requestsPerSec), 0) ** 2, 0);

describe('planBalance over random clusters', () => {
  it('keeps its promises and stops', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const r = rng(seed);
      const { servers, options } = randomCluster(r);
      const state = new Map(servers.map((s) => [s.serverId, { ...s, tablets: [...s.tablets] as PlanTablet[] }]));
      let running: (RunningMove & { ends: number })[] = [];
      let round = 1;
      for (; round <= 1000; round++) {
        for (const m of running.filter((x) => x.ends <= round)) {
          const from = state.get(m.from)!;
          const t = from.tablets.find((x) => x.tabletId === m.tabletId)!;
          from.tablets = from.tablets.filter((x) => x !== t);
          state.get(m.to)!.tablets.push(t);
        }
        running = running.filter((x) => x.ends > round);
        const p = planBalance([...state.values()], running, options);
        expect(running.length + p.moves.length, `seed ${seed}`).toBeLessThanOrEqual(options.maxConcurrentMoves);
        // Apply the planned moves one by one to a copy, as the planner's model does (running ones done first).
        const model = new Map([...state].map(([k, s]) => [k, { ...s, tablets: [...s.tablets] }]));
        for (const m of running) {
          const t = model.get(m.from)!.tablets.find((x) => x.tabletId === m.tabletId)!;
          model.get(m.from)!.tablets = model.get(m.from)!.tablets.filter((x) => x !== t);
          model.get(m.to)!.tablets.push(t);
        }
        for (const m of p.moves) {
          expect(state.get(m.to)!.draining, `seed ${seed}: onto a draining server`).toBe(false);
          const d = m.reason === 'rate-skew' ? 'rate' : 'bytes';
          const before = squares([...model.values()], d);
          const t = model.get(m.from)!.tablets.find((x) => x.tabletId === m.tabletId)!;
          expect(t.movable, `seed ${seed}: an unmovable tablet planned`).not.toBe(false);
          model.get(m.from)!.tablets = model.get(m.from)!.tablets.filter((x) => x !== t);
          model.get(m.to)!.tablets.push(t);
          if (m.reason !== 'drain') {
            expect(squares([...model.values()], d), `seed ${seed}: ${m.tabletId} does not lower the ${d} imbalance`).toBeLessThan(before);
            expect(m.skewAfter[d], `seed ${seed}`).toBeLessThanOrEqual(m.skewBefore[d]);
            const other = d === 'bytes' ? 'rate' : 'bytes';
            expect(m.skewAfter[other], `seed ${seed}`).toBeLessThanOrEqual(
              Math.max(m.skewBefore[other], other === 'bytes' ? options.bytesSkewThreshold : options.rateSkewThreshold),
            );
          }
          running.push({ tabletId: m.tabletId, from: m.from, to: m.to, ends: round + 1 });
        }
        if (p.moves.length === 0 && running.length === 0) break;
      }
      expect(round, `seed ${seed} did not stop`).toBeLessThan(1000);
      for (const s of state.values())
        if (s.draining && state.size > [...state.values()].filter((x) => x.draining).length)
          expect(
            s.tablets.filter((t) => t.movable !== false),
            `seed ${seed}`,
          ).toEqual([]);
    }
  });
});
