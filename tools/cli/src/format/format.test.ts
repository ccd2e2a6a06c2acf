// Human output: aligned tables, sizes and ranges a person reads at a
// glance, and cell formats that keep every byte recoverable.

import type { Cell } from '@kdi/protocol';
import { describe, expect, it } from 'vitest';
import { cellJson, displayBytes, jsonLine, tsvLine, tupleLine } from './cell-text.js';
import { formatBytes, formatMicros, formatRange, formatRate } from './quantities.js';
import { textTable } from './text-table.js';
import { decisionView, drainView, migrationsView, moveEndedView, progressBar, progressText } from './migration-views.js';
import { cellsView, createdView, droppedView, eventsView, schemaSetView, serversView, tablesView, tabletsView } from './views.js';

const cell = (row: string | Uint8Array, column: string, timestamp: number, value: string | Uint8Array | null): Cell => ({
  row: typeof row === 'string' ? Buffer.from(row) : row,
  column: Buffer.from(column),
  timestamp,
  value: value === null ? null : typeof value === 'string' ? Buffer.from(value) : value,
});

describe('textTable', () => {
  it('aligns columns, numbers to the right, with no trailing blanks', () => {
    expect(
      textTable(
        ['NAME', 'N', 'NOTE'],
        [
          ['a', 1, ''],
          ['bbbb', 100, 'x'],
        ],
      ),
    ).toBe(['NAME    N  NOTE', 'a       1', 'bbbb  100  x'].join('\n'));
    expect(textTable(['A', 'B'], [])).toBe('A  B');
  });
});

describe('quantities', () => {
  it('formats sizes, rates, ranges and times', () => {
    expect([0, 999, 1024, 1536, 10 * 1024 * 1024, 200 * 1024 ** 3].map(formatBytes)).toEqual(['0 B', '999 B', '1 KiB', '1.5 KiB', '10 MiB', '200 GiB']);
    expect([undefined, 0, 2.25, 12.6].map(formatRate)).toEqual(['-', '0', '2.3', '13']);
    expect(formatRange(undefined, 'm')).toBe('(-inf, "m"]');
    expect(formatRange('m', undefined)).toBe('("m", +inf)');
    expect(formatRange(undefined, undefined)).toBe('(-inf, +inf)');
    expect(formatMicros(1_733_550_000_123_456)).toBe('2024-12-07T05:40:00.123Z');
  });
});

describe('cell formats', () => {
  const text = cell('com.cnn', 'contents:', 7, 'a\tb "q"');
  const binary = cell(new Uint8Array([0x72, 0xff, 0x5c]), 'c:', 8, new Uint8Array([0x00, 0x41]));

  it('tuple: JSON-quoted text, b"..." for bytes that are not UTF-8', () => {
    expect(tupleLine(text)).toBe('("com.cnn", "contents:", 7, "a\\tb \\"q\\"")');
    expect(tupleLine(binary)).toBe('(b"r\\xff\\\\", "c:", 8, "\\u0000A")');
    expect(tupleLine(cell('r', 'c', 1, null))).toBe('("r", "c", 1, null)');
  });

  it('tsv: one line per cell, separators escaped', () => {
    expect(tsvLine(text)).toBe('com.cnn\tcontents:\t7\ta\\tb "q"');
    expect(tsvLine(binary)).toBe('r\\xff\\\\\tc:\t8\t\\x00A');
  });

  it('json: UTF-8 text, or the whole cell in base64 when a field is not UTF-8', () => {
    expect(JSON.parse(jsonLine(text))).toEqual({ row: 'com.cnn', column: 'contents:', timestamp: 7, value: 'a\tb "q"' });
    expect(cellJson(binary)).toEqual({ row: 'cv9c', column: 'Yzo=', timestamp: 8, value: 'AEE=', encoding: 'base64' });
  });

  it('human columns show printable text as is', () => {
    expect(displayBytes(Buffer.from('héllo'))).toBe('héllo');
    expect(displayBytes(Buffer.from('two\nlines'))).toBe('"two\\nlines"');
  });
});

describe('views', () => {
  const location = { serverId: 'ts-1', url: 'http://127.0.0.1:7201', epoch: 2 };

  it('lists tables, or says how to create one', () => {
    expect(tablesView([{ name: 'web', state: 'active', tablets: 3, diskBytes: 2048 }])).toBe(['NAME  STATE   TABLETS   SIZE', 'web   active        3  2 KiB'].join('\n'));
    expect(tablesView([])).toContain('kdi tables create NAME');
  });

  it('shows tablets with their range, server and why one is unavailable', () => {
    const tablets = [
      { table: 'web', tabletId: 't-1', upperInclusive: 'm', state: 'serving' as const, location, diskBytes: 100, readsPerSec: 1, writesPerSec: 0 },
      { table: 'web', lowerExclusive: 'm', state: 'unavailable' as const, reason: "its data is only on dead server ts-2's disks" },
    ];
    const out = tabletsView(tablets).split('\n');
    expect(out).toEqual([
      '#  RANGE        STATE        SERVER  TABLET   SIZE  READS/S  WRITES/S  REASON',
      '1  (-inf, "m"]  serving      ts-1    t-1     100 B        1         0',
      `2  ("m", +inf)  unavailable  -       -           -        -         -  its data is only on dead server ts-2's disks`,
    ]);
    const created = createdView({ name: 'web', state: 'active', encoding: 'utf8', tablets }).split('\n');
    expect(created[0]).toBe('created table web with 2 tablets');
    expect(created.at(-1)).toBe(`tablet 2 ("m", +inf) is unavailable: its data is only on dead server ts-2's disks`);
  });

  it('summarizes drop and set schema in a sentence', () => {
    expect(droppedView({ name: 'web', unloadedTablets: 1, filesDeletedAfter: '2026-12-07T06:00:00.000Z' })).toBe(
      'dropped table web: 1 tablet unloaded; its files are deleted after 2026-12-07T06:00:00.000Z',
    );
    const set = schemaSetView({ name: 'web', schema: { groups: [{ name: 'g', families: '*' } as never] }, pushedTo: ['ts-1'], pending: ['ts-2'] });
    expect(set.split('\n')).toEqual([
      'schema of web set (1 locality group)',
      'pushed to ts-1',
      'not yet pushed to ts-2 (they did not answer; they read it when they next load a tablet of web)',
    ]);
  });

  it('lists servers, events and cells', () => {
    const server = {
      serverId: 'ts-1',
      url: 'http://127.0.0.1:7201',
      state: 'live' as const,
      tablets: 4,
      diskBytes: 0,
      readsPerSec: 0,
      writesPerSec: 3,
      disks: [],
      lastHeartbeatAt: '2026-12-07T05:00:00.000Z',
      draining: false,
    };
    expect(serversView([server, { ...server, serverId: 'ts-2', draining: true }]).split('\n')).toEqual([
      'SERVER  URL                    STATE     TABLETS  SIZE  READS/S  WRITES/S  LAST HEARTBEAT',
      'ts-1    http://127.0.0.1:7201  live            4   0 B        0         3  2026-12-07T05:00:00.000Z',
      'ts-2    http://127.0.0.1:7201  draining        4   0 B        0         3  2026-12-07T05:00:00.000Z',
    ]);
    expect(serversView([])).toContain('npm start');
    expect(eventsView([{ seq: 1, at: '2026-12-07T05:00:00.000Z', kind: 'table-created', message: 'created web' }]).split('\n')[1]).toBe(
      '  1  2026-12-07T05:00:00.000Z  table-created  created web',
    );
    expect(cellsView([cell('r', 'contents:', 1_733_550_000_000_000, 'v')]).split('\n')).toEqual([
      'COLUMN            TIMESTAMP  TIME                      VALUE',
      'contents:  1733550000000000  2024-12-07T05:40:00.000Z  v',
    ]);
  });
});

describe('the moving commands', () => {
  const move = {
    migrationId: 'mig-1',
    tabletId: 'web-1',
    table: 'web',
    upperInclusive: 'g',
    encoding: 'utf8' as const,
    source: { serverId: 'ts-1', url: 'http://127.0.0.1:7201' },
    target: { serverId: 'ts-2', url: 'http://127.0.0.1:7202' },
    epoch: 9,
    previousEpoch: 4,
    reason: 'manual' as const,
    state: 'running' as const,
    requestedAt: '2026-12-07T05:00:00.000Z',
    progress: { migrationId: 'mig-1', step: 'copy', bytesCopied: 3 * 1024 * 1024, bytesTotal: 12 * 1024 * 1024, filesCopied: 1, filesTotal: 4 },
  };

  it('draws a progress bar and the step with its bytes', () => {
    expect(progressBar(0.5, 10)).toBe('[#####.....]  50%');
    expect(progressBar(2, 4)).toBe('[####] 100%');
    expect(progressBar(Number.NaN, 4)).toBe('[....]   0%');
    expect(progressText(move)).toBe('copy 3 MiB of 12 MiB, 1/4 files');
  });

  it('lists moves and says how one ended', () => {
    const lines = migrationsView([move, { ...move, migrationId: 'mig-0', state: 'aborted', endedAt: '2026-12-07T05:00:02.000Z', error: 'the target died' }]).split('\n');
    expect(lines[0]).toMatch(/^MIGRATION\s+TABLET\s+TABLE\s+RANGE\s+FROM\s+TO\s+REASON\s+STATE\s+PROGRESS\s+TIME\s+ERROR$/);
    expect(lines[1]).toMatch(/^mig-1\s+web-1\s+web\s+\(-inf, "g"\]\s+ts-1\s+ts-2\s+manual\s+running\s+copy 3 MiB of 12 MiB, 1\/4 files \(25%\)/);
    expect(lines[2]).toMatch(/aborted\s+copy\s+2\.0 s\s+the target died$/);
    expect(migrationsView([])).toContain('kdi move TABLET');
    const ended = {
      ...move,
      state: 'committed' as const,
      endedAt: '2026-12-07T05:00:01.500Z',
      progress: { ...move.progress, steps: [{ step: 'copy', ms: 900 }], writeStallMs: 12 },
    };
    expect(moveEndedView(ended).split('\n')).toEqual(['mig-1 committed: tablet web-1 (web (-inf, "g"]) is served by ts-2 (1.5 s)', 'steps: copy 900 ms', 'writes waited 12 ms']);
  });

  it("prints the balancer's plan with each move's reason, notes and merge candidates", () => {
    const skew = { bytes: 2048, rate: 0 };
    const text = decisionView({
      decisionId: 'd-2',
      at: '2026-12-07T05:00:00.000Z',
      trigger: 'manual',
      dryRun: true,
      servers: [
        { serverId: 'ts-1', draining: false, diskBytes: 3072, requestsPerSec: 0, tablets: 3 },
        { serverId: 'ts-2', draining: true, diskBytes: 1024, requestsPerSec: 0, tablets: 1 },
      ],
      running: 0,
      skewBefore: skew,
      skewAfter: { bytes: 0, rate: 0 },
      balanced: true,
      moves: [
        {
          tabletId: 'web-1',
          table: 'web',
          from: 'ts-1',
          to: 'ts-3',
          reason: 'bytes-skew',
          diskBytes: 1024,
          requestsPerSec: 0,
          skewBefore: skew,
          skewAfter: { bytes: 0, rate: 0 },
          explanation: 'closest to half the gap',
        },
      ],
      merges: [
        { table: 'web', tabletIds: ['a', 'b'], diskBytes: 10, requestsPerSec: 0, explanation: 'small', merged: 'ab' },
        { table: 'logs', tabletIds: ['c', 'd', 'e'], diskBytes: 10, requestsPerSec: 0, explanation: 'small', migrationId: 'mig-9' },
      ],
      notes: ['balanced'],
    });
    expect(text).toContain('balancer d-2 (manual, dry run: nothing started)');
    expect(text).toContain('skew before: 2 KiB, 0 req/s; after the plan: 0 B, 0 req/s (balanced)');
    expect(text).toMatch(/ts-2\s+1 KiB\s+0\s+1\s+yes/);
    expect(text).toMatch(/web-1\s+web\s+ts-1\s+ts-3\s+bytes-skew/);
    expect(text).toContain('  web-1: closest to half the gap');
    expect(text).toContain('notes:\n  balanced');
    expect(text).toContain('web: a + b (10 B, 0 req/s): merged into ab');
    expect(text).toContain('logs: c + d + e (10 B, 0 req/s): moving together (mig-9)');
    expect(drainView({ serverId: 'ts-2', draining: true, tablets: 3 })).toContain('ts-2 is draining');
    expect(drainView({ serverId: 'ts-2', draining: false, tablets: 3 })).toContain('ts-2 is not draining');
  });
});
