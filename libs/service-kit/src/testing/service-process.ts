// The process launcher: a KDI server as a real child process, for tests
// that talk to it over sockets, kill it or restart it. By default the
// server's src/main.ts runs through tsx with the kdi-source condition (no
// build step); `node` with a built dist/main.js works too (`tsx: false`).
// It resolves once the server printed its listening line on stdout
// ({"event":"listening","url":...}, runService), and keeps what the
// process wrote (logs go to stderr). Stopped by PID only.

import { type ChildProcess, spawn } from 'node:child_process';

export interface ServiceProcessOptions {
  /** The script: a main.ts (through tsx) or a built main.js. */
  readonly main: string;
  /** Run `main` through tsx with the kdi-source condition; default true. */
  readonly tsx?: boolean;
  readonly cwd?: string;
  /** The environment; PATH is added unless given. Nothing else of the test's is passed on. */
  readonly env: Readonly<Record<string, string>>;
  /** For messages, e.g. 'tablet server ts1'. */
  readonly name?: string;
  /** Default 60 s (tsx compiles on the first start). */
  readonly startTimeoutMs?: number;
}

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  /** The whole listening line (url and the server's extra fields). */
  readonly listening: Readonly<Record<string, unknown>>;
  /** Resolves with how the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** stderr and stdout so far. */
  readonly output: () => string;
  /** SIGTERM (SIGKILL after `killAfterMs`, default 10 s), and wait for the exit. */
  stop(killAfterMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
}

/** Finds the listening line in `text` (stdout so far). */
function listeningLine(text: string): Record<string, unknown> | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const m = JSON.parse(line) as Record<string, unknown>;
      if (m['event'] === 'listening' && typeof m['url'] === 'string') return m;
    } catch {
      // not a whole JSON line (yet)
    }
  }
  return undefined;
}

export async function startServiceProcess(opts: ServiceProcessOptions): Promise<ServiceProcess> {
  const name = opts.name ?? opts.main;
  const args = opts.tsx === false ? [opts.main] : ['--conditions=kdi-source', '--import', 'tsx', opts.main];
  const child = spawn(process.execPath, args, {
    ...(opts.cwd !== undefined && { cwd: opts.cwd }),
    env: { PATH: process.env.PATH ?? '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let output = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    output += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in ${opts.startTimeoutMs ?? 60_000} ms:\n${output}`)), opts.startTimeoutMs ?? 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      output += d.toString();
      const line = listeningLine(stdout);
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code ?? signal} before listening:\n${output}`));
    });
  });
  const ended = () => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    pid: child.pid!,
    url: listening['url'] as string,
    listening,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    output: () => output,
    async stop(killAfterMs = 10_000) {
      if (!ended()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
    async kill() {
      if (ended()) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
