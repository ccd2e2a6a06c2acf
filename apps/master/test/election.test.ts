// The election on /kdi/master against a real lock server: one candidate is
// active (the file names its URL, its sequencer is valid), the other
// stands by naming it and takes over once the first gives up; a master
// whose lock-service session ends (here: the lock server goes away and the
// lease runs out) is told once through onLost and stops being active.

import { LockClient } from '@kdi/client-sdk';
import { startEmbeddedLockServer, type RunningLockServer } from '@kdi/client-sdk/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Election, MASTER_PATH } from '../src/election/election.js';
import { waitFor } from './cluster.js';

let lock: RunningLockServer;
beforeAll(async () => {
  lock = await startEmbeddedLockServer();
}, 60_000);
afterAll(async () => lock?.close());

function candidate(url: string, lost: string[]): { client: LockClient; election: Election } {
  const client = new LockClient({ url: lock.url, ttlMs: 1000 });
  const election = new Election(client, { url, ttlMs: 1000, onLost: (r) => lost.push(r), log: () => {}, pollMs: 50 });
  return { client, election };
}

describe('the election', () => {
  it('has one active master; a standby names it and takes over when it gives up', async () => {
    const lost: string[] = [];
    const a = candidate('http://a.example', lost);
    const b = candidate('http://b.example', lost);
    const seqA = await a.election.run();
    expect(a.election.role).toBe('active');
    expect((await a.client.getFile(MASTER_PATH)).contents).toBe('http://a.example');
    expect((await a.client.validateSequencer(seqA)).valid).toBe(true);

    const bActive = b.election.run();
    await waitFor('b standing by', async () => ((await b.election.readActiveUrl()) === 'http://a.example' ? true : undefined));
    expect(b.election.role).toBe('standby');

    await a.election.close();
    const seqB = await bActive;
    expect(b.election.role).toBe('active');
    expect((await b.client.getFile(MASTER_PATH)).contents).toBe('http://b.example');
    expect((await b.client.validateSequencer(seqA)).valid).toBe(false);
    expect((await b.client.validateSequencer(seqB)).valid).toBe(true);
    expect(lost).toEqual([]);
    await b.election.close();
    await a.client.close();
    await b.client.close();
  }, 60_000);

  it('calls onLost once when the session ends, and is no longer active', async () => {
    const lost: string[] = [];
    const a = candidate('http://a.example', lost);
    await a.election.run();
    await lock.close();
    await waitFor('session lost', async () => (lost.length > 0 ? true : undefined), 30_000);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatch(/session/);
    expect(a.election.role).toBe('standby');
    expect(a.election.sequencer).toBeUndefined();
    await a.election.close();
    await a.client.close();
  }, 60_000);
});
