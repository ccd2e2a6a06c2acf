// Moves through the master under load (issue 10's first test, driven the
// way an operator or the balancer drives it): a lock server, three
// tablet servers and a master, a table pre-split into 8 tablets with 100k
// cells; tablets moved one after another through POST
// /v1/tablets/{id}/move (the master picks each target) while SDK writers
// apply and SDK scanners page through the whole table with resume tokens.
// Every move commits; no acknowledged write is lost; no scan returns a
// cell twice or out of order, or misses a cell acknowledged before it
// started. Each move's steps and write stall are printed, not asserted.
//
// It used to lose acknowledged writes (2 of 4 runs on main, 2026-12-07):
// the source's publisher, writing the moving tablet's config just after
// the target's commit reached META, was refused and fenced the tablet —
// out of the map but still in the engine, frozen — and the hand-over
// then skipped the engine drop, so writes waiting on the freeze were
// applied to that dormant copy and acknowledged (fixed in the tablet
// server's tablet-handover.ts and data-operations.ts; deterministic test:
// apps/tabletserver/test/migration/handover-fenced.test.ts). 12 of 12
// runs green after the fix; the race was hit, and handled, in 3 of the 9
// runs whose server logs were kept.

import { connect, type KdiClient } from '@kdi/client-sdk';
import { startEmbeddedLockServer, type RunningLockServer } from '@kdi/client-sdk/test-support';
import type { ServiceProcess } from '@kdi/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allServing, call, startMaster, startTabletServer, tempDir, waitFor } from './cluster.js';

const TOKEN = 'migration-load-admin-token-0123';
const auth = { authorization: `Bearer ${TOKEN}` };
const CELLS = 100_000;
const MOVES = 12;
const SPLITS = ['r01250', 'r02500', 'r03750', 'r05000', 'r06250', 'r07500', 'r08750'];

let lock: RunningLockServer;
const servers: ServiceProcess[] = [];
let master: ServiceProcess;
let m: string;
let dir: { path: string; remove: () => Promise<void> };
const clients: KdiClient[] = [];

const text = (b: Uint8Array | null) => (b === null ? '' : Buffer.from(b).toString('utf8'));
const keyOf = (c: { row: Uint8Array; column: Uint8Array; timestamp: number }) => `${text(c.row)}|${text(c.column)}|${c.timestamp}`;

async function client(): Promise<KdiClient> {
  const kdi = await connect({ master: m, timeoutMs: 30_000 });
  clients.push(kdi);
  return kdi;
}

beforeAll(async () => {
  dir = await tempDir('kdi-migration-load-');
  lock = await startEmbeddedLockServer();
  for (const id of ['ts1', 'ts2', 'ts3']) servers.push(await startTabletServer(id, `${dir.path}/${id}`, lock.url));
  master = await startMaster(lock.url, { KDI_MASTER_ADMIN_TOKEN: TOKEN, KDI_MASTER_BALANCE_INTERVAL_MS: '0' });
  m = master.url;
  await waitFor('META assigned', async () => (await call('GET', `${m}/v1/meta/location`)).body.location);
  expect((await call('POST', `${m}/v1/tables`, { name: 'busy', splits: SPLITS }, auth)).status).toBe(201);
  await allServing(m, 'busy');
}, 240_000);

afterAll(async () => {
  for (const c of clients) await c.close();
  await master?.stop();
  for (const s of servers) await s.stop();
  await lock?.close();
  await dir?.remove();
});

describe('moves through the master under load', () => {
  it('every move commits; nothing acknowledged is lost; no scan duplicates or misses a cell', { timeout: 900_000 }, async () => {
    // 100k cells, 10 rows of 8 columns per 80 cells, spread over every tablet.
    const loader = (await client()).table('busy');
    const acked = new Map<string, string>();
    for (let batch = 0; batch < CELLS / 2000; batch++) {
      const cells = Array.from({ length: 2000 }, (_, j) => {
        const n = batch * 2000 + j;
        return { row: `r${String(Math.floor(n / 8)).padStart(5, '0')}`, column: `c:${n % 8}`, timestamp: 1, value: `v${n}` };
      });
      await loader.apply(cells);
      for (const c of cells) acked.set(`${c.row}|${c.column}|1`, c.value);
    }

    const unknown = new Set<string>();
    const problems: string[] = [];
    let stop = false;
    let scans = 0;
    const writer = async (w: number) => {
      const t = (await client()).table('busy');
      for (let i = 0; !stop; i++) {
        const cells = Array.from({ length: 8 }, (_, j) => ({
          row: `r${String((i * 131 + j * 977 + w * 7919) % 12500).padStart(5, '0')}`,
          column: `w${w}:${i}`,
          timestamp: 2,
          value: `w${w}.${i}.${j}`,
        }));
        try {
          await t.apply(cells);
          for (const c of cells) acked.set(`${c.row}|${c.column}|2`, c.value);
        } catch (e) {
          for (const c of cells) unknown.add(`${c.row}|${c.column}|2`);
          problems.push(`writer ${w}: ${(e as Error).message}`);
        }
      }
    };
    const scanner = async () => {
      const t = (await client()).table('busy');
      while (!stop) {
        const before = new Set(acked.keys());
        const seen = new Set<string>();
        let last = '';
        let resume: string | undefined;
        for (;;) {
          const page = await t.scanPage(undefined, { maxCells: 2000, ...(resume !== undefined && { resume }) });
          for (const c of page.cells) {
            const k = keyOf(c);
            if (seen.has(k)) problems.push(`scan returned ${k} twice`);
            const order = `${text(c.row)}|${text(c.column)}`;
            if (order <= last) problems.push(`scan out of order at ${k}`);
            last = order;
            seen.add(k);
          }
          if (page.end) break;
          resume = page.resume;
        }
        for (const k of before) if (!seen.has(k)) problems.push(`scan missed ${k}, acknowledged before it started`);
        scans++;
      }
    };
    const load = [writer(0), writer(1), scanner()];

    const lines: string[] = [];
    for (let i = 0; i < MOVES; i++) {
      const tablets = (await call('GET', `${m}/v1/tables/busy`)).body.tablets;
      const t = tablets[(i * 5) % tablets.length];
      const r = await call('POST', `${m}/v1/tablets/${t.tabletId}/move`, {}, auth);
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      const ended = await waitFor(
        `move ${r.body.migration.migrationId}`,
        async () => {
          const x = await call('GET', `${m}/v1/migrations/${r.body.migration.migrationId}`);
          return x.body.state !== 'running' ? x.body : undefined;
        },
        120_000,
      );
      const p = ended.progress ?? {};
      lines.push(
        `${ended.migrationId} ${ended.tabletId} ${ended.source.serverId}→${ended.target.serverId} ${ended.state}: ${p.bytesTotal ?? '?'} bytes, ` +
          `steps ${(p.steps ?? []).map((s: { step: string; ms: number }) => `${s.step} ${s.ms}`).join(' ')} ms, write stall ${p.writeStallMs ?? '?'} ms`,
      );
      expect(ended.state, JSON.stringify(ended)).toBe('committed');
      await allServing(m, 'busy');
    }
    stop = true;
    await Promise.all(load);

    const final = new Map<string, string>();
    for await (const c of (await client()).table('busy').scan()) final.set(keyOf(c), text(c.value));
    const lost = [...acked].filter(([k, v]) => final.get(k) !== v);
    const invented = [...final.keys()].filter((k) => !acked.has(k) && !unknown.has(k));
    const scanProblems = problems.filter((p) => !p.startsWith('writer'));
    console.log(
      [
        `${MOVES} moves through the master, ${acked.size} cells acknowledged, ${unknown.size} unknown, ${scans} full scans`,
        ...lines.map((l) => `  ${l}`),
        `lost at the end: ${lost.length}${
          lost.length > 0
            ? ` (${lost
                .slice(0, 8)
                .map(([k]) => k)
                .join(', ')})`
            : ''
        }`,
        `scan problems: ${scanProblems.length}${scanProblems.length > 0 ? ` (distinct: ${[...new Set(scanProblems)].slice(0, 8).join('; ')})` : ''}`,
        `writer errors: ${problems.length - scanProblems.length}${problems.length > scanProblems.length ? ` (${problems.find((p) => p.startsWith('writer'))})` : ''}`,
      ].join('\n'),
    );
    // Anything but the moves themselves once they began (a reassignment would be one), for a failure's message.
    const events = (await call('GET', `${m}/v1/events?limit=1000`)).body.events as { seq: number; kind: string; message: string }[];
    const firstMove = events.find((e) => e.kind === 'migration-started')?.seq ?? 0;
    const other = events.filter((e) => e.seq > firstMove && !['migration-started', 'migration-committed', 'tablet-split'].includes(e.kind));
    console.log(`other events: ${other.length}${other.map((e) => `\n  ${e.kind}: ${e.message}`).join('')}`);
    // Where each tablet is at the end, for a failure's message.
    console.log(
      (await call('GET', `${m}/v1/tables/busy`)).body.tablets
        .map((t: any) => `  ${t.tabletId} (${t.lowerExclusive ?? '-inf'}, ${t.upperInclusive ?? '+inf'}] on ${t.location?.serverId}`)
        .join('\n'),
    );
    expect(lost.slice(0, 10)).toEqual([]);
    expect([...new Set(scanProblems)].slice(0, 10)).toEqual([]);
    expect(invented.slice(0, 10)).toEqual([]);
    expect(scans).toBeGreaterThan(0);
  });
});
