// The history file's format: a round trip keeps every record; a file that
// is not gzip, not JSON or not this format decodes to `bad` (never
// throws); a record that does not match its schema is dropped and
// counted; a history past maxBytes is trimmed oldest first, events before
// decisions before ended moves, running moves never.

import { gzipSync } from 'node:zlib';
import type { BalancerDecision, ClusterEvent, DiskBalanceDecision, MasterMigration } from '@kdi/protocol';
import { describe, expect, it } from 'vitest';
import { decodeHistory, encodeHistory, type History } from './history-file.js';

const move = (id: string, state: MasterMigration['state']): MasterMigration => ({
  migrationId: id,
  tabletId: `t-${id}`,
  table: 'web',
  upperInclusive: 'm',
  encoding: 'utf8',
  source: { serverId: 's1', url: 'http://s1' },
  target: { serverId: 's2', url: 'http://s2' },
  epoch: 7,
  previousEpoch: 6,
  reason: 'balance',
  decisionId: 'd-3',
  state,
  requestedAt: '2026-12-07T00:00:00.000Z',
  ...(state !== 'running' && { endedAt: '2026-12-07T00:00:01.000Z' }),
});

const decision = (n: number): BalancerDecision => ({
  decisionId: `d-${n}`,
  at: '2026-12-07T00:00:00.000Z',
  trigger: 'manual',
  dryRun: false,
  servers: [{ serverId: 's1', draining: false, diskBytes: 10, requestsPerSec: 0, tablets: 3 }],
  running: 0,
  skewBefore: { bytes: 10, rate: 0 },
  skewAfter: { bytes: 0, rate: 0 },
  balanced: true,
  moves: [],
  merges: [],
  notes: [`note ${n}`],
});

const event = (seq: number): ClusterEvent => ({
  seq,
  at: '2026-12-07T00:00:00.000Z',
  kind: 'tablet-loaded',
  message: `tablet ${seq} loaded on s1 after a random ${Math.random()}`,
});

const history = (events: number): History => ({
  writer: { url: 'http://m1', generation: 4 },
  writtenAt: '2026-12-07T00:00:02.000Z',
  migrations: [move('b', 'running'), move('a', 'committed')],
  decisions: [decision(1), decision(2)],
  events: Array.from({ length: events }, (_, i) => event(i + 1)),
});

describe('the master history file', () => {
  it('round-trips every record, gzip-compressed', async () => {
    const h = history(50);
    const { bytes, trimmed } = await encodeHistory(h, 1 << 20);
    expect(trimmed).toBe(0);
    expect(bytes.length).toBeLessThan(Buffer.byteLength(JSON.stringify(h)));
    const d = decodeHistory(bytes);
    expect(d).toEqual({ ok: true, history: h, dropped: 0 });
  });

  it('round-trips the automatic disk balance’s decisions; a file without them decodes without them', async () => {
    const disk = (n: number): DiskBalanceDecision => ({
      decisionId: `dd-${n}`,
      at: '2026-12-07T00:00:00.000Z',
      serverId: 's1',
      outcome: n % 2 === 0 ? 'balanced' : 'failed',
      reason: `reason ${n}`,
    });
    const h = { ...history(3), diskDecisions: [disk(1), disk(2)] };
    expect(decodeHistory((await encodeHistory(h, 1 << 20)).bytes)).toEqual({ ok: true, history: h, dropped: 0 });
    const old = decodeHistory((await encodeHistory(history(3), 1 << 20)).bytes);
    expect(old.ok && old.history.diskDecisions).toBeUndefined();
    // Trimmed after the events, before the balancer's decisions.
    const big = { ...history(0), diskDecisions: Array.from({ length: 2000 }, (_, i) => disk(i + 1)) };
    const full = (await encodeHistory(big, 1 << 24)).bytes.length;
    const cut = decodeHistory((await encodeHistory(big, Math.floor(full / 3))).bytes);
    if (!cut.ok) throw new Error(cut.bad);
    expect(cut.history.diskDecisions!.length).toBeLessThan(2000);
    expect(cut.history.diskDecisions!.at(-1)!.decisionId).toBe('dd-2000');
    expect(cut.history.decisions).toHaveLength(2);
  });

  it('decodes junk to `bad` with the reason, and drops records that do not match their schema', () => {
    expect(decodeHistory(new Uint8Array([1, 2, 3]))).toMatchObject({ ok: false, bad: expect.stringMatching(/not gzip-compressed JSON/) });
    expect(decodeHistory(gzipSync('{"format":"something else"}'))).toMatchObject({ ok: false, bad: expect.stringMatching(/not a kdi-master-history version 1 file/) });
    const h = history(2);
    const json = JSON.parse(JSON.stringify({ format: 'kdi-master-history', version: 1, ...h }));
    json.migrations[0].state = 'exploded';
    json.events.push({ seq: 'x' });
    const d = decodeHistory(gzipSync(JSON.stringify(json)));
    expect(d.ok && d.history.migrations.map((m) => m.migrationId)).toEqual(['a']);
    expect(d.ok && d.history.events).toHaveLength(2);
    expect(d.ok && d.dropped).toBe(2);
  });

  it('stays under maxBytes: the oldest events go first, running moves never', async () => {
    const h = history(4000);
    const full = (await encodeHistory(h, 1 << 24)).bytes.length;
    const { bytes, trimmed } = await encodeHistory(h, Math.floor(full / 3));
    expect(bytes.length).toBeLessThanOrEqual(Math.floor(full / 3));
    expect(trimmed).toBeGreaterThan(0);
    const d = decodeHistory(bytes);
    if (!d.ok) throw new Error(d.bad);
    expect(d.history.events.at(-1)!.seq).toBe(4000); // the newest kept
    expect(d.history.decisions).toHaveLength(2);
    expect(d.history.migrations).toHaveLength(2);
    // Nothing fits but the running move.
    const tiny = decodeHistory((await encodeHistory(h, 100)).bytes);
    expect(tiny.ok && tiny.history.migrations.map((m) => m.migrationId)).toEqual(['b']);
    expect(tiny.ok && [tiny.history.events.length, tiny.history.decisions.length]).toEqual([0, 0]);
  });
});
