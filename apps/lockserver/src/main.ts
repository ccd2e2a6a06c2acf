// The lock server process: the only place that reads process.env, listens
// and handles signals (DESIGN §16).
//
// stdout carries one JSON line {"event":"listening","url":"http://HOST:PORT"}
// once the server accepts connections (the launcher and tests parse it;
// with port 0 it is the only way to learn the port). Bad configuration is
// reported on stderr, every bad setting named, with exit code 2. SIGINT or
// SIGTERM: stop taking requests, end long polls, close the store, exit 0.

import { pino, type Logger } from 'pino';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type LockServerConfig } from './config.js';
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

async function main(): Promise<void> {
  let config: LockServerConfig;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }

  const logger = pino({ level: config.logLevel });
  const store = await openStore(config, logger);
  const app = await buildApp(config, { store, logger });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    try {
      await app.close();
      await store.close();
      process.exit(0);
    } catch (e) {
      app.log.error({ err: e }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error(`unexpected server address ${String(address)}`);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: `http://${host}:${address.port}` })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`lock server failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
