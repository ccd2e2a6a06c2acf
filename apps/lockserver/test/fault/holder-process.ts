// A lock holder in its own process, for the pause test: opens a session,
// creates an ephemeral file, takes an exclusive lock and prints its
// sequencer; then every 100 ms it asks the service whether its sequencer is
// still good (what a fenced write would do) and prints what its session
// believes. Lines are JSON on stdout.

import { LockClient } from '@kdi/client-sdk';

const url = process.env.LOCK_URL!;
const ttlMs = Number(process.env.TTL_MS ?? 1000);
const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);

const client = new LockClient({ url, ttlMs, requestTimeoutMs: 2_000 });
const session = await client.openSession();
session.on('jeopardy', () => say({ event: 'jeopardy' }));
session.on('expired', (e) => say({ event: 'expired', reason: e.reason }));
await session.createFile('/test/holder-ephemeral', { ephemeral: true, contents: 'alive' });
await client.createFile('/test/lock').catch(() => {});
const got = await session.acquire('/test/lock', { mode: 'exclusive' });
if (!got.acquired) throw new Error(`could not take the lock: ${got.reason}`);
say({ event: 'holding', sequencer: got.sequencer });

for (;;) {
  await new Promise((r) => setTimeout(r, 100));
  const check = await client.validateSequencer(got.sequencer).catch((e: Error) => ({ valid: false, reason: e.message }));
  say({ event: 'write-attempt', valid: check.valid, live: session.isLive() });
}
