// The shared LockStore conformance suite on RedisLockStore, against a real
// redis-server (AOF, appendfsync always) started for this file.
//  - restart(): Redis is killed with SIGKILL and started again on the same
//    data directory; a new store opens on it — everything survives.
//  - loseData(): Redis is killed, its AOF deleted, and it is started again
//    empty — the store must detect the loss (new incarnation, safe mode).
// Each instance uses its own key prefix, so every test starts from empty
// state (and therefore in safe mode, which the suite waits out).

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '../../testing/redis-server.js';
import { describeLockStoreConformance } from '../store-conformance.js';
import { RedisLockStore } from './redis-store.js';

let server: RedisServerHandle;
let instances = 0;
const quiet = { warn: () => undefined };

beforeAll(async () => {
  server = await startRedisServer({ appendOnly: true, appendfsync: 'always' });
});
afterAll(async () => {
  await server?.cleanup();
});

describeLockStoreConformance('redis', {
  restartKeepsSessions: true,
  async make(limits) {
    const keyPrefix = `conformance${++instances}:`;
    const open = () => RedisLockStore.open({ url: server.url, limits, keyPrefix, logger: quiet });
    let store = await open();
    return {
      get store() {
        return store;
      },
      async cleanup() {
        await store.close();
      },
      async restart() {
        await store.close();
        await server.kill9();
        await server.restart();
        store = await open();
        return store;
      },
      async loseData() {
        await store.close();
        await server.kill9();
        await rm(join(server.dir, 'appendonlydir'), { recursive: true, force: true });
        await server.restart();
        store = await open();
        return store;
      },
    };
  },
});
