// POST /v1/admin/tables/:table/schema: the master pushes a schema it set in
// META; the server reads it again and applies it to the table's tablets —
// in-process on a real lock server, META served by the node itself. An
// invalid schema in META is FAILED_PRECONDITION and the last valid schema
// stays; bad input is a 4xx naming the problem.

import { listeningUrl } from '@kdi/service-kit';
import { EMPTY_ROOT, readRoot, writeRoot } from '@kdi/client-sdk';
import { type RunningLockServer, startEmbeddedLockServer } from '@kdi/client-sdk/test-support';
import { encodeSchemaColumns, META_TABLE, TableSchemaSchema } from '@kdi/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_SECRET, FakeMaster } from './cluster.js';
import { cell, TestServer } from './harness.js';

describe('schema reload: bad input (single server)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await TestServer.start();
    await s.load('here', 'here1');
  });
  afterAll(async () => s.close());

  it('names a bad table name, a table not here, a server without META, and an unexpected body', async () => {
    await s.expectRefused(() => s.call('POST', '/v1/admin/tables/a..b!/schema', { body: {} }), { status: 400, code: 'INVALID_ARGUMENT', message: /table/ });
    await s.expectRefused(() => s.call('POST', '/v1/admin/tables/absent/schema', { body: {} }), { status: 404, code: 'NOT_FOUND', message: /no tablet of table absent/ });
    await s.expectRefused(() => s.call('POST', '/v1/admin/tables/here/schema', { body: {} }), { status: 400, code: 'FAILED_PRECONDITION', message: /no META/ });
    await s.expectRefused(() => s.call('POST', '/v1/admin/tables/here/schema', { body: { schema: {} } }), { status: 400, code: 'INVALID_ARGUMENT', message: /schema/ });
    await s.expectRefused(() => s.call('POST', '/v1/admin/tables/here/schema', { body: {}, auth: false }), { status: 401, code: 'UNAUTHENTICATED' });
  });
});

describe('schema reload in a cluster', () => {
  let lock: RunningLockServer;
  let ts: TestServer;
  let master: FakeMaster;
  let url: string;
  let timestamp = Date.now() * 1000;

  beforeAll(async () => {
    lock = await startEmbeddedLockServer({ limits: { minTtlMs: 1000, lockDelayMs: 200 } });
    ts = await TestServer.start({ config: { serverId: 'rs-1', lockUrl: lock.url, leaseTtlMs: 2000, clusterSecret: CLUSTER_SECRET } });
    await ts.app.listen({ host: '127.0.0.1', port: 0 });
    url = listeningUrl(ts.app);
    await ts.node.join(url);
    master = await new FakeMaster(lock.url).start();
    const root = await readRoot(master.lock);
    await writeRoot(master.lock, { ...EMPTY_ROOT, location: { serverId: 'rs-1', url, epoch: 1 } }, root?.generation);
    expect((await master.admin('POST', `${url}/v1/admin/tablets`, { table: META_TABLE, tabletId: 'meta', epoch: 1 })).status).toBe(201);
    const meta = await master.meta();
    const { txn } = await meta.readTablet('t', undefined);
    await meta.writeTablet(
      { table: 't', lowerExclusive: undefined, upperInclusive: undefined, location: { serverId: 'rs-1', url, epoch: 2 }, logs: [], fragments: {}, state: 'loading' },
      undefined,
      txn,
    );
    expect((await master.admin('POST', `${url}/v1/admin/tablets`, { table: 't', tabletId: 't-1', epoch: 2 })).status).toBe(201);
  });
  afterAll(async () => {
    await ts?.close();
    await master?.stop();
    await master?.lock.close();
    await lock?.close();
  });

  /** Writes schema columns into the table's META row, as the master does. */
  async function writeSchemaColumns(columns: ReadonlyArray<{ column: string; value: string }>): Promise<void> {
    timestamp += 1000;
    const cells = columns.map((c) => ({ row: 't', column: c.column, timestamp, value: c.value }));
    const r = await master.admin('POST', `${url}/v1/tables/${META_TABLE}/apply`, { cells });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  }

  const reload = () => master.admin('POST', `${url}/v1/admin/tables/t/schema`, {});
  const write = (column: string) => ts.call('POST', '/v1/tables/t/apply', { body: { cells: [cell('r', column, ++timestamp, 'v')] } });

  it('applies the schema META holds, and keeps it when META then holds an invalid one', async () => {
    expect((await write('other:x')).status).toBe(200);
    await writeSchemaColumns(encodeSchemaColumns(TableSchemaSchema.parse({ groups: [{ name: 'g', families: ['f'] }] })));
    const r = await reload();
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ table: 't', tablets: 1 });
    expect(ts.server.schemaOf('t')?.groups.map((g) => g.name)).toEqual(['g']);
    expect((await write('f:x')).status).toBe(200);
    const refused = await write('other:y');
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/family "other" is in no locality group/);

    await writeSchemaColumns([{ column: 'schema:g:families', value: '42' }]);
    const bad = await reload();
    expect(bad.status, JSON.stringify(bad.body)).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringMatching(/schema of table t in META is invalid/) });
    expect(ts.server.schemaOf('t')?.groups.map((g) => g.name)).toEqual(['g']);
    expect((await write('f:y')).status).toBe(200);
    expect((await write('other:z')).status).toBe(400);
  });

  it("needs the current master's sequencer", async () => {
    const r = await ts.call('POST', '/v1/admin/tables/t/schema', { body: {}, headers: { authorization: `Bearer ${CLUSTER_SECRET}` } });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringMatching(/x-kdi-sequencer/) });
  });
});
