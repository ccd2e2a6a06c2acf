// The web page's pure render functions on sample data (no browser): what
// each section shows, that every user-controlled value is escaped (table
// names, row keys of any bytes, messages), and that the migration and
// balancer sections render the shapes of docs/migration.md (a tablet
// server's MigrationStatus) and of the master's records (MasterMigration,
// BalancerDecision: libs/protocol master-api migrations.ts and balancer.ts
// of the branch adding them) — or say "not available on this master" when
// the master answers 404 for them.

import type { ClusterEvent, MasterServer, MasterTablet, TableDescription, TableSummary } from '@kdi/protocol';
import { describe, expect, it } from 'vitest';
import { bar, formatBytes, formatMs, formatRate, formatTime } from './format.js';
import { escapeHtml, html, raw, SafeHtml, safeHref, showBytes } from './html.js';
import { renderEvents } from './render-events.js';
import { renderMaster, renderStandby } from './render-header.js';
import { figure, renderDecisions } from './render-decisions.js';
import { migrationView, renderMigrations, type MasterMigration, type MigrationStatus } from './render-migrations.js';
import { renderDisks, renderServers } from './render-servers.js';
import { DESCRIBE_ALL_UP_TO, MAX_TABLETS_SHOWN, rangeText, renderTables, tablesToDescribe } from './render-tables.js';

const NOW = Date.parse('2026-12-07T14:00:10.000Z');
const EVIL = `<img src=x onerror="alert('x')">&`;

/** The markup's text with tags removed and entities decoded (what a person reads). */
function text(markup: { toString(): string }): string {
  return String(markup)
    .replace(/<[^>]*>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

function server(over: Partial<MasterServer> = {}): MasterServer {
  return {
    serverId: 'ts1',
    url: 'http://127.0.0.1:7101',
    state: 'live',
    startedAt: '2026-12-07T13:00:00.000Z',
    lastHeartbeatAt: '2026-12-07T14:00:09.000Z',
    tablets: 3,
    diskBytes: 5 * 1024 * 1024,
    readsPerSec: 12.5,
    writesPerSec: 3,
    disks: [{ path: '/data/ts1/d0', capacityBytes: 100 * 2 ** 30, freeBytes: 60 * 2 ** 30, kdiBytes: 10 * 2 ** 30 }],
    memory: { rssBytes: 200 * 2 ** 20, heapUsedBytes: 80 * 2 ** 20, memoryFragmentBytes: 16 * 2 ** 20, memoryBudgetBytes: 64 * 2 ** 20 },
    leaseRemainingMs: 2500,
    draining: false,
    ...over,
  };
}

function migration(over: Partial<MigrationStatus> = {}): MigrationStatus {
  return {
    migrationId: 'm-1',
    tabletId: 'people-0002',
    table: 'people',
    role: 'source',
    serverId: 'ts1',
    peer: { serverId: 'ts2', url: 'http://127.0.0.1:7102' },
    step: 'copy',
    bytesCopied: 25 * 2 ** 20,
    bytesTotal: 100 * 2 ** 20,
    filesCopied: 1,
    filesTotal: 4,
    startedAt: '2026-12-07T14:00:00.000Z',
    steps: [{ step: 'prepare', ms: 12 }],
    ...over,
  };
}

describe('html and formats', () => {
  it('escapes every interpolated value, and only SafeHtml passes through', () => {
    expect(String(html`<b>${EVIL}</b>`)).toBe('<b>&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;</b>');
    expect(String(html`<i>${html`<u>${'<'}</u>`}</i>${[1, '<', undefined, null, false]}`)).toBe('<i><u>&lt;</u></i>1&lt;');
    expect(String(raw('<br>'))).toBe('<br>');
    expect(escapeHtml(`"'`)).toBe('&quot;&#39;');
  });

  it('shows row keys of any bytes readably: base64 bytes as \\xNN, hidden characters of text as escapes', () => {
    expect(showBytes(Buffer.from([0x61, 0x00, 0xff, 0x5c, 0x3c]).toString('base64'), 'base64')).toBe('a\\x00\\xff\\\\<');
    expect(showBytes('com.cnn/\u202Egnp.exe\n', 'utf8')).toBe('com.cnn/\\u{202e}gnp.exe\\x0a');
    expect(showBytes('zürich', 'utf8')).toBe('zürich');
    expect(showBytes('!!', 'base64')).toBe('(not base64: !!)');
  });

  it('links only http(s) URLs', () => {
    expect(safeHref('http://127.0.0.1:7000')).toBe('http://127.0.0.1:7000/');
    expect(safeHref('javascript:alert(1)')).toBeUndefined();
    expect(safeHref('not a url')).toBeUndefined();
  });

  it('formats sizes, rates, durations and UTC times', () => {
    expect([formatBytes(0), formatBytes(1536), formatBytes(5 * 2 ** 30), formatBytes(undefined)]).toEqual(['0 B', '1.50 KiB', '5.00 GiB', '–']);
    expect([formatRate(0), formatRate(1), formatRate(3.25), formatRate(41.2), formatRate(1234), formatRate(56_000)]).toEqual(['0', '1', '3.3', '41', '1.2k', '56k']);
    expect([formatMs(850), formatMs(2500), formatMs(150_000), formatMs(60_000), formatMs(3_600_000), formatMs(3_720_000)]).toEqual([
      '850 ms',
      '2.5 s',
      '2 min 30 s',
      '1 min',
      '1 h',
      '1 h 2 min',
    ]);
    expect(formatTime('2026-12-07T13:59:01.000Z', NOW)).toBe('13:59:01');
    expect(formatTime('2026-12-06T13:59:01.000Z', NOW)).toBe('2026-12-06 13:59:01');
  });

  it('draws bars as shares of the whole, clamped to [0, 100]', () => {
    const b = String(
      bar(
        [
          { value: 30, kind: 'used', title: 't' },
          { value: 200, kind: 'other', title: 'u' },
        ],
        100,
        'label',
      ),
    );
    expect(b).toContain('data-w="30.00"');
    expect(b).toContain('data-w="100.00"');
    expect(b).toContain('aria-valuenow="100"');
  });
});

describe('servers and disks', () => {
  it('lists each server with its liveness, lease, tablets, bytes, rates and memory', () => {
    const out = renderServers(
      [server(), server({ serverId: 'ts0', state: 'dead', lastHeartbeatAt: '2026-12-07T13:00:00.000Z', memory: undefined, leaseRemainingMs: undefined })],
      NOW,
      10_000,
    );
    const t = text(out);
    expect(t).toContain('ts1 http://127.0.0.1:7101 live heartbeat 1.0 s ago 2.5 s 3 5.00 MiB 13 3');
    expect(t).toContain('rss 200 MiB heap 80.0 MiB 16.0 MiB / 64.0 MiB');
    expect(t.indexOf('ts1')).toBeLessThan(t.indexOf('ts0')); // live servers first
    expect(t).toContain('ts0');
    expect(t).toContain('dead');
  });

  it('marks a live server whose last heartbeat is old as stale, and a short lease as a warning', () => {
    const t = String(renderServers([server({ lastHeartbeatAt: '2026-12-07T13:59:00.000Z', leaseRemainingMs: 400 })], NOW, 10_000));
    expect(text(t)).toContain('live, stale');
    expect(t).toContain('<span class="warn">400 ms</span>');
  });

  it('escapes server ids and URLs', () => {
    const out = String(renderServers([server({ serverId: EVIL, url: EVIL })], NOW, 10_000));
    expect(out).not.toContain('<img');
    expect(text(out)).toContain(EVIL);
  });

  it('draws one usage bar per data directory: KDI bytes, other used bytes, free', () => {
    const s = server({ disks: [server().disks[0]!, { path: '/data/ts1/d1', capacityBytes: 1000, freeBytes: 50, kdiBytes: 900, state: 'high-water', reason: 'usage 95% ≥ 90%' }] });
    const out = String(renderDisks([s, server({ serverId: 'ts2', disks: [] })]));
    expect(text(out)).toContain('/data/ts1/d0 - 10.0 GiB 40.0 GiB of 100 GiB used (40%), 60.0 GiB free');
    expect(text(out)).toContain('/data/ts1/d1 high-water: usage 95% ≥ 90% 900 B');
    expect(out).toContain('data-w="10.00"'); // KDI share of d0
    expect(out).toContain('data-w="30.00"'); // the rest of d0's used bytes
    expect(out).toContain('class="seg other full"'); // d1 is 95% full
    expect(out).not.toContain('data-server-id="ts2"');
    expect(text(renderDisks([]))).toContain('No server has reported its disks yet');
  });
});

describe('tables and tablets', () => {
  const tablets: MasterTablet[] = [
    {
      tabletId: 'people-0001',
      table: 'people',
      upperInclusive: 'g',
      state: 'serving',
      location: { serverId: 'ts1', url: 'http://127.0.0.1:7101', epoch: 3 },
      diskBytes: 2048,
      readsPerSec: 1,
      writesPerSec: 0,
    },
    { tabletId: 'people-0002', table: 'people', lowerExclusive: 'g', state: 'unavailable', reason: `its log is on ts9's disk ${EVIL}` },
  ];
  const summary: TableSummary = { name: 'people', state: 'active', tablets: 2, diskBytes: 2048 };
  const described = new Map([['people', { status: 'ok' as const, data: { name: 'people', state: 'active', encoding: 'utf8', tablets } as TableDescription }]]);

  it('shows each table with its tablets: ranges, ids, locations, states, sizes and unavailable reasons', () => {
    const out = String(renderTables([summary], described, new Map()));
    const t = text(out);
    expect(t).toContain('people 2 tablets 2.00 KiB 1 serving 1 unavailable');
    expect(t).toContain("(−∞, 'g'] people-0001 ts1 epoch 3 serving 2.00 KiB 1 0");
    expect(t).toContain(`('g', +∞] people-0002 – unavailable its log is on ts9's disk ${EVIL}`);
    expect(out).not.toContain('<img');
    expect(out).toMatch(/<details class="table" data-table="people" open>/);
  });

  it('a table whose last description failed keeps its last tablets, under a line saying so', () => {
    const stale = new Map([['people', { ...described.get('people')!, stale: `HTTP 503 ${EVIL}` }]]);
    const out = String(renderTables([summary], stale, new Map()));
    expect(text(out)).toContain(`Not refreshed: HTTP 503 ${EVIL}. Showing its last tablets.`);
    expect(text(out)).toContain("(−∞, 'g'] people-0001 ts1 epoch 3 serving 2.00 KiB 1 0");
    expect(out).not.toContain('<img');
  });

  it('renders several tables as one piece of markup, sorted by name', () => {
    const out = renderTables([summary, { ...summary, name: 'orders' }, { ...summary, name: 'apples' }], described, new Map());
    expect(out).toBeInstanceOf(SafeHtml);
    expect(String(out)).not.toMatch(/>\s*,\s*</);
    expect([...String(out).matchAll(/data-table="([^"]+)"/g)].map((m) => m[1])).toEqual(['apples', 'orders', 'people']);
  });

  it('keeps the fold a person chose, and folds big tables by default', () => {
    expect(String(renderTables([summary], described, new Map([['people', false]])))).toMatch(/data-table="people" >/);
    expect(String(renderTables([{ ...summary, tablets: 500 }], new Map(), new Map()))).not.toContain(' open>');
  });

  it('reads the tablets of every table, or with many tables of the unfolded ones only', () => {
    const few = [summary, { ...summary, name: 'big', tablets: 500 }];
    expect(tablesToDescribe(few, new Map()).map((t) => t.name)).toEqual(['people', 'big']);
    const many = Array.from({ length: DESCRIBE_ALL_UP_TO + 1 }, (_, i) => ({ ...summary, name: `t${i}`, tablets: i === 0 ? 500 : 2 }));
    const chosen = tablesToDescribe(many, new Map([['t1', false]])).map((t) => t.name);
    expect(chosen).toHaveLength(DESCRIBE_ALL_UP_TO - 1); // t0 is big (folded by default), t1 folded by the person
    expect(chosen).not.toContain('t0');
    expect(chosen).not.toContain('t1');
    expect(text(renderTables(many.slice(0, 1), new Map(), new Map()))).toContain('its tablets are read when it is unfolded');
  });

  it('shows at most MAX_TABLETS_SHOWN tablets and says how many more there are', () => {
    const many = Array.from({ length: MAX_TABLETS_SHOWN + 5 }, (_, i) => ({ ...tablets[0]!, tabletId: `t-${i}` }));
    const d = new Map([['big', { status: 'ok' as const, data: { name: 'big', state: 'active', encoding: 'utf8', tablets: many } as TableDescription }]]);
    const t = text(renderTables([{ ...summary, name: 'big', tablets: many.length }], d, new Map()));
    expect(t).toContain('… and 5 more tablets');
    expect(t).not.toContain(`t-${MAX_TABLETS_SHOWN}`);
  });

  it('shows base64 bounds as bytes, escaped', () => {
    const b64 = (bytes: number[]) => Buffer.from(bytes).toString('base64');
    expect(rangeText({ table: 'b', state: 'serving', lowerExclusive: b64([0x00, 0x3c]), upperInclusive: b64([0xff]) }, 'base64')).toBe("('\\x00<', '\\xff']");
    const d = new Map([
      [
        'b',
        {
          status: 'ok' as const,
          data: { name: 'b', state: 'active', encoding: 'base64', tablets: [{ table: 'b', state: 'serving', lowerExclusive: b64([0x3c, 0x73]) }] } as TableDescription,
        },
      ],
    ]);
    const out = String(renderTables([{ ...summary, name: 'b', tablets: 1 }], d, new Map()));
    expect(out).toContain('(&#39;&lt;s&#39;, +∞]');
  });

  it('escapes table names and says when a table could not be described', () => {
    const out = String(renderTables([{ ...summary, name: EVIL }], new Map([[EVIL, { status: 'error' as const, message: 'NOT_FOUND <b>' }]]), new Map()));
    expect(out).not.toContain('<img');
    expect(out).not.toContain('<b>');
    expect(text(out)).toContain('Could not describe it: NOT_FOUND <b>');
    expect(text(renderTables([], new Map(), new Map()))).toContain('No tables yet');
  });
});

describe('moves (GET /v1/migrations, MigrationStatus of docs/migration.md)', () => {
  it('says "not available on this master" when the route is absent, and names a failure', () => {
    expect(text(renderMigrations({ status: 'absent' }, NOW) ?? '')).toBe('Not available on this master (it has no GET /v1/migrations ).');
    expect(text(renderMigrations({ status: 'error', message: 'UNAVAILABLE <x>' }, NOW) ?? '')).toContain('Could not read GET /v1/migrations : UNAVAILABLE <x>');
  });

  it('shows running moves with a progress bar of bytes copied, and ended ones with their outcome, stall and step times', () => {
    const data = {
      migrations: [
        migration(),
        migration({
          migrationId: 'm-0',
          tabletId: 'people-0001',
          step: 'done',
          bytesCopied: 100,
          bytesTotal: 100,
          filesCopied: 2,
          filesTotal: 2,
          startedAt: '2026-12-07T13:59:00.000Z',
          endedAt: '2026-12-07T13:59:02.500Z',
          outcome: 'committed',
          writeStallMs: 18,
          steps: [
            { step: 'prepare', ms: 5 },
            { step: 'copy', ms: 2000 },
            { step: 'freeze', ms: 10 },
            { step: 'commit', ms: 8 },
          ],
        }),
        migration({
          migrationId: 'm-x',
          tabletId: 'people-0003',
          role: 'target',
          serverId: 'ts3',
          peer: { serverId: 'ts1' },
          outcome: 'aborted',
          startedAt: '2026-12-07T13:57:00.000Z',
          endedAt: '2026-12-07T13:58:00.000Z',
          error: 'checksum mismatch <file>',
        }),
      ],
    };
    const out = String(renderMigrations({ status: 'ok', data }, NOW));
    const t = text(out);
    expect(t).toContain('In progress (1)');
    expect(t).toContain('people-0002 people ts1 → ts2 copy 25.0 MiB / 100 MiB, 1/4 files 10 s');
    expect(out).toContain('data-w="25.00"');
    expect(t).toContain('people-0001 people ts1 → ts2 committed 100 B / 100 B, 2/2 files 2.5 s');
    expect(t).toContain('prepare 5 ms · copy 2.0 s · freeze 10 ms · commit 8 ms write stall 18 ms');
    expect(t).toContain('people-0003 people ts1 → ts3 aborted checksum mismatch <file>'); // reported by the target: the peer is the source
    expect(out).not.toContain('<file>');
    expect(t.indexOf('people-0001')).toBeLessThan(t.indexOf('people-0003')); // most recently ended first
  });

  it("reads the master's records of moves: source, target, reason, state and the source's progress", () => {
    const record = (over: Partial<MasterMigration>): MasterMigration => ({
      migrationId: 'mv-1',
      tabletId: 'people-0002',
      table: 'people',
      lowerExclusive: 'g',
      upperInclusive: 'n',
      encoding: 'utf8',
      source: { serverId: 'ts1', url: 'http://a' },
      target: { serverId: 'ts3', url: 'http://b' },
      reason: 'balance',
      state: 'running',
      requestedAt: '2026-12-07T14:00:00.000Z',
      progress: migration({ migrationId: 'mv-1', step: 'catch-up', bytesCopied: 90, bytesTotal: 100, filesCopied: 3, filesTotal: 3 }),
      ...over,
    });
    const data = {
      migrations: [
        record({}),
        record({ migrationId: 'mv-0', state: 'failed', error: 'the source refused: tablet not serving here', progress: undefined, endedAt: '2026-12-07T14:00:01.000Z' }),
        record({ migrationId: 'mv-2', tabletId: 'x', state: 'running', progress: undefined }),
      ],
    };
    const out = String(renderMigrations({ status: 'ok', data }, NOW));
    const t = text(out);
    expect(t).toContain("In progress (2) tablet from → to step / outcome copied time steps people-0002 people ('g', 'n'] ts1 → ts3 balance catch-up 90 B / 100 B, 3/3 files 10 s");
    expect(out).toContain('data-w="90.00"');
    expect(t).toContain("x people ('g', 'n'] ts1 → ts3 balance requested no progress reported yet");
    expect(t).toContain("people-0002 people ('g', 'n'] ts1 → ts3 balance failed the source refused: tablet not serving here no progress reported yet 1.0 s");
    expect(migrationView(record({ state: 'committed', endedAt: '2026-12-07T14:00:05.000Z' }))).toMatchObject({
      running: false,
      state: 'committed',
      from: 'ts1',
      to: 'ts3',
      step: 'catch-up',
    });
  });

  it('says so when nothing moves', () => {
    const t = text(renderMigrations({ status: 'ok', data: { migrations: [] } }, NOW) ?? '');
    expect(t).toContain('No tablet is moving.');
    expect(t).toContain('No move has ended yet.');
  });
});

describe('balancer decisions (GET /v1/balancer/decisions)', () => {
  it('shows figures as a person reads them: sizes, durations, short fractions', () => {
    expect([figure('fromBytes', 3 * 2 ** 20), figure('stallMs', 1500), figure('skew', 0.5), figure('moves', 3), figure('why', 'x')]).toEqual([
      '3.00 MiB',
      '1.5 s',
      '0.5',
      '3',
      'x',
    ]);
  });

  it('says "not available on this master" when the route is absent', () => {
    expect(text(renderDecisions({ status: 'absent' }, NOW) ?? '')).toBe('Not available on this master (it has no GET /v1/balancer/decisions ).');
  });

  it('shows each decision newest first with its reason, figures and outcome; unknown plain fields as name: value', () => {
    const data = {
      decisions: [
        {
          at: '2026-12-07T13:59:00.000Z',
          tabletId: 'people-0001',
          table: 'people',
          from: 'ts1',
          to: { serverId: 'ts2' },
          reason: 'bytes skew 0.62 > 0.2',
          figures: { fromBytes: 900, toBytes: 100, skew: 0.625 },
          migrationId: 'm-0',
          outcome: 'committed',
        },
        { at: '2026-12-07T14:00:00.000Z', kind: 'no-move', reason: `balanced ${EVIL}`, dryRun: true, threshold: 0.2, nested: { ignored: 1 } },
      ],
    };
    const out = String(renderDecisions({ status: 'ok', data }, NOW));
    const t = text(out);
    expect(t.indexOf('no-move')).toBeLessThan(t.indexOf('people-0001'));
    expect(t).toContain(`no-move dry run balanced ${EVIL} threshold: 0.2`);
    expect(t).toContain('move people-0001 people ts1 → ts2 bytes skew 0.62 > 0.2 fromBytes: 900 B toBytes: 100 B skew: 0.625 committed m-0');
    expect(out).not.toContain('<img');
    expect(t).not.toContain('ignored');
    expect(text(renderDecisions({ status: 'ok', data: { decisions: [] } }, NOW) ?? '')).toContain('no decision yet');
  });

  it("shows the balancer's runs: trigger, skew before → after, each planned move with its reason and explanation, merges, notes; quiet runs folded", () => {
    const skew = (bytes: number, rate: number) => ({ bytes, rate });
    const run = (over: Record<string, unknown>) => ({
      decisionId: 'd',
      at: '2026-12-07T13:00:00.000Z',
      trigger: 'periodic',
      dryRun: false,
      servers: [],
      running: 0,
      skewBefore: skew(0, 0),
      skewAfter: skew(0, 0),
      balanced: true,
      moves: [],
      merges: [],
      notes: ['no skew above its threshold'],
      ...over,
    });
    const data = {
      decisions: [
        run({ decisionId: 'd3', at: '2026-12-07T14:00:05.000Z', notes: [`balanced ${EVIL}`] }),
        run({ decisionId: 'd2', at: '2026-12-07T14:00:00.000Z' }),
        run({
          decisionId: 'd1',
          at: '2026-12-07T13:59:00.000Z',
          trigger: 'manual',
          dryRun: true,
          running: 1,
          skewBefore: skew(800 * 2 ** 20, 40),
          skewAfter: skew(100 * 2 ** 20, 12),
          balanced: false,
          moves: [
            {
              tabletId: 'people-0001',
              table: 'people',
              from: 'ts1',
              to: 'ts2',
              reason: 'bytes-skew',
              diskBytes: 350 * 2 ** 20,
              requestsPerSec: 14,
              skewBefore: skew(800 * 2 ** 20, 40),
              skewAfter: skew(100 * 2 ** 20, 12),
              explanation: 'ts1 holds 800 MiB more than ts2; moving this 350 MiB tablet leaves 100 MiB',
              error: 'the source refused <b>',
            },
          ],
          merges: [{ table: 'logs', tabletIds: ['logs-1', 'logs-2'], diskBytes: 10, requestsPerSec: 0, explanation: '2 adjacent cold tablets' }],
          notes: ['at most 2 moves at once: 1 running'],
        }),
        run({ decisionId: 'd0', at: '2026-12-07T13:58:00.000Z' }),
      ],
      settings: { intervalMs: 60_000, bytesSkewThreshold: 2 ** 30, rateSkewThreshold: 100, maxConcurrentMoves: 2 },
    };
    const out = String(renderDecisions({ status: 'ok', data }, NOW));
    const t = text(out);
    expect(t).toContain('The balancer runs every 1 min, moves when the bytes skew passes 1.00 GiB, or the rate skew 100/s, at most 2 moves at once.');
    expect(t).toContain(`14:00:05 5.0 s ago periodic 0 running bytes 0 B rate 0/s balanced no move balanced ${EVIL}`);
    expect(t).toContain(
      '13:59:00 1 min 10 s ago manual dry run 1 running bytes 800 MiB → 100 MiB rate 40/s → 12/s unbalanced 1 move people-0001 people ts1 → ts2 bytes-skew ' +
        'ts1 holds 800 MiB more than ts2; moving this 350 MiB tablet leaves 100 MiB size 350 MiB rate 14/s skew after: 100 MiB, 12/s not started: the source refused <b> ' +
        'merge candidate logs logs-1 + logs-2 2 adjacent cold tablets at most 2 moves at once: 1 running',
    );
    expect(out).not.toContain('<img');
    expect(out).toContain('not started: the source refused &lt;b&gt;');
    expect(out).not.toContain('data-decision-id="d2"'); // a quiet run that is not the newest
    expect(t).toContain('2 earlier runs that planned nothing not shown.');
  });
});

describe('events and header', () => {
  it('lists events newest first, escaped', () => {
    const events: ClusterEvent[] = [
      { seq: 1, at: '2026-12-07T13:59:58.000Z', kind: 'server-joined', message: 'ts1 joined', serverId: 'ts1' },
      { seq: 2, at: '2026-12-07T13:59:59.000Z', kind: 'table-created', message: `table ${EVIL} created`, table: 'people' },
    ];
    const out = String(renderEvents(events, NOW, 50));
    const t = text(out);
    expect(t.indexOf('table-created')).toBeLessThan(t.indexOf('server-joined'));
    expect(t).toContain(`2 13:59:59 table-created table ${EVIL} created people`);
    expect(out).not.toContain('<img');
    expect(text(renderEvents(events, NOW, 1))).not.toContain('server-joined');
  });

  it('shows the master role and counts, or why it is unreachable and where the active master is', () => {
    const t = text(
      renderMaster(
        {
          status: 'ok',
          data: {
            url: 'http://127.0.0.1:7000',
            role: 'active',
            activeSince: '2026-12-07T13:00:00.000Z',
            lockUrl: 'http://127.0.0.1:7100',
            tables: 2,
            servers: 3,
            tablets: 9,
            unavailableTablets: 1,
          },
        },
        NOW,
      ),
    );
    expect(t).toContain('active http://127.0.0.1:7000 since 13:00:00 (1 h ago) 3 servers 2 tables 9 tablets 1 unavailable');
    const status = { status: 'ok' as const, data: { url: 'u', role: 'active' as const, lockUrl: 'l', tables: 0, servers: 0, tablets: 0, unavailableTablets: 0 } };
    expect(text(renderMaster(status, NOW, { table: 'META', location: { serverId: 'ts2', url: 'http://x', epoch: 1 } }))).toContain('META on ts2');
    expect(text(renderMaster(status, NOW, { table: 'META' }))).toContain('META not assigned');
    const down = String(renderMaster({ status: 'error', message: 'fetch failed', activeMaster: 'javascript:alert(1)' }, NOW));
    expect(down).not.toContain('href');
    expect(text(renderMaster({ status: 'error', message: 'fetch failed', unreachable: true }, NOW))).toContain('unreachable fetch failed');
    // A master that answers with an error (it is stopping, say) is not called unreachable.
    expect(text(renderMaster({ status: 'error', message: 'HTTP 503' }, NOW))).toBe('error HTTP 503');
    expect(String(renderStandby('http://127.0.0.1:7001'))).toContain('<a href="http://127.0.0.1:7001/">http://127.0.0.1:7001</a>');
  });
});
