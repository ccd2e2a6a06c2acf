// Starts the real lock-server process (src/main.ts through tsx, so no build
// step is needed) on 127.0.0.1 with a random port, for tests that kill,
// pause and restart processes: the chassis' process launcher. Stopped by
// PID only.

import { fileURLToPath } from 'node:url';
import { startServiceProcess } from '@kdi/service-kit/testing';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export interface LockServerProcess {
  readonly url: string;
  readonly pid: number;
  readonly output: () => string;
  stop(): Promise<void>;
}

export async function startLockServerProcess(env: Record<string, string>): Promise<LockServerProcess> {
  const p = await startServiceProcess({
    main: MAIN,
    name: 'lock server',
    env: { KDI_LOCK_PORT: '0', KDI_LOCK_LOG_LEVEL: 'warn', ...env },
    startTimeoutMs: 30_000,
  });
  return {
    url: p.url,
    pid: p.pid,
    output: p.output,
    async stop() {
      await p.stop();
    },
  };
}
