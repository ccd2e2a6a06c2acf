// Tablet migration under load (issue 10, DESIGN §10) with real processes:
// three tablet servers on a real lock server, META on ts-0, table t split
// at m over ts-1 and ts-2, moved back and forth between ts-1 and ts-2 by
// the source-driven migration while SDK writers apply and SDK scanners
// page through the table with resume tokens. No acknowledged write is
// lost; no scan returns a cell twice, out of order, or misses a cell
// acknowledged before it started. Each move's steps, bytes and write
// stall (freeze + commit) are printed, not asserted.

import { connect, type KdiClient } from '@kdi/client-sdk';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ok, SdkCluster } from '../sdk/sdk-cluster.js';
import { describeMove, waitMigration } from './migration-kit.js';

let cluster: SdkCluster;
beforeAll(async () => {
  // A small memory budget: serializations (and compactions) happen during the moves.
  // Info logs: the target's log line of each commit names its phases' times (printed below).
  cluster = await SdkCluster.start(3, { KDI_TS_MEMORY_BUDGET_BYTES: String(64 * 1024), KDI_TS_LOG_LEVEL: 'info' });
  await cluster.createTable('t', [
    { id: 't0', upper: 'm', server: 1 },
    { id: 't1', lower: 'm', server: 2 },
  ]);
}, 120_000);
afterAll(async () => cluster?.close());

const text = (b: Uint8Array | null) => (b === null ? '' : Buffer.from(b).toString('utf8'));
const keyOf = (c: { row: Uint8Array; column: Uint8Array; timestamp: number }) => `${text(c.row)}|${text(c.column)}|${c.timestamp}`;

it('moves tablets back and forth under concurrent writers and scanners: nothing acknowledged lost, no scan duplicates or misses a cell', async () => {
  const [, s1, s2] = cluster.servers as [never, NonNullable<(typeof cluster.servers)[0]>, NonNullable<(typeof cluster.servers)[0]>];
  const clients: KdiClient[] = [];
  const acked = new Map<string, string>();
  const unknown = new Set<string>();
  let stop = false;
  const problems: string[] = [];
  let scansDone = 0;
  let pagesRead = 0;

  const writer = async (w: number) => {
    const kdi = await connect({ servers: [cluster.urls[0]!], timeoutMs: 30_000 });
    clients.push(kdi);
    const t = kdi.table('t');
    for (let i = 0; !stop; i++) {
      const cells = Array.from({ length: 4 }, (_, j) => {
        const row = `${String.fromCharCode(97 + ((i * 7 + j * 5 + w * 3) % 26))}-${w}-${String(i).padStart(5, '0')}`;
        return { row, column: `f:c${j}`, timestamp: 1, value: `v${w}.${i}.${j}` };
      });
      try {
        await t.apply(cells);
        for (const c of cells) acked.set(`${c.row}|${c.column}|1`, c.value);
      } catch (e) {
        for (const c of cells) unknown.add(`${c.row}|${c.column}|1`);
        problems.push(`writer ${w}: ${(e as Error).message}`);
      }
    }
  };

  const scanner = async () => {
    const kdi = await connect({ servers: [cluster.urls[0]!], timeoutMs: 30_000 });
    clients.push(kdi);
    const t = kdi.table('t');
    while (!stop) {
      const before = new Set(acked.keys());
      const seen = new Set<string>();
      let last = '';
      let resume: string | undefined;
      for (;;) {
        const page = await t.scanPage(undefined, { maxCells: 37, ...(resume !== undefined && { resume }) });
        pagesRead++;
        for (const c of page.cells) {
          const k = keyOf(c);
          if (seen.has(k)) problems.push(`scan returned ${k} twice`);
          if (`${text(c.row)}|${text(c.column)}` <= last) problems.push(`scan out of order at ${k}`);
          last = `${text(c.row)}|${text(c.column)}`;
          seen.add(k);
        }
        if (page.end) break;
        resume = page.resume;
      }
      for (const k of before) if (!seen.has(k)) problems.push(`scan missed ${k}, acknowledged before it started`);
      scansDone++;
    }
  };

  const load = [writer(0), writer(1), writer(2), scanner(), scanner()];
  await new Promise((r) => setTimeout(r, 1000));
  const moves = [
    { id: 't0', from: s1, to: s2 },
    { id: 't1', from: s2, to: s1 },
    { id: 't0', from: s2, to: s1 },
    { id: 't1', from: s1, to: s2 },
    { id: 't0', from: s1, to: s2 },
    { id: 't0', from: s2, to: s1 },
  ];
  const lines: string[] = [];
  for (const [i, m] of moves.entries()) {
    const r = await cluster.master.migrate(m.from, m.to, m.id, `load-${i}`);
    ok(r, 202);
    const status = await waitMigration(m.from, `load-${i}`);
    lines.push(describeMove(status));
    expect(status.outcome, describeMove(status)).toBe('committed');
    expect((await cluster.master.config('t', m.id === 't0' ? 'm' : undefined))?.location).toMatchObject({ serverId: m.to.serverId, epoch: r.epoch });
    await new Promise((r) => setTimeout(r, 300));
  }
  stop = true;
  await Promise.all(load);

  const kdi = await connect({ servers: [cluster.urls[0]!], timeoutMs: 30_000 });
  clients.push(kdi);
  const final = new Map<string, string>();
  for await (const c of kdi.table('t').scan()) final.set(keyOf(c), text(c.value));
  const lost = [...acked].filter(([k, v]) => final.get(k) !== v);
  const invented = [...final.keys()].filter((k) => !acked.has(k) && !unknown.has(k));
  for (const c of clients) await c.close();

  console.log(
    [
      `migration under load: ${moves.length} moves, ${acked.size} cells acknowledged, ${unknown.size} unknown, ${scansDone} full scans (${pagesRead} pages)`,
      ...lines.map((l) => `  ${l}`),
      'target commit phases (ms since the commit call reached the target):',
      ...cluster.servers.flatMap((srv) =>
        srv
          .output()
          .split('\n')
          .filter((l) => l.includes('tablet received by migration'))
          .map(
            (l) =>
              `  ${srv.serverId} ${(JSON.parse(l) as { tabletId: string }).tabletId}: ${JSON.stringify((JSON.parse(l) as { msSinceCommitStart: unknown }).msSinceCommitStart)}`,
          ),
      ),
    ].join('\n'),
  );
  expect(
    problems.filter((p) => !p.startsWith('writer')),
    problems.slice(0, 10).join('\n'),
  ).toEqual([]);
  expect(lost.slice(0, 10)).toEqual([]);
  expect(invented.slice(0, 10)).toEqual([]);
  expect(acked.size).toBeGreaterThan(500);
  expect(scansDone).toBeGreaterThan(2);
}, 240_000);
