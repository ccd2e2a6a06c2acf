// The README's quick start, run literally in a temporary copy of the
// repository: `npm start`, every shell block marked
// `<!-- readme-test: NAME -->` (curl, then the CLI), the SDK example as
// the file it says, Ctrl-C, `npm start` again, the after-restart block.
//
// Two liberties, both so a cluster already on :7000 is not disturbed: the
// cluster runs with `-- --port P --lock-port 0 --ts-port 0`, and the curl
// and SDK blocks get http://127.0.0.1:P for http://127.0.0.1:7000 (the CLI
// blocks run unchanged with KDI_MASTER set, as the README says they may).
// Installing: node_modules is the working tree's, hard-linked (`cp -al`, so
// no `npm ci` and no network), with the workspace links the copy needs.
// Building: the working tree's dist/ folders are copied after the sources
// (so they are newer and count as up to date) — the first start after
// `npm ci`, which builds everything, is launcher.test.ts's `--build-only`
// on CI's clean clone; building a second time here would add about two
// minutes to every CI run and test nothing new.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, processesUsing, repoRoot } from './launcher-process.js';

const hasMaster = existsSync(join(repoRoot, 'apps/master/src/main.ts'));
const hasGateway = existsSync(join(repoRoot, 'apps/master/src/gateway'));
const hasCli = existsSync(join(repoRoot, 'tools/cli/bin/kdi.mjs'));

interface Block {
  readonly name: string;
  readonly file: string | undefined;
  readonly lang: string;
  readonly text: string;
}

/** The fenced blocks the README marks with `<!-- readme-test: NAME [FILE] -->`. */
function markedBlocks(readme: string): Block[] {
  return [...readme.matchAll(/<!-- readme-test: (\S+)(?: (\S+))? -->\s*\n```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ name: m[1]!, file: m[2], lang: m[3]!, text: m[4]! }));
}

/** A copy of the working tree (tracked and untracked-but-not-ignored files) with node_modules hard-linked. */
function copyRepository(to: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f !== '');
  for (const f of files) {
    const from = join(repoRoot, f);
    if (!existsSync(from)) continue; // deleted in the working tree
    mkdirSync(dirname(join(to, f)), { recursive: true });
    cpSync(from, join(to, f), { verbatimSymlinks: true });
  }
  for (const group of ['libs', 'apps', 'tools']) {
    for (const dir of readdirSync(join(repoRoot, group))) {
      const dist = join(repoRoot, group, dir, 'dist');
      if (existsSync(dist)) cpSync(dist, join(to, group, dir, 'dist'), { recursive: true, verbatimSymlinks: true });
    }
  }
  execFileSync('cp', ['-al', join(repoRoot, 'node_modules'), join(to, 'node_modules')]);
  // What `npm ci` would link for the copy's workspace packages (new ones may be missing from the tree's install).
  for (const group of ['libs', 'apps', 'tools']) {
    for (const dir of execFileSync('ls', [join(to, group)], { encoding: 'utf8' })
      .split('\n')
      .filter((d) => d !== '')) {
      const pjFile = join(to, group, dir, 'package.json');
      if (!existsSync(pjFile)) continue;
      const pj = JSON.parse(readFileSync(pjFile, 'utf8')) as { name: string; bin?: Record<string, string> };
      const link = join(to, 'node_modules', pj.name);
      if (!existsSync(link)) symlinkSync(relative(dirname(link), join(to, group, dir)), link);
      for (const [name, script] of Object.entries(pj.bin ?? {})) {
        const bin = join(to, 'node_modules', '.bin', name);
        let present = false;
        try {
          readlinkSync(bin);
          present = true;
        } catch {
          // not linked
        }
        if (!present) symlinkSync(relative(dirname(bin), join(to, group, dir, script)), bin);
      }
    }
  }
}

interface Started {
  /** Ctrl-C; resolves with everything npm and the launcher printed (npm itself ends by the signal). */
  readonly stop: () => Promise<string>;
  readonly readyLine: string;
}

/** `npm start -- ARGS` in `cwd`, resolved once it printed 'ready'. */
async function npmStart(cwd: string, args: readonly string[], timeoutMs: number): Promise<Started> {
  // Its own process group, like a terminal's foreground job: Ctrl-C there signals the whole group (npm, its shell, the launcher).
  const child = spawn('npm', ['start', '--', ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const ctrlC = () => process.kill(-child.pid!, 'SIGINT');
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // npm may end before the launcher (its shell goes with the Ctrl-C); the pipes close when the launcher is gone too.
  const drained = Promise.all([new Promise((r) => child.stdout.once('close', r)), new Promise((r) => child.stderr.once('close', r))]);
  const deadline = Date.now() + timeoutMs;
  while (!/^ready in .*$/m.test(out)) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) {
      ctrlC();
      await exited;
      throw new Error(`npm start was not ready in ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const started: Started = {
    readyLine: /^ready in .*$/m.exec(out)![0],
    async stop() {
      running.delete(started);
      if (child.exitCode === null && child.signalCode === null) ctrlC();
      await Promise.all([exited, drained]);
      return out;
    },
  };
  running.add(started);
  return started;
}

/** Waits until no process runs with `data` in its environment (npm may exit before the launcher finished stopping the servers). */
async function noneLeft(data: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (processesUsing(data).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  expect(processesUsing(data)).toEqual([]);
}

function runBlock(cwd: string, block: Block, master: string): string {
  const script = block.text.replaceAll('http://127.0.0.1:7000', master);
  const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', script], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', KDI_MASTER: master },
    encoding: 'utf8',
    timeout: 180_000,
  });
  const output = `${r.stdout}${r.stderr}`;
  expect(r.status, `block ${block.name} failed:\n${script}\n${output}`).toBe(0);
  return output;
}

const scratch = mkdtempSync(join(tmpdir(), 'kdi-readme-test-'));
const running = new Set<Started>();
afterAll(async () => {
  for (const r of running) await r.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('the README', () => {
  const blocks = markedBlocks(readFileSync(join(repoRoot, 'README.md'), 'utf8'));

  it('marks the curl, CLI, SDK and after-restart examples for this test', () => {
    expect(blocks.map((b) => b.name)).toEqual(['curl', 'cli', 'sdk', 'after-restart']);
  });

  it.runIf(hasMaster && hasGateway && hasCli)(
    'quick start, literally, in a copy of the repository: npm start, curl, CLI, SDK, Ctrl-C, npm start, data still there',
    async () => {
      const copy = join(scratch, 'repo');
      copyRepository(copy);
      const port = await freePort();
      const master = `http://127.0.0.1:${port}`;
      const args = ['--port', String(port), '--lock-port', '0', '--ts-port', '0'];
      const block = (name: string) => blocks.find((b) => b.name === name)!;

      const first = await npmStart(copy, args, 480_000);
      console.log(`first start in the copy (built by the working tree's launcher test): ${first.readyLine}`);
      const curl = runBlock(copy, block('curl'), master);
      expect(curl).not.toContain('"error"');
      expect(curl).toContain('<html>cnn</html>');
      expect(curl).toContain('"CNN"');
      const cli = runBlock(copy, block('cli'), master);
      expect(cli).toContain('webtable');
      expect(cli).toContain('CNN.com');
      const sdk = block('sdk');
      writeFileSync(join(copy, sdk.file!), sdk.text.replaceAll('http://127.0.0.1:7000', master));
      const ran = spawnSync(process.execPath, [sdk.file!], { cwd: copy, encoding: 'utf8', timeout: 120_000 });
      expect(ran.status, ran.stdout + ran.stderr).toBe(0);
      expect(ran.stdout).toContain('org.kdi.www contents: <html>kdi</html>');
      expect(await first.stop()).toMatch(/^stopped$/m);
      await noneLeft(join(copy, 'data'));

      const second = await npmStart(copy, args, 120_000);
      console.log(`second start in the copy: ${second.readyLine}`);
      const after = runBlock(copy, block('after-restart'), master);
      expect(after).toContain('CNN.com');
      expect(after).toContain('<html>cnn</html>');
      expect(await second.stop()).toMatch(/^stopped$/m);
      await noneLeft(join(copy, 'data'));
    },
    900_000,
  );
});
