// A whole KDI cluster for a benchmark: the standalone launcher (`npm
// start`, tools/standalone) as a child process on free ports with its data
// in a directory of the benchmark's, stopped with SIGINT by PID (the
// launcher stops its servers in order). Settings for the servers go in
// `env` (KDI_TS_*, KDI_MASTER_*, KDI_LOCK_*: the launcher passes them on).

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const LAUNCHER = fileURLToPath(new URL('../../../standalone/bin/kdi-standalone.mjs', import.meta.url));
const READY_TIMEOUT_MS = 300_000;

export interface StandaloneCluster {
  readonly masterUrl: string;
  /** Printed name (`tablet server ts-1`, …) → URL. */
  readonly servers: ReadonlyMap<string, string>;
  /** Printed name → PID of that server's process (for CPU accounting; never for stopping it). */
  readonly pids: ReadonlyMap<string, number>;
  stop(): Promise<void>;
}

export async function startStandalone(opts: { dataDir: string; servers: number; env?: Record<string, string> }): Promise<StandaloneCluster> {
  const child: ChildProcess = spawn(process.execPath, [LAUNCHER, '--data', opts.dataDir, '--servers', String(opts.servers), '--port', '0', '--lock-port', '0', '--ts-port', '0'], {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!/^ready in /m.test(out)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the standalone cluster exited before it was ready:\n${out}\n${err}`);
    if (Date.now() > deadline) {
      child.kill('SIGINT');
      throw new Error(`the standalone cluster was not ready in ${READY_TIMEOUT_MS / 1000} s:\n${out}\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const servers = new Map<string, string>();
  for (const m of out.matchAll(/^ {2}(\S.*?)\s{2,}(http:\/\/\S+)/gm)) servers.set(m[1]!, m[2]!);
  const pids = new Map<string, number>();
  for (const m of out.matchAll(/^ {2}(\S.*?)\s{2,}http:\/\/\S+\s+PID (\d+)/gm)) pids.set(m[1]!, Number(m[2]));
  const masterUrl = servers.get('master');
  if (masterUrl === undefined) throw new Error(`the standalone cluster printed no master URL:\n${out}`);
  return {
    masterUrl,
    servers,
    pids,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGINT');
      await exited;
    },
  };
}
