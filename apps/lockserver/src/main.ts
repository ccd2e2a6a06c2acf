// The lock server process: the only place that reads process.env (DESIGN
// §16). The lifecycle is the chassis' runService: bad configuration on
// stderr with exit code 2, logs on stderr, one listening line on stdout
// ({"event":"listening","url":"http://HOST:PORT"}), and on SIGINT or
// SIGTERM: stop taking requests, end long polls, close the store, exit 0.

import { runService } from '@kdi/service-kit';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import { loadConfig, type LockServerConfig } from './config.js';
import { EmbeddedLockStore } from './store/embedded/index.js';
import type { LockStore } from './store/lock-store.js';
import { RedisLockStore } from './store/redis/index.js';

async function openStore(config: LockServerConfig, logger: Logger): Promise<LockStore> {
  if (config.backend === 'redis') {
    // The store warns through the server's log (e.g. Redis without AOF persistence).
    const storeLog = logger.child({ component: 'redis-lock-store' });
    return RedisLockStore.open({
      url: config.redisUrl!,
      limits: config.limits,
      logger: { warn: (m) => storeLog.warn(m), info: (m) => storeLog.info(m) },
    });
  }
  return EmbeddedLockStore.open({ dataDir: config.dataDir!, limits: config.limits });
}

runService(
  {
    name: 'lock server',
    loadConfig,
    async start(config, { logger }) {
      const store = await openStore(config, logger);
      const app = await buildApp(config, { store, logger });
      return { app, closers: [() => store.close()] };
    },
  },
  process.env,
);
