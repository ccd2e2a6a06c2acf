// The master's move records: newest first, running ones never forgotten,
// the oldest ended ones forgotten past the limit, an ended record final.

import type { MasterMigration } from '@kdi/protocol';
import { describe, expect, it } from 'vitest';
import { MigrationBook } from './migration-book.js';

const record = (id: string, tabletId = `t-${id}`): MasterMigration => ({
  migrationId: id,
  tabletId,
  table: 'web',
  encoding: 'utf8',
  source: { serverId: 's1', url: 'http://s1' },
  target: { serverId: 's2', url: 'http://s2' },
  epoch: 2,
  previousEpoch: 1,
  reason: 'manual',
  state: 'running',
  requestedAt: '2026-12-07T00:00:00.000Z',
});

describe('MigrationBook', () => {
  it('keeps running moves, the newest ended ones up to the limit, newest first', () => {
    const book = new MigrationBook(2, () => new Date('2026-12-07T01:00:00.000Z'));
    for (const id of ['a', 'b', 'c', 'd']) book.add(record(id));
    expect(book.end('a', 'committed')).toBe(true);
    expect(book.end('b', 'aborted', 'the target died')).toBe(true);
    expect(book.end('c', 'failed', 'refused')).toBe(true);
    expect(book.list().map((r) => [r.migrationId, r.state])).toEqual([
      ['d', 'running'],
      ['c', 'failed'],
      ['b', 'aborted'],
    ]);
    expect(book.get('a')).toBeUndefined();
    expect(book.get('b')).toMatchObject({ error: 'the target died', endedAt: '2026-12-07T01:00:00.000Z' });
    expect(book.running().map((r) => r.migrationId)).toEqual(['d']);
    expect(book.runningFor((r) => r.tabletId === 't-d')?.migrationId).toBe('d');
    expect(book.runningFor((r) => r.tabletId === 't-c')).toBeUndefined();
  });

  it('ends a record once; progress only while it runs; copies out, never its own objects', () => {
    const book = new MigrationBook();
    book.add(record('a'));
    book.progress('a', { migrationId: 'a', step: 'copy', bytesCopied: 5 });
    expect(book.get('a')!.progress?.step).toBe('copy');
    expect(book.end('a', 'committed')).toBe(true);
    expect(book.end('a', 'aborted', 'late')).toBe(false);
    book.progress('a', { migrationId: 'a', step: 'freeze' });
    expect(book.get('a')).toMatchObject({ state: 'committed', progress: { step: 'copy' } });
    expect(book.get('a')!.error).toBeUndefined();
    (book.get('a') as { state: string }).state = 'running';
    expect(book.get('a')!.state).toBe('committed');
    expect(book.end('nope', 'committed')).toBe(false);
  });

  it('restores records another master kept: merged by id, ordered by requestedAt, trimmed, and says it changed', () => {
    const at = (id: string, minute: number): MasterMigration => ({ ...record(id), requestedAt: `2026-12-07T00:0${minute}:00.000Z` });
    const book = new MigrationBook(2);
    let changes = 0;
    book.onChange(() => changes++);
    book.add(at('mine', 5));
    book.restore([
      { ...at('old1', 1), state: 'committed', endedAt: '2026-12-07T00:01:30.000Z' },
      { ...at('old2', 2), state: 'aborted', endedAt: '2026-12-07T00:02:30.000Z' },
      { ...at('old3', 3), state: 'committed', endedAt: '2026-12-07T00:03:30.000Z' },
      at('old4', 4),
      { ...at('mine', 0), state: 'failed' },
    ]);
    expect(book.list().map((r) => [r.migrationId, r.state])).toEqual([
      ['mine', 'running'],
      ['old4', 'running'],
      ['old3', 'committed'],
      ['old2', 'aborted'],
    ]);
    expect(book.has('old1')).toBe(false);
    expect(changes).toBe(2);
    book.end('old4', 'committed');
    expect(changes).toBe(3);
  });
});
