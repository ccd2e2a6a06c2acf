// The master finder against a real lock server (embedded store): it finds
// the URL in /kdi/master, follows it when a new master writes its own,
// ignores contents that are no URL, forgets a deleted file, and survives a
// lock service it cannot reach.

import { LockClient } from '@kdi/client-sdk';
import { type RunningLockServer, startEmbeddedLockServer } from '@kdi/client-sdk/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASTER_FILE, MasterFinder, masterUrlFrom } from './master-finder.js';

let lock: RunningLockServer;
const clients: LockClient[] = [];
const client = (url = lock.url) => {
  const c = new LockClient({ url, ttlMs: 2000, requestTimeoutMs: 2_000, watchPollMs: 1_000 });
  clients.push(c);
  return c;
};
const quiet = { debug: () => {}, info: () => {} };

beforeAll(async () => {
  lock = await startEmbeddedLockServer();
});
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await lock.close();
});

async function until(what: string, probe: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('masterUrlFrom', () => {
  it('takes http(s) URLs only, without a trailing slash', () => {
    expect(masterUrlFrom('http://127.0.0.1:7000')).toBe('http://127.0.0.1:7000');
    expect(masterUrlFrom(' https://m.example:7000/ \n')).toBe('https://m.example:7000');
    expect(masterUrlFrom('fake')).toBeUndefined();
    expect(masterUrlFrom('')).toBeUndefined();
    expect(masterUrlFrom('file:///etc/passwd')).toBeUndefined();
  });
});

describe('MasterFinder', () => {
  it('finds the master, follows a new one and forgets a deleted file', async () => {
    const admin = client();
    const finder = new MasterFinder({ lockClient: client(), logger: quiet, retryMs: 100 });
    const seen: Array<string | undefined> = [];
    finder.onChange((u) => seen.push(u));
    finder.start();
    await new Promise((r) => setTimeout(r, 200));
    expect(finder.current()).toBeUndefined();

    await admin.createFile(MASTER_FILE, { contents: 'http://127.0.0.1:7001' });
    await until('the first master', () => finder.current() === 'http://127.0.0.1:7001');
    await admin.setContents(MASTER_FILE, 'http://127.0.0.1:7002/');
    await until('the new master', () => finder.current() === 'http://127.0.0.1:7002');
    await admin.setContents(MASTER_FILE, 'not a url');
    await until('no master', () => finder.current() === undefined);
    await admin.setContents(MASTER_FILE, 'http://127.0.0.1:7003');
    await until('the third master', () => finder.current() === 'http://127.0.0.1:7003');
    await admin.deleteFile(MASTER_FILE);
    await until('the file gone', () => finder.current() === undefined);
    await finder.stop();
    expect(seen).toEqual(['http://127.0.0.1:7001', 'http://127.0.0.1:7002', undefined, 'http://127.0.0.1:7003', undefined]);
  });

  it('never throws when the lock service cannot be reached, and stops', async () => {
    const debug: string[] = [];
    const finder = new MasterFinder({ lockClient: client('http://127.0.0.1:1'), logger: { debug: (_o, m) => debug.push(m), info: () => {} }, retryMs: 50 });
    finder.start();
    await until('a logged failure', () => debug.length > 0);
    expect(finder.current()).toBeUndefined();
    await finder.stop();
  });
});
