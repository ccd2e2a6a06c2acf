// Data-driven cases for the disk-balance planner
// (src/disks/disk-balance-plan.ts; testdata/disk-balance-plan.txt; see
// @kdi/primitives/test-support for the format and KDI_DATADRIVEN_REWRITE).
//
// A server's disks, one per line (sizes in bytes; a tablet's bytes are on
// that disk and count in its `used`, which may hold other files too):
//
//   d1 cap=1000 used=800: a=300 b=200 c=100!     tablet=bytes, ! = cannot move now
//   d2 cap=1000 used=200:
//   running a d1 d2                              a move already running (a is still on d1)
//
// Options: floor=, skew=, hwm= (usage, 0..1; default 0.5, 0.1, 0.9),
// min= (bytes, default 0), max= (moves per plan, default 32).
//
// Commands:
//   plan       the plan: each move with the two disks' usage before → after
//              and the skew before → after, the notes, the plan's skew.
//   converge   predicted=N: plans, carries out the first move, plans again,
//              as the executor does (one move at a time), checking at every
//              step that the target ends no fuller than the source, that
//              the skew never grows and that no tablet under min= moves;
//              prints each move and the end state, and whether the moves
//              stayed within N.
//   explain    the first move's explanation.

import { fileURLToPath } from 'node:url';
import { argValue, dataDriven, type TestCase } from '@kdi/primitives/test-support';
import { planDiskBalance, type DiskBalanceOptions, type DiskPlanDisk, type RunningDiskMove } from '../src/disks/disk-balance-plan.js';

interface Server {
  disks: DiskPlanDisk[];
  running: RunningDiskMove[];
}

function fail(c: TestCase, why: string): never {
  throw new Error(`${c.file}:${c.line}: ${why}`);
}

function parseServer(c: TestCase): Server {
  const disks: DiskPlanDisk[] = [];
  const running: RunningDiskMove[] = [];
  for (const raw of c.input.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const run = /^running (\S+) (\S+) (\S+)$/.exec(line);
    if (run !== null) {
      running.push({ tabletId: run[1]!, from: run[2]!, to: run[3]! });
      continue;
    }
    const m = /^(\S+) cap=(\d+) used=(\d+):(.*)$/.exec(line);
    if (m === null) fail(c, `cannot read "${line}" (disk cap=N used=N: tablet=bytes ...)`);
    const tablets = m[4]!
      .trim()
      .split(/\s+/)
      .filter((w) => w !== '')
      .map((w) => {
        const t = /^([^=]+)=(\d+)(!)?$/.exec(w);
        if (t === null) fail(c, `cannot read tablet "${w}" (id=bytes[!])`);
        return { tabletId: t[1]!, table: 't', bytes: Number(t[2]), movable: t[3] === undefined };
      });
    disks.push({ path: m[1]!, capacityBytes: Number(m[2]), usedBytes: Number(m[3]), tablets });
  }
  return { disks, running };
}

function options(c: TestCase): DiskBalanceOptions {
  return {
    usageFloor: Number(argValue(c, 'floor', '0.5')),
    skewThreshold: Number(argValue(c, 'skew', '0.1')),
    highWaterMark: Number(argValue(c, 'hwm', '0.9')),
    minTabletBytes: Number(argValue(c, 'min', '0')),
    maxMoves: Number(argValue(c, 'max', '32')),
  };
}

const pct = (u: number) => `${(u * 100).toFixed(1)}%`;

function planCase(c: TestCase): string {
  const { disks, running } = parseServer(c);
  const p = planDiskBalance(disks, running, options(c));
  const out = p.moves.map(
    (m) =>
      `move ${m.tabletId} ${m.from} -> ${m.to} (${m.bytes}): ${pct(m.fromBefore.usage)}/${pct(m.toBefore.usage)} -> ${pct(m.fromAfter.usage)}/${pct(m.toAfter.usage)}, skew ${pct(m.skewBefore)} -> ${pct(m.skewAfter)}`,
  );
  for (const n of p.notes) out.push(`note: ${n}`);
  out.push(`mean ${pct(p.meanUsage)}, skew ${pct(p.skewBefore)} -> ${pct(p.skewAfter)}${p.balanced ? ', balanced' : ''}`);
  return out.join('\n');
}

/** Plans, carries out the first move, and again; throws naming the step when an invariant breaks. */
function convergeCase(c: TestCase): string {
  const server = parseServer(c);
  if (server.running.length > 0) fail(c, 'converge takes no running moves');
  const o = options(c);
  const predicted = Number(argValue(c, 'predicted'));
  const disks = new Map(server.disks.map((d) => [d.path, { ...d, tablets: [...d.tablets] }]));
  const out: string[] = [];
  for (let step = 1; step <= 200; step++) {
    const p = planDiskBalance([...disks.values()], [], o);
    const m = p.moves[0];
    if (m === undefined) {
      for (const d of disks.values()) out.push(`${d.path}: ${pct(d.usedBytes / d.capacityBytes)} in ${d.tablets.length} tablet(s)`);
      const moves = step - 1;
      out.push(
        `${p.balanced ? 'converged' : 'stopped, not balanced,'} after ${moves} move(s); ${moves <= predicted ? `within the ${predicted} predicted` : `MORE than the ${predicted} predicted`}`,
      );
      return out.join('\n');
    }
    if (m.toAfter.usage > m.fromAfter.usage + 1e-12) fail(c, `step ${step}: ${m.tabletId} leaves ${m.to} fuller than ${m.from}`);
    if (m.skewAfter > m.skewBefore + 1e-12) fail(c, `step ${step}: ${m.tabletId} raises the skew`);
    if (m.bytes < o.minTabletBytes) fail(c, `step ${step}: ${m.tabletId} is under the minimum size`);
    if (m.toAfter.usage > o.highWaterMark + 1e-12) fail(c, `step ${step}: ${m.tabletId} takes ${m.to} past the high-water mark`);
    const from = disks.get(m.from)!;
    const to = disks.get(m.to)!;
    const t = from.tablets.find((x) => x.tabletId === m.tabletId)!;
    from.tablets = from.tablets.filter((x) => x !== t);
    from.usedBytes -= t.bytes;
    to.tablets.push(t);
    to.usedBytes += t.bytes;
    out.push(`step ${step}: ${m.tabletId} ${m.from}->${m.to}; skew ${pct(m.skewAfter)}`);
  }
  return [...out, 'did not converge in 200 steps'].join('\n');
}

function handler(c: TestCase): string {
  switch (c.command) {
    case 'plan':
      return planCase(c);
    case 'converge':
      return convergeCase(c);
    case 'explain': {
      const { disks, running } = parseServer(c);
      return planDiskBalance(disks, running, options(c)).moves[0]?.explanation ?? 'no move';
    }
    default:
      return fail(c, `unknown command ${c.command}`);
  }
}

dataDriven(fileURLToPath(new URL('./testdata/disk-balance-plan.txt', import.meta.url)), () => handler);
