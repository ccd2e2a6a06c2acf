// Names become paths only after validation (DESIGN §14): a table name or
// tablet id of '.' or '..' is 400 INVALID_ARGUMENT on every route that
// takes one, and nothing is ever written outside the data directory.

import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cell, TEST_SECRET, TestServer } from './harness.js';

/** Every path under `dir`, relative, sorted. */
async function walk(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    out.push(rel);
    if (e.isDirectory()) out.push(...(await walk(join(dir, e.name), rel)));
  }
  return out.sort();
}

/** A real HTTP request with the path sent byte for byte (inject and fetch would normalise dot segments). */
function rawCall(base: string, method: string, path: string, body: unknown, auth: string): Promise<{ status: number; body: any; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${auth}`, ...(payload !== undefined && { 'content-type': 'application/json' }) },
    });
    // node:http keeps the path as given; make sure of it.
    req.path = path;
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text.length > 0 ? JSON.parse(text) : undefined, text });
      });
    });
    req.end(payload);
  });
}

describe("'.' and '..' as table names and tablet ids", () => {
  let root: string;
  let s: TestServer;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'kdi-ts-names-'));
    await mkdir(join(root, 'data'));
    s = await TestServer.start({ dataDir: join(root, 'data') });
    await s.load('ok', 'ok1');
    await s.apply('ok', [cell('a', 'f:', 1, 'x'), cell('m', 'f:', 1, 'y')]);
  });
  afterAll(async () => {
    await s.close();
    await rm(root, { recursive: true, force: true });
  });

  const reserved = /not '\.' or '\.\.'/;

  it('refuses them in the body of a load and a split', async () => {
    const load = (body: unknown) => s.call('POST', '/v1/admin/tablets', { body });
    for (const bad of ['.', '..']) {
      await s.expectRefused(() => load({ table: bad, tabletId: 'n1' }), { status: 400, code: 'INVALID_ARGUMENT', message: /body\.table/ }, ['ok']);
      await s.expectRefused(() => load({ table: 'n', tabletId: bad }), { status: 400, code: 'INVALID_ARGUMENT', message: /body\.tabletId/ }, ['ok']);
      const r = await load({ table: bad, tabletId: bad });
      expect(r.body.error.message).toMatch(reserved);
      for (const field of ['lowTabletId', 'highTabletId']) {
        await s.expectRefused(
          () => s.call('POST', '/v1/admin/tablets/ok1/split', { body: { row: 'c', [field]: bad } }),
          { status: 400, code: 'INVALID_ARGUMENT', message: new RegExp(`body\\.${field}`) },
          ['ok'],
        );
      }
    }
  });

  it('refuses them as the table of apply, scan, sync, stat and table info, and as the tablet of unload, split and compact', async () => {
    const base = await s.app.listen({ host: '127.0.0.1', port: 0 });
    // Literal and percent-encoded dot segments, sent as is over a real socket.
    for (const bad of ['.', '..', '%2E', '%2E%2E', '.%2E', '%2e.']) {
      const calls: Array<[string, 'GET' | 'POST' | 'DELETE', string, unknown]> = [
        ['apply', 'POST', `/v1/tables/${bad}/apply`, { cells: [cell('a', 'f:', 1, 'z')] }],
        ['scan', 'POST', `/v1/tables/${bad}/scan`, {}],
        ['sync', 'POST', `/v1/tables/${bad}/sync`, {}],
        ['stat', 'POST', `/v1/tables/${bad}/stat`, {}],
        ['info', 'GET', `/v1/tables/${bad}`, undefined],
        ['unload', 'DELETE', `/v1/admin/tablets/${bad}`, undefined],
        ['split', 'POST', `/v1/admin/tablets/${bad}/split`, { row: 'c' }],
        ['compact', 'POST', `/v1/admin/tablets/${bad}/compact`, {}],
      ];
      for (const [what, method, url, body] of calls) {
        const r = await rawCall(base, method, url, body, TEST_SECRET);
        expect(r.status, `${what} ${url}: ${r.text}`).toBe(400);
        expect(r.body.error.code, url).toBe('INVALID_ARGUMENT');
        expect(r.body.error.message, url).toMatch(/url\.(table|tabletId): must be/);
        expect(r.body.error.message, url).toMatch(reserved);
      }
    }
    const open = await s.call('POST', '/v1/scanners', { body: { table: '..' } });
    expect(open.status, open.text).toBe(400);
    expect(open.body.error.message).toMatch(/body\.table/);
  });

  it('has written nothing outside the data directory, and only under tables/ok/', async () => {
    await s.call('POST', '/v1/admin/serialize');
    expect(await readdir(root)).toEqual(['data']);
    const tables = (await walk(join(root, 'data'))).filter((f) => f.startsWith('tables'));
    expect(tables.length).toBeGreaterThan(0);
    for (const f of tables) expect(f).toMatch(/^tables(\/ok(\/ok1(\/.*)?)?)?$/);
  });
});
