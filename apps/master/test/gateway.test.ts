// The master's gateway (DESIGN §9, issue 9) in a real cluster — a lock
// server, two tablet servers and a master, all processes on 127.0.0.1 —
// used through the master's base URL only, as curl and generated clients
// use it:
//  - a table pre-split into four tablets over both servers is written with
//    one JSON apply, paged back with a small maxCells from resume tokens
//    alone (every cell once, in order), estimated with stat, synced;
//  - bad input is a typed 4xx (ErrorBody): a bad predicate, a mangled or
//    foreign resume token, an unknown table;
//  - a standby master continues a scan the active one began, from the
//    token alone;
//  - a client generated from the master's /openapi.json by
//    @hey-api/openapi-ts, in a scratch directory, creates a table, applies
//    through the gateway, scans with resume across tablets and reads a
//    typed error; the document passes redocly lint with no errors.

import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startEmbeddedLockServer, type RunningLockServer } from '@kdi/client-sdk/test-support';
import { lintOpenApi, type ServiceProcess } from '@kdi/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allServing, call, startMaster, startTabletServer, tempDir, waitFor } from './cluster.js';

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));

type Json = Record<string, any>;

let lock: RunningLockServer;
const servers: ServiceProcess[] = [];
let master: ServiceProcess;
let base: string;
let dir: { path: string; remove: () => Promise<void> };

const TABLE = 'gw';
const N = 26 * 6;
const rowOf = (i: number) => `${String.fromCharCode(97 + (i % 26))}${String(i).padStart(3, '0')}`;
const ROWS = Array.from({ length: N }, (_, i) => rowOf(i)).sort();

beforeAll(async () => {
  dir = await tempDir('kdi-gateway-');
  lock = await startEmbeddedLockServer();
  for (const id of ['ts1', 'ts2']) servers.push(await startTabletServer(id, `${dir.path}/${id}`, lock.url));
  master = await startMaster(lock.url);
  base = master.url;
  await waitFor('META assigned', async () => (await call('GET', `${base}/v1/meta/location`)).body.location);
}, 120_000);

afterAll(async () => {
  await master?.stop();
  for (const s of servers) await s.stop();
  await lock?.close();
  await dir?.remove();
});

/** Every page of a scan through the gateway, each asked with the previous page's resume token only. */
async function scanAll(table: string, body: Json): Promise<{ rows: string[]; pages: number }> {
  const rows: string[] = [];
  let resume: string | undefined;
  let pages = 0;
  for (;;) {
    const r = await call('POST', `${base}/v1/tables/${table}/scan`, { ...body, ...(resume !== undefined && { resume }) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.nextRow).toBeUndefined();
    rows.push(...r.body.cells.map((c: { row: string }) => c.row));
    pages++;
    if (r.body.end) return { rows, pages };
    resume = r.body.resume;
    expect(resume).toMatch(/^[A-Za-z0-9_-]+$/);
  }
}

describe('the gateway through the master URL', () => {
  it('writes a table over both servers with one apply and pages it back from resume tokens alone', async () => {
    expect((await call('POST', `${base}/v1/tables`, { name: TABLE, splits: ['f', 'm', 's'] })).status).toBe(201);
    const d = await allServing(base, TABLE);
    expect(d.tablets).toHaveLength(4);
    expect(new Set(d.tablets.map((t: { location: { serverId: string } }) => t.location.serverId)).size).toBe(2);

    const cells = ROWS.map((row) => ({ row, column: 'f:q', timestamp: 1, value: `v-${row}` }));
    const applied = await call('POST', `${base}/v1/tables/${TABLE}/apply`, { cells });
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    expect(applied.body.commitTxn).toBeGreaterThan(0);

    const { rows, pages } = await scanAll(TABLE, { maxCells: 7 });
    expect(rows).toEqual(ROWS);
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(N / 7));
    // Full pages across tablet boundaries: every page but the last holds maxCells cells.
    expect(pages).toBe(Math.ceil(N / 7));
    // Without maxCells a small table spanning 4 tablets on 2 servers comes back in one page.
    const whole = await call('POST', `${base}/v1/tables/${TABLE}/scan`, {});
    expect(whole.body.end).toBe(true);
    expect(whole.body.cells.map((c: { row: string }) => c.row)).toEqual(ROWS);

    // A bounded scan, the predicate as a structure with base64 bounds: the same rows as the text form.
    const text = await scanAll(TABLE, { predicate: "'e' <= row < 'h'", maxCells: 5 });
    const structured = await scanAll(TABLE, {
      predicate: { rows: [{ lower: { value: Buffer.from('e').toString('base64'), inclusive: true }, upper: { value: Buffer.from('h').toString('base64'), inclusive: false } }] },
      encoding: 'base64',
      maxCells: 5,
    });
    expect(text.rows).toEqual(ROWS.filter((r) => r >= 'e' && r < 'h'));
    expect(structured.rows.map((r) => Buffer.from(r, 'base64').toString())).toEqual(text.rows);
  }, 120_000);

  it('estimates with stat over every server and syncs applies made without waiting', async () => {
    const stat = await call('POST', `${base}/v1/tables/${TABLE}/stat`, {});
    expect(stat.status, JSON.stringify(stat.body)).toBe(200);
    expect(stat.body.cells).toBeGreaterThanOrEqual(N);
    expect(stat.body.tablets).toHaveLength(4);

    const applied = await call('POST', `${base}/v1/tables/${TABLE}/apply`, {
      cells: [
        { row: 'a-late', column: 'f:q', timestamp: 2, value: 'x' },
        { row: 'z-late', column: 'f:q', timestamp: 2, value: 'y' },
      ],
      waitForSync: false,
    });
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    const synced = await call('POST', `${base}/v1/tables/${TABLE}/sync`, { atLeastTxn: applied.body.commitTxn });
    expect(synced.status, JSON.stringify(synced.body)).toBe(200);
    expect(synced.body).toEqual({ syncTxn: applied.body.commitTxn });
    // Erase them again (an erasure through the gateway).
    const erased = await call('POST', `${base}/v1/tables/${TABLE}/apply`, {
      cells: [
        { row: 'a-late', column: 'f:q', timestamp: 2, erase: true },
        { row: 'z-late', column: 'f:q', timestamp: 2, erase: true },
      ],
    });
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect((await scanAll(TABLE, { predicate: "row ~= 'a-' or row ~= 'z-'" })).rows).toEqual([]);
  }, 60_000);

  it('answers bad input with a typed 4xx: predicate, resume token, unknown table, unknown field', async () => {
    const bad = await call('POST', `${base}/v1/tables/${TABLE}/scan`, { predicate: 'row >' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'body.predicate' } });

    const mangled = await call('POST', `${base}/v1/tables/${TABLE}/scan`, { resume: 'not+a/token' });
    expect(mangled.status).toBe(400);
    expect(mangled.body.error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'resume' } });

    const first = await call('POST', `${base}/v1/tables/${TABLE}/scan`, { maxCells: 3 });
    const foreign = await call('POST', `${base}/v1/tables/${TABLE}/scan`, { predicate: "row >= 'b'", resume: first.body.resume });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.message).toMatch(/another predicate/);

    for (const op of ['scan', 'stat', 'apply']) {
      const body = op === 'apply' ? { cells: [{ row: 'r', column: 'f:q', timestamp: 1, value: 'v' }] } : {};
      const r = await call('POST', `${base}/v1/tables/no-such-table/${op}`, body);
      expect(r.status, `${op}: ${JSON.stringify(r.body)}`).toBe(404);
      expect(r.body.error.code).toBe('NOT_FOUND');
    }
    const unknownField = await call('POST', `${base}/v1/tables/${TABLE}/apply`, { cells: [], colour: 'red' });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.error.message).toMatch(/colour/);
    const badName = await call('POST', `${base}/v1/tables/bad%20name/scan`, {});
    expect(badName.status).toBe(400);
    // Cell blocks are for the SDK, which goes to the tablet servers: the gateway takes JSON.
    const block = await fetch(`${base}/v1/tables/${TABLE}/apply`, { method: 'POST', headers: { 'content-type': 'application/x-kdi-cells' }, body: new Uint8Array(8) });
    expect(block.status).toBe(400);
    expect(((await block.json()) as Json)['error']).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'content-type' } });
  }, 60_000);
});

describe('the gateway on a standby master', () => {
  it('continues a scan another master began, from its resume token', async () => {
    const standby = await startMaster(lock.url);
    try {
      expect((await call('GET', `${standby.url}/v1/master`)).body.role).toBe('standby');
      const first = await call('POST', `${base}/v1/tables/${TABLE}/scan`, { maxCells: 10 });
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      const rows: string[] = first.body.cells.map((c: { row: string }) => c.row);
      let resume: string | undefined = first.body.resume;
      while (resume !== undefined) {
        const r = await call('POST', `${standby.url}/v1/tables/${TABLE}/scan`, { maxCells: 50, resume });
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        rows.push(...r.body.cells.map((c: { row: string }) => c.row));
        resume = r.body.end ? undefined : r.body.resume;
      }
      expect(rows).toEqual(ROWS);
    } finally {
      await standby.stop();
    }
  }, 60_000);
});

describe('a client generated from the master’s /openapi.json', () => {
  let doc: Json;
  beforeAll(async () => {
    doc = (await (await fetch(`${base}/openapi.json`)).json()) as Json;
  });

  it('passes redocly lint without errors', async () => {
    const { errors } = await lintOpenApi(doc, HERE);
    expect(errors).toEqual([]);
  });

  it('creates a table, applies through the gateway, scans with resume across tablets and reads a typed error', async () => {
    const scratch = await tempDir('kdi-master-client-');
    try {
      const input = join(scratch.path, 'openapi.json');
      await writeFile(input, JSON.stringify(doc));
      const out = join(scratch.path, 'client');
      const cli = join(dirname(createRequire(import.meta.url).resolve('@hey-api/openapi-ts/package.json')), 'bin', 'run.js');
      await run(process.execPath, [cli, '-i', input, '-o', out], { cwd: scratch.path, env: { ...process.env, NO_COLOR: '1' } });
      const sdkText = await readFile(join(out, 'sdk.gen.ts'), 'utf8');
      for (const id of ['createTable', 'apply', 'scan', 'stat', 'sync']) expect(sdkText).toMatch(new RegExp(`export const ${id} = `));
      const types = await readFile(join(out, 'types.gen.ts'), 'utf8');
      expect(types.match(/^export type ErrorBody = /gm)).toHaveLength(1);

      const sdk = (await import(join(out, 'index.ts'))) as Json;
      const client = (await import(join(out, 'client.gen.ts'))) as Json;
      expect(client['client'].getConfig().baseUrl).toBe(base);

      const created = await sdk['createTable']({ body: { name: 'generated', splits: ['k'] } });
      expect(created.response.status, JSON.stringify(created.error)).toBe(201);
      await allServing(base, 'generated');
      const rows = Array.from({ length: 20 }, (_, i) => `${String.fromCharCode(97 + i)}-row`);
      const applied = await sdk['apply']({ path: { table: 'generated' }, body: { cells: rows.map((row) => ({ row, column: 'f:q', timestamp: 1, value: row.toUpperCase() })) } });
      expect(applied.response.status, JSON.stringify(applied.error)).toBe(200);

      const seen: string[] = [];
      let resume: string | undefined;
      for (let pages = 0; pages < 100; pages++) {
        const page = await sdk['scan']({ path: { table: 'generated' }, body: { maxCells: 3, ...(resume !== undefined && { resume }) } });
        expect(page.response.status, JSON.stringify(page.error)).toBe(200);
        seen.push(...page.data.cells.map((c: { row: string; value: string }) => `${c.row}=${c.value}`));
        if (page.data.end) break;
        resume = page.data.resume;
      }
      expect(seen).toEqual(rows.map((r) => `${r}=${r.toUpperCase()}`));

      const missing = await sdk['scan']({ path: { table: 'nope' }, body: {} });
      expect(missing.response.status).toBe(404);
      expect(missing.error.error.code).toBe('NOT_FOUND');
      const invalid = await sdk['scan']({ path: { table: 'generated' }, body: { predicate: 'history = ' } });
      expect(invalid.response.status).toBe(400);
      expect(invalid.error.error.code).toBe('INVALID_ARGUMENT');
    } finally {
      await scratch.remove();
    }
  }, 120_000);
});
