// The Redis peer of `bench:paper`: a redis-server of our own on a free
// loopback port with its own directory (appendonly yes, appendfsync
// always: every write is fsynced before its reply, as our writes are; no
// RDB snapshots), stopped by its PID at the end.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { freePort } from '../common/free-port.js';

export interface RedisServer {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ port, host: '127.0.0.1' });
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', (d: Buffer) => {
      sock.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    sock.once('error', () => resolve(false));
  });
}

export async function startRedis(dir: string): Promise<RedisServer> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], {
    stdio: 'ignore',
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (e) => reject(new Error(`redis-server did not start (is it installed? apt-get install redis-server): ${e.message}`)));
  });
  let up = false;
  for (let i = 0; i < 100 && !up && child.exitCode === null; i++) {
    up = await answers(port);
    if (!up) await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  };
  if (!up) {
    await stop();
    throw new Error(`redis-server did not answer on port ${port}`);
  }
  return { port, pid: child.pid!, stop };
}
