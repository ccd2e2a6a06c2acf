// The disk commands (issue 11, docs/disks.md) against a running cluster —
// an embedded lock server, the master and one tablet server with two data
// directories (as the standalone launcher gives it), each a real process:
// kdi disk-capacity, disk-replica, disk-migrate (waiting with a progress
// bar on a terminal, plain lines otherwise, --no-wait) and disk-balance,
// human and --json, with their exit statuses (0 ok, 1 the cluster's error,
// 2 usage, 4 not found) and --help. Commands run through run() in this
// process, as in cli.e2e.test.ts.

import { readFile } from 'node:fs/promises';
import { KdiClient } from '@kdi/client-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, CLUSTER_SECRET, startCluster, waitForTablets, type TestCluster } from './cluster.js';
import type { CliIo } from '../src/io.js';
import { run } from '../src/run.js';

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let cluster: TestCluster;
let serverUrl: string;
let tablet: string;

async function kdi(args: readonly string[], status?: (line: string) => void): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    out: async (text) => void (stdout += text),
    err: (text) => void (stderr += text),
    readFile: (path) => readFile(path, 'utf8'),
    confirm: undefined,
    nowMicros: () => Date.now() * 1000,
    status,
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))),
  };
  const code = await run(args, { KDI_MASTER: cluster.masterUrl, KDI_TOKEN: ADMIN_TOKEN }, io);
  return { code, stdout, stderr };
}

async function kdiJson<T = any>(args: readonly string[]): Promise<T> {
  const r = await kdi([...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

/** The index of the disk `tablet`'s new fragments go to. */
async function homeDisk(): Promise<number> {
  const r = await kdiJson<{ disks: { index: number; tablets: { tablet: string; home: boolean }[] }[] }>(['disk-replica', '-n', 'ts-1']);
  return r.disks.find((d) => d.tablets.some((t) => t.tablet === tablet && t.home))!.index;
}

async function serialize(): Promise<void> {
  const r = await fetch(`${serverUrl}/v1/admin/serialize`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CLUSTER_SECRET}`, 'content-type': 'application/json' },
    body: '{}',
  });
  expect(r.status).toBe(200);
}

beforeAll(async () => {
  cluster = await startCluster(1, { twoDisks: true });
  const kdiClient = new KdiClient({ master: cluster.masterUrl, token: ADMIN_TOKEN });
  try {
    serverUrl = (await kdiClient.admin.servers()).find((s) => s.serverId === 'ts-1')!.url.replace(/\/+$/, '');
    await kdiClient.admin.createTable('disky');
  } finally {
    await kdiClient.close();
  }
  await waitForTablets(cluster.masterUrl, 'disky');
  for (let i = 0; i < 20; i++) expect((await kdi(['put', 'disky', `row-${i}`, 'f:q', 'v'.repeat(200)])).code).toBe(0);
  await serialize();
  tablet = (await kdiJson<{ tablets: { tabletId: string }[] }>(['tablets', 'disky'])).tablets[0]!.tabletId;
}, 300_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('kdi disk commands', { timeout: 300_000 }, () => {
  it('disk-capacity: both disks with their figures, human and --json; -d picks one', async () => {
    const human = await kdi(['disk-capacity', '-n', 'ts-1']);
    expect(human.code, human.stderr).toBe(0);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('server ts-1: 2 disk(s)');
    expect(lines[1]).toMatch(/^DISK\s+PATH\s+CAPACITY\s+USED\s+FREE\s+KDI\s+USAGE\s+STATE\s+TABLETS\s+HOME$/);
    expect(lines[2]).toMatch(new RegExp(`^ *0\\s+${cluster.dataDir('ts-1')}\\s+\\S+ [KMGT]?i?B\\s+.*\\d+\\.\\d%\\s+ok\\s+\\d+\\s+\\d+$`));
    expect(lines[3]).toMatch(new RegExp(`^ *1\\s+${cluster.dataDir('ts-1')}-disk1\\s+.*\\s+ok\\s+\\d+\\s+\\d+$`));
    expect(lines).toHaveLength(4);

    const json = await kdiJson(['disk-capacity', '-n', 'ts-1']);
    expect(json.serverId).toBe('ts-1');
    expect(json.disks.map((d: { index: number; state: string }) => [d.index, d.state])).toEqual([
      [0, 'ok'],
      [1, 'ok'],
    ]);
    expect(json.disks.reduce((n: number, d: { home: number }) => n + d.home, 0)).toBeGreaterThanOrEqual(2); // META and disky

    const one = await kdiJson(['disk-capacity', '--node', 'ts-1', '--disk', `${cluster.dataDir('ts-1')}-disk1`]);
    expect(one.disks.map((d: { index: number }) => d.index)).toEqual([1]);
  });

  it('disk-replica: the tablets on each disk with their bytes, human and --json', async () => {
    const home = await homeDisk();
    const human = await kdi(['disk-replica', '-n', 'ts-1']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout.split('\n')[0]).toBe('server ts-1: tablets per disk (HOME: its new fragments go there)');
    expect(human.stdout).toMatch(new RegExp(`^disk ${home} \\S+: \\d+ tablet\\(s\\), \\S+`, 'm'));
    expect(human.stdout).toMatch(/^ {2}TABLET\s+TABLE\s+BYTES\s+HOME$/m);
    expect(human.stdout).toMatch(new RegExp(`^ {2}${tablet}\\s+disky\\s+\\d+(\\.\\d+)? (B|KiB)\\s+yes$`, 'm'));

    const json = await kdiJson(['disk-replica', '-n', 'ts-1', '-d', String(home)]);
    expect(json.disks).toHaveLength(1);
    const t = json.disks[0].tablets.find((x: { tablet: string }) => x.tablet === tablet);
    expect(t).toMatchObject({ table: 'disky', home: true });
    expect(t.bytes).toBeGreaterThan(100);
  });

  it('disk-migrate: waits with a progress bar on a terminal, plain lines otherwise; --no-wait; --json', async () => {
    const home = await homeDisk();
    const other = 1 - home;
    const bars: string[] = [];
    const tty = await kdi(['disk-migrate', '-n', 'ts-1', '-g', tablet, '-f', String(home), '-t', String(other)], (line) => bars.push(line));
    expect(tty.code, tty.stderr).toBe(0);
    expect(tty.stdout).toMatch(new RegExp(`^disk-migrate ${tablet} \\(table disky\\) on ts-1: \\S+ → \\S+ started \\(MOVING\\)\\n`));
    expect(tty.stdout).toMatch(new RegExp(`${tablet} moved from \\S+ to \\S+: COMPLETED, \\d+ file\\(s\\), \\S+ \\S+ in \\d+\\.\\d s`));
    expect(bars.at(-1)).toBe('');
    for (const b of bars.slice(0, -1)) expect(b).toMatch(/^\[[#.]{30}\] +\d+% (IDLE|MOVING|MOVED|CLOSED|COMPLETED) /);
    expect(await homeDisk()).toBe(other);

    // Back again, no terminal: plain lines, no bar.
    await serialize();
    const plain = await kdi(['disk-migrate', '-n', 'ts-1', '-g', tablet, '-f', String(other), '-t', String(home)]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).not.toContain('[#');
    expect(plain.stdout).toContain('COMPLETED');

    const json = await kdiJson(['disk-migrate', '-n', 'ts-1', '-g', tablet, '-f', String(home), '-t', String(other)]);
    expect(json).toMatchObject({ serverId: 'ts-1', migration: { tablet, table: 'disky', state: 'COMPLETED' } });
    expect(json.migration.bytesCopied).toBe(json.migration.bytes);

    const started = await kdiJson(['disk-migrate', '-n', 'ts-1', '-g', tablet, '-f', String(other), '-t', String(home), '--no-wait']);
    expect(started.migration.state).toBe('MOVING');
    expect(started.migration.endedAtMs).toBeUndefined();
    const noWaitHuman = await kdi(['disk-migrate', '-n', 'ts-1', '-g', tablet, '-f', '0', '-t', '0', '--no-wait']);
    expect(noWaitHuman.code).toBe(1);
    // The data is all there after four moves.
    const scan = await kdi(['scan', 'disky', '--format', 'tsv']);
    expect(scan.stdout.trimEnd().split('\n')).toHaveLength(20);
  });

  it('disk-migrate: the cluster’s refusals are exit 1 (4 for an unknown tablet or server), naming the problem', async () => {
    const same = await kdi(['disk-migrate', '-n', 'ts-1', '-g', tablet, '-f', '0', '-t', '0']);
    expect(same.code).toBe(1);
    expect(same.stderr).toMatch(/^kdi: INVALID_ARGUMENT: server ts-1: .*same disk/);
    const unknownDisk = await kdi(['disk-migrate', '-n', 'ts-1', '-g', tablet, '-f', '0', '-t', '9']);
    expect(unknownDisk.code).toBe(1);
    expect(unknownDisk.stderr).toMatch(/"9" is not a disk of server ts-1/);
    const noTablet = await kdi(['disk-migrate', '-n', 'ts-1', '-g', 'no-such-tablet', '-f', '0', '-t', '1']);
    expect(noTablet.code).toBe(4);
    expect(noTablet.stderr).toContain('no-such-tablet');
    const noServer = await kdi(['disk-capacity', '-n', 'ts-9']);
    expect(noServer.code).toBe(4);
    expect(noServer.stderr).toMatch(/NOT_FOUND: server ts-9 is not known/);
    const badDisk = await kdi(['disk-replica', '-n', 'ts-1', '-d', '7']);
    expect(badDisk.code).toBe(1);
  });

  it('disk-balance: the plan and why, human and --json; --dry-run starts nothing', async () => {
    const human = await kdi(['disk-balance', '-n', 'ts-1', '--dry-run']);
    expect(human.code, human.stderr).toBe(0);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^disk balance of ts-1 \(dry run\): mean usage \d+\.\d%, skew \d+\.\d% → \d+\.\d%, 0 move\(s\) planned/);
    expect(lines[1]).toBe('thresholds: usage floor 50.0%, skew 10.0%, tablets of at least 64 MiB, high-water mark 90.0%');
    expect(lines[3]).toMatch(/^DISK\s+CAPACITY\s+USED\s+USAGE\s+TABLETS$/);
    expect(human.stdout).toContain('nothing to do');
    expect(human.stdout).toMatch(/^note: balanced: /m);

    const json = await kdiJson(['disk-balance', '-n', 'ts-1']);
    expect(json).toMatchObject({ serverId: 'ts-1', dryRun: false, plan: { moves: [], balanced: true } });
    expect(json.disks).toHaveLength(2);
    expect(json.started).toBeUndefined();
  });

  it('usage errors are exit 2 naming what is missing; --help shows each command', async () => {
    const noNode = await kdi(['disk-capacity']);
    expect(noNode.code).toBe(2);
    expect(noNode.stderr).toContain('disk-capacity needs -n/--node NODE');
    expect(noNode.stderr).toContain('kdi help disk-capacity');
    const noTo = await kdi(['disk-migrate', '-n', 'ts-1', '-g', tablet, '-f', '0']);
    expect(noTo.code).toBe(2);
    expect(noTo.stderr).toContain('disk-migrate needs -t/--to DISK2');
    const relative = await kdi(['disk-replica', '-n', 'ts-1', '-d', 'data/d1']);
    expect(relative.code).toBe(2);
    expect(relative.stderr).toMatch(/-d\/--disk "data\/d1" is not a disk/);
    const unknownOption = await kdi(['disk-balance', '-n', 'ts-1', '--force']);
    expect(unknownOption.code).toBe(2);

    const usage = {
      'disk-capacity': 'Usage: kdi disk-capacity -n NODE [--disk DISK]',
      'disk-replica': 'Usage: kdi disk-replica -n NODE [--disk DISK]',
      'disk-migrate': 'Usage: kdi disk-migrate -n NODE -g TABLET -f DISK1 -t DISK2 [--no-wait]',
      'disk-balance': 'Usage: kdi disk-balance -n NODE [--dry-run]',
    };
    for (const [command, line] of Object.entries(usage)) {
      const help = await kdi([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout.split('\n')[0]).toBe(line);
      expect(help.stdout).toContain('Examples:');
    }
    const root = await kdi(['help']);
    for (const command of Object.keys(usage)) expect(root.stdout).toContain(`  ${command}`);
  });
});
