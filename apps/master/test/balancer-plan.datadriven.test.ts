// Data-driven cases for the balancer's planners (testdata/balancer-plan.txt
// and testdata/merge-plan.txt; see datadriven.ts for the format and
// KDI_DATADRIVEN_REWRITE).
//
// Cluster input, one server per line (tablet sizes in any unit of bytes):
//
//   ts1: t1=300 t2=200/10 x=5! meta=1^  tablet=bytes[/requests per s], ! = cannot move, ^ = drain-only (META)
//   ts2 draining: t3=50
//   ts3:
//   running t1 ts1 ts3                  a move already running (t1 is still on ts1)
//
// Commands (options: bytes=, rate= the skew thresholds (default 100, 100),
// max= the concurrency bound (default 2), drain-only):
//
//   plan       the plan for this state: each move with its reason and the
//              skews before → after (bytes/rate), the notes, the skew of
//              the whole plan.
//   converge   predicted=N [duration=D]: plans, starts the planned moves,
//              and finishes each D rounds later (default 1), again and
//              again, as the executor does. Checks at every round that
//              running moves never exceed max, that no move raises the skew
//              it is made for, that nothing moves onto a draining server;
//              prints each round and the end state, and whether the moves
//              made stayed within N (the prediction written in the case).
//   explain    the first move's explanation.
//   merge      small=, cold=, maxBytes=, maxRun=: planMerges over one
//              table's tablets in row order, one per line:
//              `id lower..upper bytes[/rate]` (`-` for an unbounded end).

import { fileURLToPath } from 'node:url';
import { planBalance, type BalancerOptions, type PlanServer, type RunningMove } from '../src/balancer/plan.js';
import { planMerges, type MergeTablet } from '../src/balancer/merge-plan.js';
import { arg, argValue, dataDriven, type TestCase } from '@kdi/primitives/test-support';

interface Cluster {
  servers: PlanServer[];
  running: RunningMove[];
}

function fail(c: TestCase, why: string): never {
  throw new Error(`${c.file}:${c.line}: ${why}`);
}

function parseCluster(c: TestCase): Cluster {
  const servers: PlanServer[] = [];
  const running: RunningMove[] = [];
  for (const raw of c.input.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const run = /^running (\S+) (\S+) (\S+)$/.exec(line);
    if (run !== null) {
      running.push({ tabletId: run[1]!, from: run[2]!, to: run[3]! });
      continue;
    }
    const m = /^(\S+?)( draining)?:(.*)$/.exec(line);
    if (m === null) fail(c, `cannot read "${line}"`);
    const tablets = m[3]!
      .trim()
      .split(/\s+/)
      .filter((w) => w !== '')
      .map((w) => {
        const t = /^([^=]+)=([0-9.]+)(?:\/([0-9.]+))?([!^])?$/.exec(w);
        if (t === null) fail(c, `cannot read tablet "${w}" (id=bytes[/rate][!|^])`);
        return { tabletId: t[1]!, table: 't', diskBytes: Number(t[2]), requestsPerSec: Number(t[3] ?? 0), movable: t[4] !== '!', drainOnly: t[4] === '^' };
      });
    servers.push({ serverId: m[1]!, draining: m[2] !== undefined, tablets });
  }
  return { servers, running };
}

function options(c: TestCase): BalancerOptions {
  return {
    bytesSkewThreshold: Number(argValue(c, 'bytes', '100')),
    rateSkewThreshold: Number(argValue(c, 'rate', '100')),
    maxConcurrentMoves: Number(argValue(c, 'max', '2')),
    balance: arg(c, 'drain-only') === undefined,
  };
}

const skewText = (s: { bytes: number; rate: number }) => `${s.bytes}/${s.rate}`;

function planCase(c: TestCase): string {
  const { servers, running } = parseCluster(c);
  const p = planBalance(servers, running, options(c));
  const out = p.moves.map((m) => `move ${m.tabletId} ${m.from} -> ${m.to} ${m.reason}: skew ${skewText(m.skewBefore)} -> ${skewText(m.skewAfter)}`);
  for (const n of p.notes) out.push(`note: ${n}`);
  out.push(`skew ${skewText(p.skewBefore)} -> ${skewText(p.skewAfter)}${p.balanced ? ', balanced' : ''}`);
  return out.join('\n');
}

/** Runs the plan → start → finish loop; throws naming the round when an invariant breaks. */
function convergeCase(c: TestCase): string {
  const cluster = parseCluster(c);
  const o = options(c);
  const duration = Number(argValue(c, 'duration', '1'));
  const predicted = Number(argValue(c, 'predicted'));
  const servers = new Map(cluster.servers.map((s) => [s.serverId, { ...s, tablets: [...s.tablets] }]));
  const running: (RunningMove & { endsAt: number })[] = cluster.running.map((r) => ({ ...r, endsAt: duration }));
  const out: string[] = [];
  let moves = 0;
  for (let round = 1; round <= 200; round++) {
    for (const r of running.filter((x) => x.endsAt <= round)) {
      const from = servers.get(r.from)!;
      const t = from.tablets.find((x) => x.tabletId === r.tabletId)!;
      from.tablets = from.tablets.filter((x) => x !== t);
      servers.get(r.to)!.tablets.push(t);
      running.splice(running.indexOf(r), 1);
    }
    const p = planBalance([...servers.values()], running, o);
    if (running.length + p.moves.length > o.maxConcurrentMoves) fail(c, `round ${round}: ${running.length} running + ${p.moves.length} planned > max ${o.maxConcurrentMoves}`);
    for (const m of p.moves) {
      if (servers.get(m.to)!.draining) fail(c, `round ${round}: ${m.tabletId} planned onto draining ${m.to}`);
      if (m.reason === 'bytes-skew' && m.skewAfter.bytes > m.skewBefore.bytes) fail(c, `round ${round}: ${m.tabletId} raises the bytes skew`);
      if (m.reason === 'rate-skew' && m.skewAfter.rate > m.skewBefore.rate) fail(c, `round ${round}: ${m.tabletId} raises the rate skew`);
      running.push({ tabletId: m.tabletId, from: m.from, to: m.to, endsAt: round + duration });
    }
    moves += p.moves.length;
    if (p.moves.length > 0) out.push(`round ${round}: ${p.moves.map((m) => `${m.tabletId} ${m.from}->${m.to} ${m.reason}`).join(', ')}; skew ${skewText(p.skewAfter)}`);
    if (p.moves.length === 0 && running.length === 0) {
      for (const s of servers.values()) {
        const bytes = s.tablets.reduce((n, t) => n + t.diskBytes, 0);
        const rate = s.tablets.reduce((n, t) => n + t.requestsPerSec, 0);
        out.push(`${s.serverId}${s.draining ? ' (draining)' : ''}: ${bytes}/${rate} in ${s.tablets.length} tablet(s)`);
      }
      out.push(
        `${p.balanced ? 'converged' : 'stopped, not balanced,'} after ${moves} move(s) in ${round} round(s); ${moves <= predicted ? `within the ${predicted} predicted` : `MORE than the ${predicted} predicted`}`,
      );
      return out.join('\n');
    }
  }
  return [...out, 'did not converge in 200 rounds'].join('\n');
}

function mergeCase(c: TestCase): string {
  const tablets: MergeTablet[] = c.input
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^(\S+) (\S+)\.\.(\S+) ([0-9.]+)(?:\/([0-9.]+))?$/.exec(l.trim());
      if (m === null) fail(c, `cannot read "${l}" (id lower..upper bytes[/rate])`);
      return {
        tabletId: m[1]!,
        ...(m[2] !== '-' && { lowerExclusive: m[2]! }),
        ...(m[3] !== '-' && { upperInclusive: m[3]! }),
        diskBytes: Number(m[4]),
        requestsPerSec: Number(m[5] ?? 0),
      };
    });
  const merges = planMerges('t', tablets, {
    smallBytes: Number(argValue(c, 'small', '100')),
    coldRate: Number(argValue(c, 'cold', '1')),
    maxMergedBytes: Number(argValue(c, 'maxBytes', '200')),
    maxRun: Number(argValue(c, 'maxRun', '8')),
  });
  if (merges.length === 0) return 'none';
  return merges.map((m) => `merge ${m.tabletIds.join('+')} (${m.lowerExclusive ?? '-'}..${m.upperInclusive ?? '-'}) ${m.diskBytes}/${m.requestsPerSec}`).join('\n');
}

function handler(c: TestCase): string {
  switch (c.command) {
    case 'plan':
      return planCase(c);
    case 'converge':
      return convergeCase(c);
    case 'explain': {
      const { servers, running } = parseCluster(c);
      return planBalance(servers, running, options(c)).moves[0]?.explanation ?? 'no move';
    }
    case 'merge':
      return mergeCase(c);
    default:
      return fail(c, `unknown command ${c.command}`);
  }
}

dataDriven(fileURLToPath(new URL('./testdata/balancer-plan.txt', import.meta.url)), () => handler);
dataDriven(fileURLToPath(new URL('./testdata/merge-plan.txt', import.meta.url)), () => handler);
