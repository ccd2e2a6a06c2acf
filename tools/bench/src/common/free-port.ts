// A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it):
// for the servers a bench starts itself (a redis-server, a tablet server
// in tests of the raw API). Another process may take it before ours binds;
// benches run alone, so that is not retried.

import { once } from 'node:events';
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  await once(s, 'close');
  return port;
}
