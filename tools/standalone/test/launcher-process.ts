// The launcher as a real process, for tests: `node bin/kdi-standalone.mjs`
// with the given flags, its stdout and stderr kept, the URLs and PIDs it
// prints parsed once it says 'ready'. Also: free ports, and the processes
// still running with a given data directory in their environment (so a
// test can say "nothing is left running" without knowing the PIDs).

import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const launcherScript = fileURLToPath(new URL('../bin/kdi-standalone.mjs', import.meta.url));
export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

export interface PrintedServer {
  readonly name: string;
  readonly url: string;
  readonly pid?: number;
}

export interface LauncherProcess {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the servers listed before 'ready' (master, web page, OpenAPI docs, lock server, tablet server ts-K). */
  ready(timeoutMs?: number): Promise<Map<string, PrintedServer>>;
  /** SIGINT (a Ctrl-C) and wait for the exit. */
  interrupt(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function runLauncher(args: readonly string[], opts: { cwd?: string; script?: string; env?: Record<string, string> } = {}): LauncherProcess {
  const child = spawn(process.execPath, [opts.script ?? launcherScript, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ended = () => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async ready(timeoutMs = 180_000) {
      const deadline = Date.now() + timeoutMs;
      while (!/^ready in /m.test(stdout)) {
        if (ended()) throw new Error(`the launcher exited with ${child.exitCode ?? child.signalCode} before ready:\n${stdout}\n${stderr}`);
        if (Date.now() > deadline) throw new Error(`the launcher was not ready in ${timeoutMs} ms:\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const servers = new Map<string, PrintedServer>();
      for (const m of stdout.matchAll(/^ {2}(\S.*?)\s{2,}(http:\/\/\S+)(?:\s+PID (\d+))?$/gm)) {
        servers.set(m[1]!, { name: m[1]!, url: m[2]!, ...(m[3] !== undefined && { pid: Number(m[3]) }) });
      }
      return servers;
    },
    async interrupt() {
      if (!ended()) child.kill('SIGINT');
      return exited;
    },
  };
}

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** PIDs of live processes whose environment mentions `dataDir` (the servers the launcher started there). */
export function processesUsing(dataDir: string): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${e}/environ`, 'utf8');
      if (env.split('\0').some((kv) => kv.startsWith('KDI_') && kv.includes(dataDir))) pids.push(Number(e));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** The first of `n` consecutive free ports (tablet servers get --ts-port P, P+1, …; a restart then finds them at the same URLs). */
export async function freePortRange(n: number): Promise<number> {
  for (;;) {
    const first = await freePort();
    if (first + n - 1 > 65_535) continue;
    let ok = true;
    for (let p = first + 1; ok && p < first + n; p++) ok = await canBind(p);
    if (ok) return first;
  }
}
