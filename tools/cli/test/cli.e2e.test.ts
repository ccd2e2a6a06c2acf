// Every kdi command against a running cluster — an embedded lock server,
// the master and two tablet servers, each a real process — human and
// --json output, checking what it prints and its exit status (0 ok, 1 the
// cluster's error, 2 usage, 3 unreachable, 4 not found). Commands run
// through run() in this process — main.ts is run() plus process.argv,
// the environment and stdout — so the suite does not start a node process
// per command; a few runs go through real processes: bin/kdi.mjs (build
// and exit status) and main.ts (process wiring), see kdiProcess.

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KdiClient } from '@kdi/client-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startCluster, waitForTablets, type TestCluster } from './cluster.js';
import type { CliIo } from '../src/io.js';
import { run } from '../src/run.js';

const CLI = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const MAIN_TS = ['--conditions=kdi-source', '--import', 'tsx', CLI];
const BIN = fileURLToPath(new URL('../bin/kdi.mjs', import.meta.url));

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let cluster: TestCluster;
let scratch: string;

/** Runs `kdi ARGS` through run() with KDI_MASTER and KDI_TOKEN set for the test cluster (an `env` entry overrides them); `script`: as a process instead. */
async function kdi(args: readonly string[], env: Record<string, string> = {}, script?: string[], status?: (line: string) => void): Promise<Result> {
  if (script !== undefined) return kdiProcess(args, env, script);
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    out: async (text) => void (stdout += text),
    err: (text) => void (stderr += text),
    readFile: (path) => readFile(path, 'utf8'),
    confirm: undefined, // no terminal, as under execFile
    nowMicros: () => Date.now() * 1000,
    status, // a terminal's status line when given
  };
  const vars = { KDI_MASTER: cluster?.masterUrl ?? '', KDI_TOKEN: ADMIN_TOKEN, ...env };
  const code = await run(args, { KDI_MASTER: vars.KDI_MASTER || undefined, KDI_TOKEN: vars.KDI_TOKEN || undefined }, io);
  return { code, stdout, stderr };
}

/** Runs `kdi ARGS` as a process: `script` is bin/kdi.mjs, or main.ts through tsx (MAIN_TS). */
function kdiProcess(args: readonly string[], env: Record<string, string>, script: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...script, ...args],
      { env: { PATH: process.env['PATH'] ?? '', KDI_MASTER: cluster?.masterUrl ?? '', KDI_TOKEN: ADMIN_TOKEN, ...env }, timeout: 120_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `kdi ARGS --json`, parsed; fails the test on a non-zero exit. */
async function kdiJson<T = any>(args: readonly string[]): Promise<T> {
  const r = await kdi([...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'kdi-cli-'));
  cluster = await startCluster(2);
}, 300_000);

afterAll(async () => {
  await cluster?.stop();
  await rm(scratch, { recursive: true, force: true });
});

// Each test runs a dozen CLI processes; on a busy 2-core machine one takes a few seconds.
describe('kdi against a running cluster', { timeout: 300_000 }, () => {
  it('servers: both tablet servers, live', async () => {
    const human = await kdi(['servers']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^SERVER\s+URL\s+STATE\s+TABLETS/);
    expect(human.stdout).toMatch(/ts-1\s+http:\/\/127\.0\.0\.1:\d+\s+live/);
    expect(human.stdout).toMatch(/ts-2\s+http:\/\/127\.0\.0\.1:\d+\s+live/);
    const { servers } = await kdiJson<{ servers: { serverId: string; state: string }[] }>(['servers']);
    expect(servers.map((s) => [s.serverId, s.state]).sort()).toEqual([
      ['ts-1', 'live'],
      ['ts-2', 'live'],
    ]);
  });

  it('tables create: pre-split, with a schema from a file and inline; duplicates and bad schemas are the cluster’s errors', async () => {
    const created = await kdi(['tables', 'create', 'web', '--split', 'g', '--split', 'p']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('created table web with 3 tablets');
    expect(created.stdout).toContain('(-inf, "g"]');
    expect(created.stdout).toContain('("p", +inf)');

    const schemaFile = join(scratch, 'schema.json');
    await writeFile(schemaFile, JSON.stringify({ groups: [{ name: 'everything', families: '*' }] }));
    const fromFile = await kdiJson(['tables', 'create', 'filed', '--schema', schemaFile]);
    expect(fromFile).toMatchObject({ name: 'filed', state: 'active' });
    expect(fromFile.tablets).toHaveLength(1);
    const inline = await kdiJson(['tables', 'create', 'inline', '--schema', '{"groups":[{"name":"all","families":"*"}]}']);
    expect(inline.name).toBe('inline');

    const duplicate = await kdi(['tables', 'create', 'web']);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('ALREADY_EXISTS');
    const invalid = await kdi(['tables', 'create', 'bad', '--schema', '{"groups":[]}']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('INVALID_ARGUMENT');
    const badName = await kdi(['tables', 'create', '../etc']);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('table name "../etc" is not valid');
  });

  it('--token or KDI_TOKEN: without the admin token a change is refused (exit 1, saying to pass one)', async () => {
    const refused = await kdi(['tables', 'create', 'guarded'], { KDI_TOKEN: '' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('UNAUTHENTICATED');
    expect(refused.stderr).toContain('--token TOKEN or KDI_TOKEN');
    const withFlag = await kdi(['tables', 'create', 'guarded', '--token', ADMIN_TOKEN], { KDI_TOKEN: '' });
    expect(withFlag.code, withFlag.stderr).toBe(0);
    expect((await kdi(['tables', 'drop', 'guarded', '--yes'])).code).toBe(0);
  });

  it('tables ls: every table, human and --json', async () => {
    const human = await kdi(['tables', 'ls']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^NAME\s+STATE\s+TABLETS\s+SIZE/);
    expect(human.stdout).toMatch(/web\s+active\s+3/);
    const { tables } = await kdiJson<{ tables: { name: string; tablets: number }[] }>(['tables', 'ls']);
    expect(tables.map((t) => t.name).sort()).toEqual(['filed', 'inline', 'web']);
    expect(tables.find((t) => t.name === 'web')?.tablets).toBe(3);
  });

  it('tablets: the ranges in row order, each served by a live server', async () => {
    await waitForTablets(cluster.masterUrl, 'web');
    const human = await kdi(['tablets', 'web']);
    expect(human.code, human.stderr).toBe(0);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^#\s+RANGE\s+STATE\s+SERVER\s+TABLET\s+SIZE/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/).slice(0, 3))).toEqual([
      ['1', '(-inf, "g"]', 'serving'],
      ['2', '("g", "p"]', 'serving'],
      ['3', '("p", +inf)', 'serving'],
    ]);
    const reply = await kdiJson(['tablets', 'web']);
    expect(reply.table).toBe('web');
    expect(reply.tablets.map((t: any) => [t.lowerExclusive, t.upperInclusive, t.state])).toEqual([
      [undefined, 'g', 'serving'],
      ['g', 'p', 'serving'],
      ['p', undefined, 'serving'],
    ]);
    for (const t of reply.tablets) expect(t.location.serverId).toMatch(/^ts-[12]$/);
    const unknown = await kdi(['tablets', 'nope']);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('NOT_FOUND');
  });

  it('put and get: cells in every tablet, read back; a missing cell or table is exit 4', async () => {
    const put = await kdi(['put', 'web', 'apple', 'contents:', 'red fruit', '--timestamp', '5']);
    expect(put.code, put.stderr).toBe(0);
    expect(put.stdout).toMatch(/^put web "apple" "contents:" at timestamp 5 \(txn \d+ on ts-[12]\)/);
    const putJson = await kdiJson(['put', 'web', 'kiwi', 'contents:', 'green', '--timestamp', '6']);
    expect(putJson).toMatchObject({ table: 'web', row: 'kiwi', column: 'contents:', timestamp: 6 });
    expect(putJson.commitTxn).toBeGreaterThan(0);
    expect((await kdi(['put', 'web', 'zucchini', 'contents:', 'tab\there'])).code).toBe(0);
    expect((await kdi(['put', 'web', 'zucchini', 'anchor:x', 'v1', '--timestamp', '1'])).code).toBe(0);
    expect((await kdi(['put', 'web', 'zucchini', 'anchor:x', 'v2', '--timestamp', '2'])).code).toBe(0);

    const row = await kdi(['get', 'web', 'apple']);
    expect(row.code, row.stderr).toBe(0);
    expect(row.stdout.split('\n')[0]).toMatch(/^COLUMN\s+TIMESTAMP\s+TIME\s+VALUE$/);
    expect(row.stdout).toMatch(/contents:\s+5\s+1970-01-01T00:00:00\.000Z\s+red fruit/);
    expect(await kdiJson(['get', 'web', 'kiwi', 'contents:'])).toEqual([{ row: 'kiwi', column: 'contents:', timestamp: 6, value: 'green' }]);
    expect(await kdiJson(['get', 'web', 'zucchini', 'anchor:x'])).toEqual([{ row: 'zucchini', column: 'anchor:x', timestamp: 2, value: 'v2' }]);

    const missing = await kdi(['get', 'web', 'apple', 'nothing:']);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('no cell in web at row "apple" column "nothing:"');
    const missingJson = await kdi(['get', 'web', 'nobody', '--json']);
    expect([missingJson.code, JSON.parse(missingJson.stdout)]).toEqual([4, []]);
    const noTable = await kdi(['get', 'nope', 'apple']);
    expect(noTable.code).toBe(4);
    expect(noTable.stderr).toContain('NOT_FOUND');
  });

  it('scan: every cell in key order across tablets, as tuple, tsv and json, with a predicate and a limit', async () => {
    const tuple = await kdi(['scan', 'web']);
    expect(tuple.code, tuple.stderr).toBe(0);
    const lines = tuple.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('("apple", "contents:", 5, "red fruit")');
    expect(lines[1]).toBe('("kiwi", "contents:", 6, "green")');
    expect(lines.slice(2, 4)).toEqual(['("zucchini", "anchor:x", 2, "v2")', '("zucchini", "anchor:x", 1, "v1")']);
    expect(lines[4]).toMatch(/^\("zucchini", "contents:", \d+, "tab\\there"\)$/);
    expect(lines).toHaveLength(5);

    const tsv = await kdi(['scan', 'web', '--format', 'tsv', '-p', "row ~= 'zu' and history = 1"]);
    expect(tsv.stdout.trimEnd().split('\n')).toEqual(['zucchini\tanchor:x\t2\tv2', expect.stringMatching(/^zucchini\tcontents:\t\d+\ttab\\there$/)]);

    const json = await kdi(['scan', 'web', '--json', '--limit', '2']);
    expect(
      json.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { row: 'apple', column: 'contents:', timestamp: 5, value: 'red fruit' },
      { row: 'kiwi', column: 'contents:', timestamp: 6, value: 'green' },
    ]);
    const bad = await kdi(['scan', 'web', '-p', 'row ~=']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('the predicate is not valid');
  });

  it('erase: one version at --timestamp, or every version of the column; nothing to erase is exit 4', async () => {
    const one = await kdi(['erase', 'web', 'apple', 'contents:', '--timestamp', '5']);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toBe('erased the version of web "apple" "contents:" at 5\n');
    expect((await kdi(['get', 'web', 'apple'])).code).toBe(4);

    const all = await kdiJson(['erase', 'web', 'zucchini', 'anchor:x']);
    expect(all).toEqual({ table: 'web', row: 'zucchini', column: 'anchor:x', erased: [2, 1] });
    expect((await kdi(['get', 'web', 'zucchini', 'anchor:x'])).code).toBe(4);

    const nothing = await kdi(['erase', 'web', 'zucchini', 'anchor:x']);
    expect(nothing.code).toBe(4);
    expect(nothing.stderr).toContain('nothing to erase');
  });

  it('tables schema: prints the schema (the default one too), sets it from a file, prints it back', async () => {
    const current = await kdi(['tables', 'schema', 'web']);
    expect(current.code, current.stderr).toBe(0);
    const printed = JSON.parse(current.stdout);
    expect(printed.groups.length).toBeGreaterThan(0);

    const schema = {
      groups: [
        { name: 'text', families: ['contents', 'anchor'] },
        { name: 'rest', families: '*' },
      ],
    };
    const file = join(scratch, 'web-schema.json');
    await writeFile(file, JSON.stringify(schema));
    const set = await kdi(['tables', 'schema', 'web', file]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('schema of web set (2 locality groups)');
    const back = await kdiJson(['tables', 'schema', 'web']);
    expect(back.name).toBe('web');
    expect(back.schema.groups.map((g: any) => g.name).sort()).toEqual(['rest', 'text']);

    const setJson = await kdiJson(['tables', 'schema', 'inline', '{"groups":[{"name":"g","families":"*"}]}']);
    expect(setJson).toMatchObject({ name: 'inline', schema: { groups: [{ name: 'g' }] } });
    const invalid = await kdi(['tables', 'schema', 'web', '{"groups":[{"name":"a","families":"*"},{"name":"b","families":"*"}]}']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('INVALID_ARGUMENT');
  });

  it('events: what the master did, oldest first, with --limit', async () => {
    const human = await kdi(['events']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^SEQ\s+TIME\s+KIND\s+MESSAGE/);
    expect(human.stdout).toContain('table-created');
    const { events } = await kdiJson<{ events: { seq: number; kind: string }[] }>(['events']);
    expect(events.map((e) => e.kind)).toContain('table-created');
    for (let i = 1; i < events.length; i++) expect(events[i]!.seq).toBeGreaterThan(events[i - 1]!.seq);
    const last = await kdiJson<{ events: { seq: number }[] }>(['events', '--limit', '1']);
    expect(last.events).toHaveLength(1);
    expect(last.events[0]!.seq).toBe(events.at(-1)!.seq);
  });

  it('tables drop: needs --yes without a terminal; drops, human and --json; the table is gone', async () => {
    const unconfirmed = await kdi(['tables', 'drop', 'filed']);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('pass --yes to confirm');

    const dropped = await kdi(['tables', 'drop', 'filed', '--yes']);
    expect(dropped.code, dropped.stderr).toBe(0);
    expect(dropped.stdout).toMatch(/^dropped table filed: 1 tablet unloaded; its files are deleted after \S+/);
    const droppedJson = await kdiJson(['tables', 'drop', 'inline', '--yes']);
    expect(droppedJson).toMatchObject({ name: 'inline', unloadedTablets: 1 });

    const { tables } = await kdiJson<{ tables: { name: string }[] }>(['tables', 'ls']);
    expect(tables.map((t) => t.name)).toEqual(['web']);
    const again = await kdi(['tables', 'drop', 'filed', '--yes']);
    expect(again.code).toBe(4);
  });

  it('usage errors are exit 2 with the help to read; help is exit 0', async () => {
    const help = await kdi(['tables', 'create', '--help']);
    expect([help.code, help.stdout.split('\n')[0]]).toEqual([0, 'Usage: kdi tables create TABLE [--split ROW ...] [--schema FILE|JSON]']);
    const wrong = await kdi(['put', 'web', 'row'], {}, MAIN_TS); // the process's exit status
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toBe('kdi: put needs COLUMN VALUE\nRun `kdi help put` for usage.\n');
  });

  it('a master nobody runs: exit 3, saying to start the cluster', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as { port: number }).port;
    await new Promise((r) => s.close(r));
    const r = await kdi(['tables', 'ls'], { KDI_MASTER: `http://127.0.0.1:${port}` }, MAIN_TS);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`cannot reach the KDI master at http://127.0.0.1:${port}`);
    expect(r.stderr).toContain('Start it with npm start');
  });

  it('bin/kdi.mjs (what npx kdi runs) builds dist/ when needed and runs it', async () => {
    const r = await kdi(['servers', '--json'], {}, [BIN]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).servers).toHaveLength(2);
  });

  it('balance: the plan with the loads seen and the reasons; --dry-run starts nothing', async () => {
    const dry = await kdi(['balance', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^balancer d-\d+ \(manual, dry run: nothing started\)/);
    expect(dry.stdout).toMatch(/^SERVER\s+SIZE\s+REQ\/S\s+TABLETS\s+DRAINING$/m);
    expect(dry.stdout).toMatch(/^ts-1\s+/m);
    expect(dry.stdout).toContain('notes:\n  balanced: bytes skew');
    const { decision } = await kdiJson(['balance', '--dry-run']);
    expect(decision).toMatchObject({ trigger: 'manual', dryRun: true });
    expect(decision.servers.map((x: any) => x.serverId)).toEqual(['ts-1', 'ts-2']);
    // Without the admin token only a dry run is allowed.
    const real = await kdi(['balance'], { KDI_TOKEN: '' });
    expect(real.code).toBe(1);
    expect(real.stderr).toContain('UNAUTHENTICATED');
    const run = await kdi(['balance']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^balancer d-\d+ \(manual\)/);
  });

  it('move: refusals are the master’s errors with their exit status; migrations lists the moves', async () => {
    const { tablets } = await kdiJson<{ tablets: { tabletId: string; location: { serverId: string } }[] }>(['tablets', 'web']);
    const t = tablets[0]!;
    const unknown = await kdi(['move', 'no-such-tablet']);
    expect([unknown.code, unknown.stderr]).toEqual([4, expect.stringContaining('NOT_FOUND: no live server serves a tablet with id no-such-tablet')]);
    const nowhere = await kdi(['move', t.tabletId, '--to', 'ts-9']);
    expect([nowhere.code, nowhere.stderr]).toEqual([4, expect.stringContaining('target server ts-9 is not known')]);
    const same = await kdi(['move', t.tabletId, '--to', t.location.serverId]);
    expect([same.code, same.stderr]).toEqual([1, expect.stringContaining('INVALID_ARGUMENT')]);
    const bad = await kdi(['move', '../x']);
    expect(bad.code).toBe(2);
    const list = await kdi(['migrations']);
    expect(list.code, list.stderr).toBe(0);
    const { migrations } = await kdiJson<{ migrations: unknown[] }>(['migrations']);
    if (migrations.length === 0) expect(list.stdout).toContain('no moves');
    else expect(list.stdout).toMatch(/^MIGRATION\s+TABLET\s+TABLE\s+RANGE\s+FROM\s+TO/);
  });

  it('drain: a server shows as draining until --undo; an unknown server is exit 4', async () => {
    const drained = await kdi(['drain', 'ts-2']);
    expect(drained.code, drained.stderr).toBe(0);
    expect(drained.stdout).toMatch(/^ts-2 is draining: it gets no new tablets/);
    expect((await kdi(['servers'])).stdout).toMatch(/ts-2\s+http:\/\/127\.0\.0\.1:\d+\s+draining/);
    expect(await kdiJson(['drain', 'ts-2', '--undo'])).toMatchObject({ serverId: 'ts-2', draining: false });
    expect((await kdiJson<{ servers: { serverId: string; draining: boolean }[] }>(['servers'])).servers.every((x) => !x.draining)).toBe(true);
    const unknown = await kdi(['drain', 'ts-9']);
    expect([unknown.code, unknown.stderr]).toEqual([4, expect.stringContaining('server ts-9 is not known')]);
    // Moves the drain started (if the servers can move tablets) end before the next test kills a server.
    for (let i = 0; i < 240; i++) {
      const { migrations } = await kdiJson<{ migrations: { state: string }[] }>(['migrations']);
      if (migrations.every((x) => x.state !== 'running')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  it('move: waits with a progress bar on a terminal, plain lines otherwise; --no-wait returns at once; --json', async () => {
    const { tablets } = await kdiJson<{ tablets: { tabletId: string; location: { serverId: string } }[] }>(['tablets', 'web']);
    const t = tablets[1]!;
    const to = t.location.serverId === 'ts-1' ? 'ts-2' : 'ts-1';
    const bars: string[] = [];
    const tty = await kdi(['move', t.tabletId, '--to', to], {}, undefined, (line) => bars.push(line));
    expect(tty.code, tty.stderr).toBe(0);
    expect(tty.stdout).toMatch(new RegExp(`^moving tablet ${t.tabletId} .* from ${t.location.serverId} to ${to}: mig-`));
    expect(tty.stdout).toMatch(new RegExp(`mig-\\S+ committed: tablet ${t.tabletId} .* is served by ${to}`));
    expect(bars.at(-1)).toBe(''); // the status line is cleared at the end
    for (const b of bars.slice(0, -1)) expect(b).toMatch(/^\[[#.]{30}\] +\d+% /);

    const { tablets: now } = await kdiJson<{ tablets: { tabletId: string; location: { serverId: string } }[] }>(['tablets', 'web']);
    const back = now[1]!;
    const plain = await kdi(['move', back.tabletId, '--to', t.location.serverId]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).not.toContain('[#');
    expect(plain.stdout).toContain('committed');

    const started = await kdiJson(['move', now[0]!.tabletId, '--no-wait']);
    expect(started.migration.state).toBe('running');
    const all = await kdiJson<{ migrations: { migrationId: string }[] }>(['migrations']);
    expect(all.migrations[0]!.migrationId).toBe(started.migration.migrationId);
    const human = await kdi(['migrations']);
    expect(human.stdout).toMatch(/committed/);
    expect((await kdi(['get', 'web', 'kiwi'])).code).toBe(0);
  });

  it("tablets: a dead server's tablets whose data is gone show as unavailable, with the reason", async () => {
    // A table of its own, with no schema change (a tablet of web, whose schema was changed above, is another story).
    expect((await kdi(['tables', 'create', 'moved', '--split', 'd', '--split', 'h', '--split', 'm', '--split', 'r'])).code).toBe(0);
    await waitForTablets(cluster.masterUrl, 'moved');
    const meta = (await (await fetch(`${cluster.masterUrl}/v1/meta/location`)).json()) as { location: { serverId: string } };
    const { tablets } = await kdiJson<{ tablets: { location?: { serverId: string } }[] }>(['tablets', 'moved']);
    const victimId = tablets.map((t) => t.location?.serverId).find((id) => id !== undefined && id !== meta.location.serverId);
    expect(victimId, 'a server holding a tablet of moved but not META').toBeDefined();
    const victim = cluster.servers.find((s) => s.listening['serverId'] === victimId)!;
    // A write in every tablet, so the victim's log holds data its tablets need.
    for (const row of ['b', 'f', 'k', 'p', 'x']) expect((await kdi(['put', 'moved', row, 'contents:', 'in the log'])).code).toBe(0);
    await victim.kill();
    await rename(cluster.dataDir(victimId!), `${cluster.dataDir(victimId!)}-away`);

    const kdiClient = new KdiClient({ master: cluster.masterUrl, timeoutMs: 10_000 });
    try {
      for (let i = 0; i < 300; i++) {
        if ((await kdiClient.admin.tablets('moved')).tablets.some((t) => t.state === 'unavailable')) break;
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      await kdiClient.close();
    }
    const human = await kdi(['tablets', 'moved']);
    expect(human.code, human.stderr).toBe(0);
    const line = human.stdout.split('\n').find((l) => l.includes('unavailable'));
    expect(line, human.stdout).toBeDefined();
    expect(line).toContain(cluster.dataDir(victimId!));
    expect(line).toMatch(/^\d+\s+\S+.*\s+unavailable\s+/);
    const reply = await kdiJson<{ tablets: { state: string; reason?: string }[] }>(['tablets', 'moved']);
    const unavailable = reply.tablets.filter((t) => t.state === 'unavailable');
    expect(unavailable.length).toBeGreaterThan(0);
    for (const t of unavailable) expect(t.reason).toContain(cluster.dataDir(victimId!));
    const events = await kdi(['events', '--limit', '1000']);
    expect(events.stdout).toContain('tablet-unavailable');
  });
});
