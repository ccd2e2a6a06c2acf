// Test support: a private `redis-server` process per test suite.
//
// Promises:
//  - it listens on 127.0.0.1 only, on a free port (or the one the caller
//    passes), never on the system Redis's 6379;
//  - it has its own data directory (`--dir`), no RDB snapshots (`--save ""`)
//    and AOF on or off as asked, so "restart without persistence" really
//    loses everything and "restart with appendfsync always" really keeps it;
//  - it is stopped and killed by PID only (never by name), and every server
//    still running when the test process exits is SIGKILLed by PID;
//  - start() and restart() resolve only once PING answers PONG (an AOF
//    being loaded answers LOADING, which is waited out).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServerOptions {
  /** AOF persistence (default false: a restart loses every key). */
  readonly appendOnly?: boolean;
  /** AOF fsync policy (default 'always'). */
  readonly appendfsync?: 'always' | 'everysec';
  /** Data directory; default a fresh temp directory that cleanup() removes. */
  readonly dir?: string;
  /** Port; default a free one. Pass one to reuse a port across servers. */
  readonly port?: number;
}

export interface RedisServerHandle {
  readonly port: number;
  /** redis://127.0.0.1:PORT */
  readonly url: string;
  /** PID of the current process (changes on restart). */
  readonly pid: number;
  readonly dir: string;
  /** Whether the current process is still running. */
  readonly running: boolean;
  /** SIGTERM by PID and wait for the exit (no-op when not running). */
  stop(): Promise<void>;
  /** SIGKILL by PID and wait for the exit (no-op when not running). */
  kill9(): Promise<void>;
  /** Stops the server if running, then starts it again on the same port and dir (AOF, if on, is reloaded). */
  restart(): Promise<void>;
  /** Stops the server and removes its dir unless the caller gave the dir. */
  cleanup(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
}

/** A TCP port that was free on 127.0.0.1 a moment ago (bind port 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the port of a listening socket'));
        return;
      }
      const { port } = address;
      server.close(() => resolve(port));
    });
  });
}

/** Sends PING over a raw socket; resolves with the first reply line (e.g. '+PONG', '-LOADING …'). */
function ping(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('PING timed out'));
    }, 1_000);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf('\r\n');
      if (end >= 0) {
        clearTimeout(timer);
        socket.destroy();
        resolve(buffer.slice(0, end));
      }
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
  });
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function logTail(dir: string): Promise<string> {
  try {
    const text = await readFile(join(dir, 'redis.log'), 'utf8');
    return text.split('\n').slice(-15).join('\n');
  } catch {
    return '(no redis.log)';
  }
}

async function spawnServer(port: number, dir: string, opts: RedisServerOptions): Promise<ChildProcess> {
  installExitHook();
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    opts.appendOnly ? 'yes' : 'no',
    '--appendfsync',
    opts.appendfsync ?? 'always',
    '--daemonize',
    'no',
    '--logfile',
    join(dir, 'redis.log'),
    '--dbfilename',
    'dump.rdb',
  ];
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });

  const deadline = Date.now() + START_TIMEOUT_MS;
  let last = 'not started';
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server on port ${port} exited during start (${child.exitCode ?? child.signalCode}):\n${await logTail(dir)}`);
    }
    if (spawnError) throw new Error(`could not spawn redis-server: ${spawnError.message}`);
    try {
      last = await ping(port);
      if (last === '+PONG') return child;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      await waitForExit(child);
      throw new Error(`redis-server on port ${port} did not answer PING within ${START_TIMEOUT_MS} ms (last: ${last}):\n${await logTail(dir)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts a private redis-server; see the promises at the top of this file. */
export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const port = opts.port ?? (await freePort());
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'kdi-redis-')));
  let child: ChildProcess | undefined = await spawnServer(port, dir, opts);

  const isRunning = (c: ChildProcess | undefined): c is ChildProcess => c !== undefined && c.exitCode === null && c.signalCode === null;

  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    const current = child;
    if (!isRunning(current) || current.pid === undefined) return;
    try {
      process.kill(current.pid, sig);
    } catch {
      // exited between the check and the signal
    }
    await waitForExit(current);
  };

  const handle: RedisServerHandle = {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid ?? -1;
    },
    dir,
    get running() {
      return isRunning(child);
    },
    stop: () => signal('SIGTERM'),
    kill9: () => signal('SIGKILL'),
    async restart() {
      await signal('SIGTERM');
      child = await spawnServer(port, dir, opts);
    },
    async cleanup() {
      await signal('SIGTERM');
      child = undefined;
      if (ownDir) await rm(dir, { recursive: true, force: true });
    },
  };
  return handle;
}
