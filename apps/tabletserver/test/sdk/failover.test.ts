// The table SDK when a server dies (DESIGN §12): a refused connection drops
// the locations of that server, and the call retries (backoff, deadline)
// until META names the tablet's new server — here the FakeMaster reassigns
// it, and the new server replays the dead one's log. A bootstrap list
// whose first server is down still connects.

import { connect } from '@kdi/client-sdk';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { kill9 } from '../cluster.js';
import { ok, SdkCluster } from './sdk-cluster.js';

let cluster: SdkCluster;
beforeAll(async () => {
  cluster = await SdkCluster.start(3);
  await cluster.createTable('t', [
    { id: 't0', upper: 'm', server: 1 },
    { id: 't1', lower: 'm', server: 2 },
  ]);
}, 120_000);
afterAll(async () => cluster?.close());

const text = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString('utf8'));

it('follows a refused connection to the server META names next, and bootstraps past a dead server', async () => {
  const [s0, s1, s2] = cluster.servers as [NonNullable<(typeof cluster.servers)[0]>, NonNullable<(typeof cluster.servers)[0]>, NonNullable<(typeof cluster.servers)[0]>];
  const kdi = await connect({ servers: [s2.url, s0.url], timeoutMs: 60_000 });
  try {
    const t = kdi.table('t');
    await t.apply([
      { row: 'a', column: 'f:q', timestamp: 1, value: 'on-1' },
      { row: 'x', column: 'f:q', timestamp: 1, value: 'on-2' },
    ]);
    // ts-2 dies with 'x' only in its log; the client still believes ts-2 serves it.
    await kill9(s2);
    const reassigned = (async () => {
      await new Promise((r) => setTimeout(r, 300));
      ok(await cluster.master.assign(s0, 't', 't1b', {}));
    })();
    // Refused at first, then found on ts-0 once the master has moved it.
    const r = await t.apply([{ row: 'y', column: 'f:q', timestamp: 1, value: 'after' }]);
    await reassigned;
    expect(r.parts.map((p) => p.serverId)).toEqual(['ts-0']);
    const all: string[] = [];
    for await (const c of t.scan()) all.push(`${text(c.row)}=${text(c.value)}`);
    expect(all).toEqual(['a=on-1', 'x=on-2', 'y=after']);
    expect((await t.get('x')).map((c) => text(c.value))).toEqual(['on-2']);
  } finally {
    await kdi.close();
  }
  // The first bootstrap server is dead: the next one answers.
  const again = await connect({ servers: [s2.url, s1.url], timeoutMs: 60_000 });
  try {
    expect((await again.table('t').get('a')).map((c) => text(c.value))).toEqual(['on-1']);
  } finally {
    await again.close();
  }
});
