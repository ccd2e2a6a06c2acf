// `npm start` as a person uses it: the launcher as a real process in a
// temporary data directory, on ports of its own (so a cluster already on
// :7000 is never disturbed). It starts and prints the URLs; the cluster
// serves a write and a read through the master; Ctrl-C stops every server
// (their PIDs are gone); a second start serves the data written before; a
// port already taken, an unusable data directory and a data directory in
// use are refused with a message naming them, exit 2, nothing left running;
// a server that dies is reported and the rest are stopped.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type KdiClient } from '@kdi/client-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, freePortRange, isAlive, processesUsing, repoRoot, runLauncher, type LauncherProcess } from './launcher-process.js';

const hasMaster = existsSync(join(repoRoot, 'apps/master/src/main.ts'));
const hasGateway = existsSync(join(repoRoot, 'apps/master/src/gateway'));
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const scratch = mkdtempSync(join(tmpdir(), 'kdi-standalone-test-'));
const running: LauncherProcess[] = [];

function launch(args: readonly string[], env?: Record<string, string>): LauncherProcess {
  const l = runLauncher(args, env === undefined ? {} : { env });
  running.push(l);
  return l;
}

async function json(url: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: init?.method ?? 'GET',
    ...(init?.body !== undefined && { body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  // Builds once here, so the tests below time their starts on a built tree.
  const build = launch(['--build-only']);
  const { code } = await build.exited;
  expect(code, build.stdout() + build.stderr()).toBe(0);
}, 300_000);

afterAll(async () => {
  for (const l of running) await l.interrupt();
  rmSync(scratch, { recursive: true, force: true });
});

describe('the command line', () => {
  it('--help explains the options and exits 0', async () => {
    const l = launch(['--help']);
    expect((await l.exited).code).toBe(0);
    for (const flag of ['--data', '--servers', '--port', '--lock-port', '--ts-port']) expect(l.stdout()).toContain(flag);
  });

  it('an unknown flag or a bad number is exit 2 with the flag named', async () => {
    const a = launch(['--bogus']);
    expect((await a.exited).code).toBe(2);
    expect(a.stderr()).toContain('--bogus');
    const b = launch(['--servers', 'three']);
    expect((await b.exited).code).toBe(2);
    expect(b.stderr()).toContain('--servers "three"');
  });
});

describe('lifecycle (lock server and tablet servers)', () => {
  const args = (data: string) => ['--data', data, ...(hasMaster ? [] : ['--no-master']), '--port', '0', '--lock-port', '0', '--ts-port', '0', '--servers', '2', '--no-build'];

  it('starts, prints every URL with its PID, and Ctrl-C stops every server', async () => {
    const data = join(scratch, 'lifecycle');
    const l = launch(args(data));
    const servers = await l.ready();
    expect([...servers.keys()]).toEqual(expect.arrayContaining(['lock server', 'tablet server ts-1', 'tablet server ts-2']));
    const pids = [...servers.values()].flatMap((s) => (s.pid === undefined ? [] : [s.pid]));
    expect(pids.length).toBe(hasMaster ? 4 : 3);
    for (const pid of pids) expect(isAlive(pid)).toBe(true);
    const health = await json(`${servers.get('lock server')!.url}/healthz`);
    expect(health.status).toBe(200);
    expect(statSync(join(data, 'secrets.json')).mode & 0o777).toBe(0o600);
    const secrets = JSON.parse(readFileSync(join(data, 'secrets.json'), 'utf8'));
    for (const secret of [secrets.clusterSecret, secrets.lockSecret]) expect(l.stdout() + l.stderr()).not.toContain(secret);

    const { code } = await l.interrupt();
    expect(code).toBe(0);
    expect(l.stdout()).toMatch(/stopped\n$/);
    for (const pid of pids) expect(isAlive(pid), `PID ${pid} still runs`).toBe(false);
    expect(processesUsing(data)).toEqual([]);
    expect(existsSync(join(data, 'standalone.pid'))).toBe(false);
    for (const f of ['lockserver.log', 'ts-1.log', 'ts-2.log']) expect(existsSync(join(data, 'logs', f))).toBe(true);
  });

  it('passes KDI_TS_* and KDI_MASTER_* settings of its environment to those servers (a bad one is reported, naming it), but not over its own', async () => {
    const ts = launch(args(join(scratch, 'environment-ts')), { KDI_TS_SPLIT_THRESHOLD_BYTES: 'lots', KDI_TS_CLUSTER_SECRET: 'short' });
    expect((await ts.exited).code).not.toBe(0);
    expect(ts.stderr()).toContain('KDI_TS_SPLIT_THRESHOLD_BYTES');
    expect(ts.stderr()).not.toContain('KDI_TS_CLUSTER_SECRET'); // the launcher's own secret was used
    if (hasMaster) {
      const master = launch(args(join(scratch, 'environment-master')), { KDI_MASTER_NO_SUCH_SETTING: '1' });
      expect((await master.exited).code).not.toBe(0);
      expect(master.stderr()).toContain('KDI_MASTER_NO_SUCH_SETTING');
    }
    expect(processesUsing(join(scratch, 'environment-ts'))).toEqual([]);
  });

  it('a tablet server that dies is reported with its log, and the rest are stopped (exit 1)', async () => {
    const data = join(scratch, 'dies');
    const l = launch(args(data));
    const servers = await l.ready();
    const victim = servers.get('tablet server ts-2')!.pid!;
    process.kill(victim, 'SIGKILL');
    const { code } = await l.exited;
    expect(code).toBe(1);
    expect(l.stderr()).toContain(`ts-2 (PID ${victim}) exited unexpectedly with SIGKILL`);
    expect(l.stderr()).toContain(join(data, 'logs', 'ts-2.log'));
    expect(processesUsing(data)).toEqual([]);
  });

  it('a tablet server that lost its lease (exit 3, e.g. the machine slept) is started again, as a supervisor would', async () => {
    const data = join(scratch, 'lease-lost');
    const l = launch(args(data));
    const servers = await l.ready();
    const sleeper = servers.get('tablet server ts-2')!.pid!;
    // Past its 10 s lease: once continued it finds the lease gone and exits 3.
    process.kill(sleeper, 'SIGSTOP');
    await new Promise((r) => setTimeout(r, 13_000));
    process.kill(sleeper, 'SIGCONT');
    const deadline = Date.now() + 60_000;
    while (!(l.stdout() + l.stderr()).includes('ts-2 lost its lock-service lease (exit 3); starting it again') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(l.stdout() + l.stderr()).toContain('ts-2 lost its lock-service lease (exit 3); starting it again');
    expect(isAlive(sleeper)).toBe(false);
    expect(l.child.exitCode).toBe(null);
    // The new ts-2 runs on the same data directory.
    while (processesUsing(join(data, 'ts-2')).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(processesUsing(join(data, 'ts-2')).length).toBeGreaterThan(0);
    const { code } = await l.interrupt();
    expect(code).toBe(0);
    expect(processesUsing(data)).toEqual([]);
  });

  it('a second Ctrl-C kills every server at once (exit 130); the first one alone waits for them', async () => {
    const data = join(scratch, 'second-ctrl-c');
    const l = launch(args(data));
    const servers = await l.ready();
    const pids = [...servers.values()].flatMap((s) => (s.pid === undefined ? [] : [s.pid]));
    const stuck = servers.get('tablet server ts-1')!.pid!;
    process.kill(stuck, 'SIGSTOP'); // its graceful stop now never ends
    l.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(isAlive(stuck)).toBe(true);
    expect(l.child.exitCode).toBe(null);
    const { code } = await l.interrupt();
    expect(code).toBe(130);
    expect(l.stderr()).toContain('SIGINT again: killing every server now');
    for (const pid of pids) expect(isAlive(pid), `PID ${pid} still runs`).toBe(false);
    expect(processesUsing(data)).toEqual([]);
  });

  it('servers whose launcher was killed (SIGKILL) stop themselves', async () => {
    const data = join(scratch, 'orphans');
    const l = launch(args(data));
    const servers = await l.ready();
    const pids = [...servers.values()].flatMap((s) => (s.pid === undefined ? [] : [s.pid]));
    l.child.kill('SIGKILL');
    await l.exited;
    const deadline = Date.now() + 60_000;
    while (pids.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    for (const pid of pids) expect(isAlive(pid), `PID ${pid} still runs`).toBe(false);
  });

  it('a data directory in use by a running launcher is refused', async () => {
    const data = join(scratch, 'in-use');
    const first = launch(args(data));
    await first.ready();
    const second = launch(args(data));
    expect((await second.exited).code).toBe(2);
    expect(second.stderr()).toContain(`data directory in use: ${data} belongs to a running KDI launcher (PID ${first.child.pid})`);
    expect((await first.interrupt()).code).toBe(0);
    expect(processesUsing(data)).toEqual([]);
  });
});

describe('refusals: nothing starts, exit 2, the culprit named', () => {
  let holder: Server;
  let takenPort: number;
  beforeAll(async () => {
    takenPort = await freePort();
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(takenPort, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

  const portCases: [string, string][] = [
    ['--lock-port', 'the lock server'],
    ['--ts-port', 'tablet server ts-1'],
    ...(hasMaster ? [['--port', 'the master'] as [string, string]] : []),
  ];
  it.each(portCases)('a taken %s port', async (flag, what) => {
    const data = join(scratch, `port${flag}`);
    const base = ['--data', data, ...(hasMaster ? [] : ['--no-master']), '--port', '0', '--lock-port', '0', '--ts-port', '0', '--no-build'];
    const i = base.indexOf(flag);
    const l = launch(i >= 0 ? [...base.slice(0, i + 1), String(takenPort), ...base.slice(i + 2)] : [...base, flag, String(takenPort)]);
    expect((await l.exited).code).toBe(2);
    expect(l.stderr()).toContain(`port ${takenPort} on 127.0.0.1 (${what}) is already in use`);
    expect(l.stderr()).toContain(flag);
    expect(processesUsing(data)).toEqual([]);
  });

  it('a data directory that is a file', async () => {
    const file = join(scratch, 'a-file');
    writeFileSync(file, 'not a directory');
    const l = launch(['--data', file, '--no-master', '--no-build']);
    expect((await l.exited).code).toBe(2);
    expect(l.stderr()).toContain(`data directory unusable: ${file} (the data directory) is a file, not a directory`);
  });

  it('a data directory under a file, or whose tablet server directory is a file', async () => {
    const under = join(scratch, 'a-file-2', 'data');
    writeFileSync(join(scratch, 'a-file-2'), '');
    const a = launch(['--data', under, '--no-master', '--no-build']);
    expect((await a.exited).code).toBe(2);
    expect(a.stderr()).toContain(`data directory unusable: ${under} (the data directory)`);

    const data = join(scratch, 'disk-is-file');
    mkdirSync(join(data, 'ts-1'), { recursive: true });
    writeFileSync(join(data, 'ts-1', 'disk-2'), '');
    const b = launch(['--data', data, '--no-master', '--no-build']);
    expect((await b.exited).code).toBe(2);
    expect(b.stderr()).toContain(`data directory unusable: ${join(data, 'ts-1', 'disk-2')} (ts-1 disk 2) is a file, not a directory`);
    expect(processesUsing(data)).toEqual([]);
  });
});

describe.runIf(hasMaster)('the cluster through the master', () => {
  it('serves a write and a read, and after Ctrl-C and a second start serves them again', async () => {
    const data = join(scratch, 'cells');
    const port = await freePort();
    // Fixed tablet server ports, as npm start uses by default (the README test restarts on new ones).
    const tsPort = await freePortRange(3);
    const args = ['--data', data, '--port', String(port), '--lock-port', '0', '--ts-port', String(tsPort), '--no-build'];
    const first = launch(args);
    const servers = await first.ready();
    const master = servers.get('master')!.url;
    expect(master).toBe(`http://127.0.0.1:${port}`);
    expect(servers.get('OpenAPI docs')!.url).toBe(`${master}/docs`);
    // The master's web page, served from its built tree (dist/web: the build copies the page's files).
    expect(servers.get('web page')!.url).toBe(`${master}/`);
    const page = await fetch(`${master}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/web/dashboard.js');
    expect((await fetch(`${master}/web/render-tables.js`)).status).toBe(200);

    const created = await json(`${master}/v1/tables`, { method: 'POST', body: { name: 'webtable', splits: ['m'] } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const cells = [
      { row: 'com.cnn.www', column: 'contents:', timestamp: 1, value: '<html>cnn</html>' },
      { row: 'org.kdi', column: 'contents:', timestamp: 2, value: 'kdi' },
    ];
    const readBack = async (kdi: KdiClient) => {
      const got: (typeof cells)[number][] = [];
      for await (const c of kdi.table('webtable').scan()) got.push({ row: text(c.row), column: text(c.column), timestamp: c.timestamp, value: text(c.value!) });
      return got;
    };
    const kdi = await connect({ servers: [servers.get('tablet server ts-1')!.url], timeoutMs: 60_000 });
    await kdi.table('webtable').apply(cells);
    expect(await readBack(kdi)).toEqual(cells);
    await kdi.close();
    if (hasGateway) expect((await json(`${master}/v1/tables/webtable/scan`, { method: 'POST', body: {} })).body.cells).toEqual(cells);
    expect((await first.interrupt()).code, `${first.stdout()}\n${first.stderr()}`).toBe(0);
    expect(processesUsing(data)).toEqual([]);

    const second = launch(args);
    const again = await second.ready();
    const kdi2 = await connect({ servers: [again.get('tablet server ts-2')!.url], timeoutMs: 60_000 });
    expect(await readBack(kdi2)).toEqual(cells);
    await kdi2.close();
    expect((await second.interrupt()).code).toBe(0);
    expect(processesUsing(data)).toEqual([]);
  });
});
