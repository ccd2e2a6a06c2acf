// LocalMetaTable over a real in-process tablet server serving META: a
// config round-trips; a stale row transaction aborts (the fence); a stale
// epoch fails the location check; listTablets stays inside its table.

import { KdiError, META_TABLE, type TabletConfig } from '@kdi/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestServer } from '../../test/harness.js';
import { LocalMetaTable } from './local-meta-rows.js';

const b = (s: string) => Buffer.from(s, 'utf8');

function tablet(table: string, lower: string | undefined, upper: string | undefined, over: Partial<TabletConfig> = {}): TabletConfig {
  return {
    table,
    lowerExclusive: lower === undefined ? undefined : b(lower),
    upperInclusive: upper === undefined ? undefined : b(upper),
    location: { serverId: 'ts-1', url: 'http://ts-1:8080', epoch: 1 },
    logs: [{ dir: '/data/ts-1/log', fromSegment: 1 }],
    fragments: { default: ['frag-1', 'frag-2'] },
    state: 'serving',
    ...over,
  };
}

async function refusal(p: Promise<unknown>): Promise<KdiError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(KdiError);
    return e as KdiError;
  }
  throw new Error('expected a refusal');
}

describe('LocalMetaTable', () => {
  let s: TestServer;
  let meta: LocalMetaTable;
  beforeEach(async () => {
    s = await TestServer.start();
    await s.load(META_TABLE, 'meta');
    meta = new LocalMetaTable(s.server);
  });
  afterEach(async () => {
    await s.close();
  });

  it('creates a config and reads it back equal', async () => {
    const config = tablet('users', 'g', 'm');
    const before = await meta.readTablet('users', b('m'));
    expect(before.config).toBeUndefined();
    const txn = await meta.writeTablet(config, undefined, before.txn);
    const after = await meta.readTablet('users', b('m'));
    expect(after.config).toEqual(config);
    expect(after.txn).toBeGreaterThanOrEqual(txn);
    // A create of the same row by another assignment is refused: it has a location now.
    const other = { ...config, location: { serverId: 'ts-2', url: 'http://ts-2:8080', epoch: 2 } };
    const e = await refusal(meta.writeTablet(other, undefined, after.txn));
    expect(e.code).toBe('FAILED_PRECONDITION');
    // The same create again (a retry whose first answer was lost) goes through.
    await meta.writeTablets([{ config, expect: undefined }]);
    expect((await meta.readTablet('users', b('m'))).config).toEqual(config);
  });

  it('a second writer with the old read txn aborts after the first writer updated; the config is unchanged', async () => {
    const create = await meta.readTablet('users', undefined);
    await meta.writeTablet(tablet('users', 'm', undefined), undefined, create.txn);
    const read = await meta.readTablet('users', undefined);
    const first = { ...read.config!, logs: [], fragments: { default: ['frag-3'] } };
    await meta.writeTablet(first, { serverId: 'ts-1', epoch: 1 }, read.txn);
    const second = { ...read.config!, state: 'unloading' as const };
    const e = await refusal(meta.writeTablet(second, { serverId: 'ts-1', epoch: 1 }, read.txn));
    expect(e.code).toBe('ABORTED');
    expect((await meta.readTablet('users', undefined)).config).toEqual(first);
  });

  it('a writer whose epoch is stale (the master reassigned with epoch+1) fails its precondition; the config is unchanged', async () => {
    const create = await meta.readTablet('users', b('m'));
    await meta.writeTablet(tablet('users', undefined, 'm'), undefined, create.txn);
    const serverRead = await meta.readTablet('users', b('m'));
    // The master reassigns: location rewritten with the next epoch.
    const masterRead = await meta.readTablet('users', b('m'));
    const reassigned = { ...masterRead.config!, location: { serverId: 'ts-2', url: 'http://ts-2:8080', epoch: 2 }, state: 'loading' as const };
    await meta.writeTablet(reassigned, { serverId: 'ts-1', epoch: 1 }, masterRead.txn);
    // The old server, with its old read or with a fresh one, is fenced off.
    for (const readTxn of [serverRead.txn, (await meta.readTablet('users', b('m'))).txn]) {
      const e = await refusal(meta.writeTablet({ ...serverRead.config!, logs: [] }, { serverId: 'ts-1', epoch: 1 }, readTxn));
      expect(e.code).toBe('FAILED_PRECONDITION');
      expect(e.message).toMatch(/is assigned to ts-2\/epoch 2/);
    }
    // Same server id, stale epoch: refused as well.
    const fresh = await meta.readTablet('users', b('m'));
    const e = await refusal(meta.writeTablet(fresh.config!, { serverId: 'ts-2', epoch: 1 }, fresh.txn));
    expect(e.code).toBe('FAILED_PRECONDITION');
    expect((await meta.readTablet('users', b('m'))).config).toEqual(reassigned);
  });

  it('erases fragment groups the new config drops', async () => {
    const r0 = await meta.readTablet('t', undefined);
    await meta.writeTablet(tablet('t', undefined, undefined, { fragments: { a: ['x'], b: ['y'] } }), undefined, r0.txn);
    const r1 = await meta.readTablet('t', undefined);
    const next = { ...r1.config!, fragments: { a: ['x', 'z'] } };
    await meta.writeTablet(next, { serverId: 'ts-1', epoch: 1 }, r1.txn);
    expect((await meta.readTablet('t', undefined)).config).toEqual(next);
  });

  it('a merge erases the lower row and widens the upper one in one transaction, each row checked for its assignment', async () => {
    for (const c of [tablet('t', undefined, 'm'), tablet('t', 'm', undefined, { location: { serverId: 'ts-1', url: 'http://ts-1:8080', epoch: 2 } })]) {
      await meta.writeTablet(c, undefined, (await meta.readTablet(c.table, c.upperInclusive)).txn);
    }
    const [low, high] = await meta.listTablets('t');
    const merged = { ...high!, lowerExclusive: undefined, fragments: { default: ['frag-1', 'frag-2', 'frag-3'] } };
    // A stale epoch on either row refuses the whole write.
    const stale = await refusal(
      meta.writeTablets([
        { config: low!, expect: { serverId: 'ts-1', epoch: 2 }, erase: true },
        { config: merged, expect: { serverId: 'ts-1', epoch: 2 } },
      ]),
    );
    expect(stale.code).toBe('FAILED_PRECONDITION');
    expect(await meta.listTablets('t')).toEqual([low, high]);
    await meta.writeTablets([
      { config: low!, expect: { serverId: 'ts-1', epoch: 1 }, erase: true },
      { config: merged, expect: { serverId: 'ts-1', epoch: 2 } },
    ]);
    expect(await meta.listTablets('t')).toEqual([merged]);
    expect((await meta.readTablet('t', b('m'))).config).toBeUndefined();
    expect(await meta.findTablet('t', b('a'))).toEqual(merged);
  });

  it("listTablets returns a table's tablets in row order, the last tablet last, and no other table's rows", async () => {
    const configs = [
      tablet('users', 'm', undefined),
      tablet('users', undefined, 'c'),
      tablet('users', 'c', 'm'),
      tablet('user', undefined, undefined),
      tablet('users2', undefined, 'q'),
      tablet('users2', 'q', undefined),
      tablet('a', undefined, undefined),
    ];
    for (const c of configs) {
      const r = await meta.readTablet(c.table, c.upperInclusive);
      await meta.writeTablet(c, undefined, r.txn);
    }
    // The per-table row "users" (schema/state) is not a tablet.
    await s.server.apply(META_TABLE, [{ row: b('users'), column: b('state:'), timestamp: 0, value: b('active') }], { waitForSync: false });
    const list = await meta.listTablets('users');
    expect(list).toEqual([configs[1], configs[2], configs[0]]);
    expect(await meta.listTablets('users2')).toEqual([configs[4], configs[5]]);
    expect(await meta.listTablets('user')).toEqual([configs[3]]);
    expect(await meta.listTablets('nothing')).toEqual([]);
  });
});
