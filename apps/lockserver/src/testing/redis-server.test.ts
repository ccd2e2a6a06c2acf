import { access } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startRedisServer, type RedisServerHandle } from './redis-server.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function withClient<T>(server: RedisServerHandle, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  await r.connect();
  try {
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

describe('startRedisServer', () => {
  const started: RedisServerHandle[] = [];
  afterEach(async () => {
    for (const s of started.splice(0)) await s.cleanup();
  });

  it('hands out free ports other than the system Redis port', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(6379);
  });

  it('runs a private server that keeps data across kill -9 with AOF always', async () => {
    const server = await startRedisServer({ appendOnly: true, appendfsync: 'always' });
    started.push(server);
    expect(server.port).not.toBe(6379);
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(alive(server.pid)).toBe(true);
    await withClient(server, async (r) => {
      expect(await r.config('GET', 'dir')).toEqual(['dir', server.dir]);
      await r.set('k', 'v');
    });
    const firstPid = server.pid;
    await server.kill9();
    expect(server.running).toBe(false);
    expect(alive(firstPid)).toBe(false);
    await server.restart();
    expect(server.pid).not.toBe(firstPid);
    expect(await withClient(server, (r) => r.get('k'))).toBe('v');
  });

  it('loses everything on restart without persistence, and cleanup removes its dir', async () => {
    const server = await startRedisServer();
    started.push(server);
    await withClient(server, async (r) => {
      expect(await r.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
      expect(await r.config('GET', 'save')).toEqual(['save', '']);
      await r.set('k', 'v');
    });
    await server.restart();
    expect(await withClient(server, (r) => r.get('k'))).toBeNull();
    const pid = server.pid;
    await server.cleanup();
    expect(alive(pid)).toBe(false);
    await expect(access(server.dir)).rejects.toThrow();
  });
});
