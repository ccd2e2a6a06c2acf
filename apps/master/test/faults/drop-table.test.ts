// Dropping a table (issue 9, "Tests"), on each lock backend: its META rows
// are erased at once and, after the GC grace period (short here:
// KDI_MASTER_GC_GRACE_MS, KDI_MASTER_GC_INTERVAL_MS), its fragment files are
// gone from every tablet server's data directory — while a table that was
// not dropped keeps its files and its cells. Then the DDL errors the
// master's own cluster test does not cover: drop and set-schema of an
// unknown table, of META, with a bad name, and invalid schemas (the
// empty one is in master-cluster.test.ts) — each a
// 4xx with a message naming what to fix.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, HttpMetaRows, MetaTableClient, type KdiClient } from '@kdi/client-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allServing, call, CLUSTER_SECRET, waitFor } from '../cluster.js';
import { BACKENDS, startFaultCluster, type FaultCluster } from './fault-cluster.js';
import { readAll } from './load-writers.js';

const GC_GRACE_MS = 1_000;
const GC_INTERVAL_MS = 500;

/** Every fragment file (*.frag) under `dir`, recursively; [] when `dir` does not exist. */
async function fragmentFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return [];
  }
  return entries.filter((e) => e.isFile() && e.name.endsWith('.frag')).map((e) => join(e.parentPath, e.name));
}

describe.each(BACKENDS)('dropping a table, lock server on %s', (backend) => {
  let cluster: FaultCluster;
  let kdi: KdiClient | undefined;

  beforeAll(async () => {
    cluster = await startFaultCluster({ backend, masterEnv: { KDI_MASTER_GC_GRACE_MS: String(GC_GRACE_MS), KDI_MASTER_GC_INTERVAL_MS: String(GC_INTERVAL_MS) } });
  }, 400_000);

  afterAll(async () => {
    await kdi?.close();
    await cluster?.close();
  });

  const tableFiles = async (table: string) => (await Promise.all([...cluster.servers.values()].map((s) => fragmentFiles(join(s.dataDir, 'tables', table))))).flat();

  it('erases its META rows at once and its files after the grace period; other tables keep theirs', async () => {
    const m = cluster.masterUrl;
    for (const name of ['doomed', 'kept']) {
      expect((await call('POST', `${m}/v1/tables`, { name, splits: ['g', 'p'] })).status).toBe(201);
      await allServing(m, name, 120_000);
    }
    kdi = await connect({ servers: [m], timeoutMs: 120_000 });
    const rows = Array.from({ length: 26 * 20 }, (_, i) => `${String.fromCharCode(97 + (i % 26))}-${i}`);
    for (const name of ['doomed', 'kept']) await kdi.table(name).apply(rows.map((row) => ({ row, column: 'f:c', value: `${name}-${row}` })));
    // Memory fragments to files on every server.
    for (const s of cluster.servers.values()) {
      const r = await call('POST', `${s.url}/v1/admin/serialize`, {}, { authorization: `Bearer ${CLUSTER_SECRET}` });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    const doomedFiles = await tableFiles('doomed');
    const keptFiles = await tableFiles('kept');
    expect(doomedFiles.length).toBeGreaterThanOrEqual(3);
    expect(keptFiles.length).toBeGreaterThanOrEqual(3);

    const dropped = await call('DELETE', `${m}/v1/tables/doomed`);
    expect(dropped.status).toBe(200);
    expect(dropped.body).toMatchObject({ name: 'doomed', unloadedTablets: 3 });
    const droppedAt = performance.now();
    // META rows: gone at once.
    const metaUrl = (await call('GET', `${m}/v1/meta/location`)).body.location.url as string;
    const meta = new MetaTableClient(new HttpMetaRows(metaUrl, CLUSTER_SECRET));
    expect(await meta.listTablets('doomed')).toEqual([]);
    expect(await meta.readTableSchema('doomed')).toBeUndefined();
    expect((await call('GET', `${m}/v1/tables/doomed`)).status).toBe(404);

    // Files: gone after the grace period, by the master's file GC.
    await waitFor('the dropped table’s files deleted', async () => ((await tableFiles('doomed')).length === 0 ? true : undefined), 60_000);
    console.log(
      `[faults ${backend}] drop: ${doomedFiles.length} fragment files of the dropped table deleted ${Math.round(performance.now() - droppedAt)} ms after the drop (grace ${GC_GRACE_MS} ms, GC every ${GC_INTERVAL_MS} ms)`,
    );
    const events = await call('GET', `${m}/v1/events?limit=1000`);
    expect(events.body.events.some((e: { kind: string }) => e.kind === 'files-deleted')).toBe(true);

    // The other table: every file still there (GC rounds ran meanwhile), every cell readable.
    const stillKept = await tableFiles('kept');
    for (const f of keptFiles) expect(stillKept).toContain(f);
    const got = await readAll(kdi.table('kept'));
    expect(got.size).toBe(rows.length);
    for (const row of rows) expect(got.get(row)).toBe(`kept-${row}`);

    // The name is free again: a new table of that name starts empty.
    expect((await call('POST', `${m}/v1/tables`, { name: 'doomed' })).status).toBe(201);
    await allServing(m, 'doomed', 120_000);
    expect((await readAll(kdi.table('doomed'))).size).toBe(0);
  }, 300_000);

  it('refuses bad drop and set-schema requests with 4xx and a message', async () => {
    const m = cluster.masterUrl;
    const unknownDrop = await call('DELETE', `${m}/v1/tables/nosuch`);
    expect(unknownDrop.status).toBe(404);
    expect(unknownDrop.body.error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('nosuch') });

    const badNameDrop = await call('DELETE', `${m}/v1/tables/${encodeURIComponent('no spaces!')}`);
    expect(badNameDrop.status).toBe(400);
    expect(badNameDrop.body.error.message).toMatch(/table/i);

    const schema = { groups: [{ name: 'g', families: ['f'] }] };
    const unknownSchema = await call('PUT', `${m}/v1/tables/nosuch/schema`, schema);
    expect(unknownSchema.status).toBe(404);
    expect(unknownSchema.body.error.message).toContain('nosuch');

    const metaSchema = await call('PUT', `${m}/v1/tables/META/schema`, schema);
    expect(metaSchema.status).toBe(400);
    expect(metaSchema.body.error.message).toContain('META');

    const twice = await call('PUT', `${m}/v1/tables/kept/schema`, {
      groups: [
        { name: 'a', families: ['f'] },
        { name: 'b', families: ['f'] },
      ],
    });
    expect(twice.status).toBe(400);
    expect(twice.body.error.message).toMatch(/"?f"?/);
    const notASchema = await call('PUT', `${m}/v1/tables/kept/schema`, { families: ['f'] });
    expect(notASchema.status).toBe(400);
    expect(notASchema.body.error.message).toMatch(/groups|families/);

    // A valid schema is taken and pushed to the servers serving the table; the cells stay readable.
    const ok = await call('PUT', `${m}/v1/tables/kept/schema`, { groups: [{ name: 'g', families: ['f'] }] });
    expect(ok.status).toBe(200);
    expect(ok.body.pending).toEqual([]);
    expect((await readAll(kdi!.table('kept'))).size).toBeGreaterThan(0);
    // A drop of a table being dropped or gone: 404 the second time.
    expect((await call('DELETE', `${m}/v1/tables/kept`)).status).toBe(200);
    expect((await call('DELETE', `${m}/v1/tables/kept`)).status).toBe(404);
  }, 120_000);
});
