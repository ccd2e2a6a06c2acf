// MetaSync's side of a merge (tablets/tablet-merge.ts) over a real
// in-process tablet server serving META: writeMerge erases the lower row
// and widens the upper one, each checked for its assignment; and
// mergeCommitted, what a merge whose answer was lost asks, says yes only
// once that write is in META — also when the write is retried after it
// committed (the retry is refused, the check still finds it).

import { LockClient } from '@kdi/client-sdk';
import { KdiError, META_TABLE, type TabletConfig } from '@kdi/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestServer } from '../../test/harness.js';
import type { AssignedTablet } from '../tablets/tablet-meta.js';
import { LocalMetaTable } from './local-meta-rows.js';
import { MetaSync } from './meta-sync.js';

const b = (s: string) => Buffer.from(s, 'utf8');
const silent = { info: () => {}, warn: () => {}, error: () => {} };

function row(lower: string | undefined, upper: string | undefined, epoch: number): TabletConfig {
  return {
    table: 't',
    lowerExclusive: lower === undefined ? undefined : b(lower),
    upperInclusive: upper === undefined ? undefined : b(upper),
    location: { serverId: 'ts-1', url: 'http://ts-1:8080', epoch },
    logs: [{ dir: '/data/ts-1/log', fromSegment: epoch }],
    fragments: { default: [`frag-${epoch}`] },
    state: 'serving',
  };
}

describe('MetaSync merge writes', () => {
  let s: TestServer;
  let meta: LocalMetaTable;
  let sync: MetaSync;
  beforeEach(async () => {
    s = await TestServer.start();
    await s.load(META_TABLE, 'meta');
    meta = new LocalMetaTable(s.server);
    // The lock client is only used for META's own tablet (the root); never reached here.
    sync = new MetaSync({ serverId: 'ts-1', url: 'http://ts-1:8080', logDir: '/data/ts-1/log', meta, lockClient: new LockClient({ url: 'http://127.0.0.1:9' }), logger: silent });
    for (const c of [row(undefined, 'm', 3), row('m', undefined, 5)]) await meta.writeTablet(c, undefined, (await meta.readTablet('t', c.upperInclusive)).txn);
  });
  afterEach(async () => {
    await sync.stop();
    await s.close();
  });

  const low: AssignedTablet = { table: 't', lowerExclusive: undefined, upperInclusive: b('m'), epoch: 3, logFrom: 3 };
  const high: AssignedTablet = { table: 't', lowerExclusive: b('m'), upperInclusive: undefined, epoch: 5, logFrom: 5 };
  const merged: AssignedTablet = { table: 't', lowerExclusive: undefined, upperInclusive: undefined, epoch: 5, logFrom: 3 };
  const lists = { default: ['frag-3', 'frag-5'] };

  it('writes one row with the union range, the upper tablet’s epoch and the earlier tenure; a lost answer is found committed', async () => {
    expect(await sync.mergeCommitted(merged)).toBe(false);
    await sync.writeMerge(low, high, merged, lists);
    expect(await meta.listTablets('t')).toEqual([{ ...row(undefined, undefined, 5), logs: [{ dir: '/data/ts-1/log', fromSegment: 3 }], fragments: lists }]);
    expect(await sync.mergeCommitted(merged)).toBe(true);
    // The same write again (what a retry after a lost answer would send) is refused: the lower row is gone.
    const again = await sync.writeMerge(low, high, merged, lists).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(KdiError);
    expect((again as KdiError).code).toBe('FAILED_PRECONDITION');
    expect(await sync.mergeCommitted(merged)).toBe(true);
  });

  it('refuses, changing nothing, when either row names another assignment; mergeCommitted stays false', async () => {
    const before = await meta.listTablets('t');
    for (const [l, h] of [
      [{ ...low, epoch: 2 }, high],
      [low, { ...high, epoch: 4 }],
    ] as const) {
      const e = await sync.writeMerge(l, h, { ...merged, epoch: h.epoch }, lists).catch((x: unknown) => x);
      expect((e as KdiError).code).toBe('FAILED_PRECONDITION');
      expect(await meta.listTablets('t')).toEqual(before);
    }
    expect(await sync.mergeCommitted(merged)).toBe(false);
    await expect(sync.writeMerge({ ...low, table: META_TABLE }, { ...high, table: META_TABLE }, { ...merged, table: META_TABLE }, lists)).rejects.toThrow(/never merged/);
  });
});
