// kdi.admin against a small real HTTP server on 127.0.0.1 that answers
// like the master (the master itself is exercised end to end by the CLI's
// tests in tools/cli): what each call sends, that replies are validated
// against the master API contract, and that the master's errors arrive as
// KdiErrors with its code.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KdiError } from '@kdi/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { KdiClient } from '../table/kdi-client.js';

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  body: unknown;
}

const servers: Server[] = [];
const clients: KdiClient[] = [];

async function master(answer: (req: Seen) => { status: number; body: unknown }): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      const s = { method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
      seen.push(s);
      const a = answer(s);
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function client(url: string | undefined, token?: string): KdiClient {
  const c = new KdiClient({ master: url, servers: url === undefined ? ['http://127.0.0.1:1'] : undefined, token, timeoutMs: 2_000 });
  clients.push(c);
  return c;
}

async function failure(p: Promise<unknown>): Promise<KdiError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(KdiError);
  return e as KdiError;
}

const DESCRIPTION = {
  name: 'web',
  state: 'active',
  encoding: 'utf8',
  tablets: [
    { table: 'web', upperInclusive: 'm', state: 'serving', tabletId: 't1', location: { serverId: 's1', url: 'http://127.0.0.1:7201', epoch: 3 } },
    { table: 'web', lowerExclusive: 'm', state: 'unavailable', reason: "its data is only on dead server s2's disks" },
  ],
};

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

describe('kdi.admin', () => {
  it('creates a table with split rows and a schema, sending the token', async () => {
    const m = await master(() => ({ status: 201, body: DESCRIPTION }));
    const d = await client(m.url, 'tok-123').admin.createTable('web', { splits: ['m'], schema: { groups: [{ name: 'g', families: '*' }] } });
    expect(d.tablets.map((t) => t.state)).toEqual(['serving', 'unavailable']);
    expect(m.seen).toEqual([
      { method: 'POST', url: '/v1/tables', auth: 'Bearer tok-123', body: { name: 'web', schema: { groups: [{ name: 'g', families: '*' }] }, splits: ['m'], encoding: 'utf8' } },
    ]);
  });

  it('sends binary split rows in base64', async () => {
    const m = await master(() => ({ status: 201, body: DESCRIPTION }));
    await client(m.url).admin.createTable('web', { splits: [new Uint8Array([0xfe])] });
    expect(m.seen[0]!.body).toEqual({ name: 'web', splits: ['/g=='], encoding: 'base64' });
  });

  it('calls each route of the master API and returns the validated reply', async () => {
    const m = await master((req) => {
      const replies: Record<string, unknown> = {
        'GET /v1/tables': { tables: [{ name: 'web', state: 'active', tablets: 2, diskBytes: 10 }] },
        'DELETE /v1/tables/web': { name: 'web', unloadedTablets: 2, filesDeletedAfter: '2026-01-01T00:00:00.000Z' },
        'PUT /v1/tables/web/schema': { name: 'web', schema: { groups: [{ name: 'g', families: '*' }] }, pushedTo: ['s1'], pending: [] },
        'GET /v1/tables/web': DESCRIPTION,
        'GET /v1/tables/web/tablets?encoding=base64': { table: 'web', encoding: 'base64', tablets: [] },
        'GET /v1/servers': { servers: [] },
        'GET /v1/events?limit=5&after=7': { events: [{ seq: 8, at: '2026-01-01T00:00:00.000Z', kind: 'table-created', message: 'created web', table: 'web' }] },
        'GET /v1/master': { url: 'http://m', role: 'active', lockUrl: 'http://l', tables: 1, servers: 1, tablets: 2, unavailableTablets: 0 },
      };
      return { status: 200, body: replies[`${req.method} ${req.url}`] };
    });
    const admin = client(m.url).admin;
    expect(await admin.listTables()).toEqual([{ name: 'web', state: 'active', tablets: 2, diskBytes: 10 }]);
    expect((await admin.dropTable('web')).unloadedTablets).toBe(2);
    expect((await admin.setSchema('web', { groups: [{ name: 'g', families: '*' }] })).pushedTo).toEqual(['s1']);
    expect(m.seen[2]!.body).toEqual({ groups: [{ name: 'g', families: '*' }] });
    expect((await admin.describeTable('web')).tablets[1]!.reason).toContain('dead server');
    expect((await admin.tablets('web', { encoding: 'base64' })).encoding).toBe('base64');
    expect(await admin.servers()).toEqual([]);
    expect((await admin.events({ limit: 5, after: 7 }))[0]!.kind).toBe('table-created');
    expect((await admin.masterStatus()).role).toBe('active');
  });

  it('moves a tablet, lists and reads moves, runs the balancer and drains a server', async () => {
    const migration = {
      migrationId: 'mig-1',
      tabletId: 't1',
      table: 'web',
      upperInclusive: 'm',
      encoding: 'utf8',
      source: { serverId: 's1', url: 'http://127.0.0.1:7201' },
      target: { serverId: 's2', url: 'http://127.0.0.1:7202' },
      epoch: 9,
      previousEpoch: 3,
      reason: 'manual',
      state: 'running',
      requestedAt: '2026-01-01T00:00:00.000Z',
      progress: { migrationId: 'mig-1', step: 'copy', bytesCopied: 10, bytesTotal: 20 },
    };
    const skew = { bytes: 0, rate: 0 };
    const decision = {
      decisionId: 'd-1',
      at: '2026-01-01T00:00:00.000Z',
      trigger: 'manual',
      dryRun: true,
      servers: [],
      running: 0,
      skewBefore: skew,
      skewAfter: skew,
      balanced: true,
      moves: [],
      merges: [],
      notes: ['balanced'],
    };
    const settings = { intervalMs: 60000, bytesSkewThreshold: 1, rateSkewThreshold: 1, maxConcurrentMoves: 2, mergeBelowBytes: 0 };
    const m = await master((req) => {
      const replies: Record<string, [number, unknown]> = {
        'POST /v1/tablets/t1/move': [202, { migration }],
        'GET /v1/migrations': [200, { migrations: [migration] }],
        'GET /v1/migrations/mig-1': [200, migration],
        'POST /v1/balancer/run': [200, { decision }],
        'GET /v1/balancer/decisions?limit=3': [200, { decisions: [decision], settings }],
        'POST /v1/servers/s1/drain': [200, { serverId: 's1', draining: true, tablets: 4 }],
        'DELETE /v1/servers/s1/drain': [200, { serverId: 's1', draining: false, tablets: 0 }],
      };
      const [status, body] = replies[`${req.method} ${req.url}`] ?? [404, { error: { code: 'NOT_FOUND', message: req.url } }];
      return { status, body };
    });
    const admin = client(m.url, 'tok').admin;
    expect((await admin.moveTablet('t1', { target: 's2' })).progress?.step).toBe('copy');
    expect(m.seen.at(-1)!.body).toEqual({ target: 's2' });
    await admin.moveTablet('t1');
    expect(m.seen.at(-1)!.body).toEqual({});
    expect((await admin.migrations())[0]!.migrationId).toBe('mig-1');
    expect((await admin.migration('mig-1')).state).toBe('running');
    expect((await admin.runBalancer({ dryRun: true })).notes).toEqual(['balanced']);
    expect(m.seen.at(-1)!.body).toEqual({ dryRun: true });
    expect((await admin.balancerDecisions({ limit: 3 })).settings.maxConcurrentMoves).toBe(2);
    expect(await admin.drainServer('s1')).toEqual({ serverId: 's1', draining: true, tablets: 4 });
    expect((await admin.drainServer('s1', false)).draining).toBe(false);
    expect(m.seen.every((x) => x.auth === 'Bearer tok')).toBe(true);
    expect((await failure(admin.migration('nope'))).code).toBe('NOT_FOUND');
  });

  it("turns the master's error body into a KdiError with its code", async () => {
    const m = await master(() => ({ status: 409, body: { error: { code: 'ALREADY_EXISTS', message: 'table web exists', requestId: 'r-1' } } }));
    const e = await failure(client(m.url).admin.createTable('web'));
    expect([e.code, e.message, e.requestId]).toEqual(['ALREADY_EXISTS', 'table web exists', 'r-1']);
    expect(m.seen).toHaveLength(1);
  });

  it('refuses a reply that breaks the contract with INTERNAL naming the field', async () => {
    const m = await master(() => ({ status: 200, body: { tables: [{ name: 'web', state: 'sleepy', tablets: 1, diskBytes: 0 }] } }));
    const e = await failure(client(m.url).admin.listTables());
    expect(e.code).toBe('INTERNAL');
    expect(e.message).toContain('tables.0.state');
  });

  it('checks the table name and split rows before any request', async () => {
    const m = await master(() => ({ status: 500, body: {} }));
    const admin = client(m.url).admin;
    expect((await failure(admin.createTable('no/slash'))).code).toBe('INVALID_ARGUMENT');
    expect((await failure(admin.dropTable('..'))).code).toBe('INVALID_ARGUMENT');
    expect((await failure(admin.createTable('web', { splits: ['a', 'a'] }))).message).toContain('repeats');
    expect(m.seen).toEqual([]);
  });

  it('says to pass master when the client was connected without one', () => {
    const e = (() => {
      try {
        return client(undefined).admin;
      } catch (err) {
        return err;
      }
    })() as KdiError;
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toContain('master');
  });

  it('needs master or servers, each an http(s) URL', () => {
    expect(() => new KdiClient({})).toThrow(/master .* or tablet server URLs/);
    expect(() => new KdiClient({ master: 'localhost:7000' })).toThrow(/master: "localhost:7000" is not an http\(s\) URL/);
  });
});
