// The tablet server the diagnostics (probe-profile.ts, probe-server-cpu.ts)
// measure: the compiled apps/tabletserver/dist/main.js started alone on a
// free port with a data directory of its own, one tablet ('probe' /
// 'probe-1') loaded by hand through the admin API, as a test harness
// would. Stop it with stop(): SIGTERM by PID, then the directory goes.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { makeTempDir } from '../common/temp-dir.js';

const SERVER = fileURLToPath(new URL('../../../../apps/tabletserver/dist/main.js', import.meta.url));
const SECRET = 'bench-cluster-secret-0123';

export interface ProbeServerOptions {
  /** Flags for the server's node (e.g. --cpu-prof). */
  readonly nodeFlags?: readonly string[];
  /** KDI_TS_LOG_LEVEL (default warn). */
  readonly logLevel?: string;
  /** Where the server's log goes: this process's stderr, or read and dropped (as a launcher keeps it). */
  readonly stderr: 'inherit' | 'drop';
}

export interface ProbeServer {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export async function startProbeServer(o: ProbeServerOptions): Promise<ProbeServer> {
  const temp = await makeTempDir('kdi-probe');
  await mkdir(join(temp.path, 'ts'), { recursive: true });
  const child: ChildProcess = spawn(process.execPath, [...(o.nodeFlags ?? []), SERVER], {
    env: {
      PATH: process.env.PATH ?? '',
      KDI_TS_SERVER_ID: 'probe',
      KDI_TS_DATA_DIR: join(temp.path, 'ts'),
      KDI_TS_PORT: '0',
      KDI_TS_CLUSTER_SECRET: SECRET,
      KDI_TS_LOG_LEVEL: o.logLevel ?? 'warn',
    },
    stdio: ['ignore', 'pipe', o.stderr === 'inherit' ? 'inherit' : 'pipe'],
  });
  child.stderr?.on('data', () => {});
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the tablet server exited (${code}) before listening`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url":"([^"]+)"/.exec(out);
      if (m) resolve(m[1]!);
    });
  });
  const admin = new Pool(url, { connections: 1 });
  try {
    const load = await admin.request({
      method: 'POST',
      path: '/v1/admin/tablets',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ table: 'probe', tabletId: 'probe-1' }),
    });
    await load.body.dump();
    if (load.statusCode !== 201) throw new Error(`loading the probe tablet answered ${load.statusCode}`);
  } finally {
    await admin.close();
  }
  return {
    url,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
      await temp.remove();
    },
  };
}
