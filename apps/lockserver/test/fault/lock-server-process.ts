// Starts the real lock-server process (src/main.ts through tsx, so no build
// step is needed) on 127.0.0.1 with a random port, for tests that kill,
// pause and restart processes. Stopped by PID only.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export interface LockServerProcess {
  readonly url: string;
  readonly pid: number;
  readonly output: () => string;
  stop(): Promise<void>;
}

export async function startLockServerProcess(env: Record<string, string>): Promise<LockServerProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--conditions=kdi-source', '--import', 'tsx', MAIN], {
    env: { PATH: process.env.PATH ?? '', KDI_LOCK_PORT: '0', KDI_LOCK_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lock server did not start in 30 s:\n${out}`)), 30_000);
    const check = () => {
      for (const line of out.split('\n')) {
        try {
          const m = JSON.parse(line) as { event?: string; url?: string };
          if (m.event === 'listening' && m.url) {
            clearTimeout(timer);
            resolve(m.url);
            return;
          }
        } catch {
          /* not a JSON line */
        }
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`lock server exited with ${code} before listening:\n${out}`));
    });
  });
  return {
    url,
    pid: child.pid!,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await once(child, 'exit');
      clearTimeout(timer);
    },
  };
}
