// TEST SUPPORT (not exported, not built): a real lock server on the
// embedded store with short limits, the one the SDK's tests talk to.
// Only test code imports apps/lockserver, through this file.

import { buildApp } from '../../../../apps/lockserver/src/app.js';
import { type LockServerConfigInput, parseConfig } from '../../../../apps/lockserver/src/config.js';
import { EmbeddedLockStore } from '../../../../apps/lockserver/src/store/embedded/index.js';
import { type RunningLockServer, startLockServer } from './lock-server.js';

/** Starts the server; `overrides` are merged into the config (limits merged too). */
export function startEmbeddedLockServer(overrides: Partial<LockServerConfigInput> = {}): Promise<RunningLockServer> {
  return startLockServer(async (dataDir) => {
    const config = parseConfig({
      backend: 'embedded',
      dataDir,
      port: 0,
      logLevel: 'silent',
      ...overrides,
      limits: { minTtlMs: 100, lockDelayMs: 100, ...overrides.limits },
    });
    const store = await EmbeddedLockStore.open({ dataDir, limits: config.limits });
    return { app: await buildApp(config, { store }), cleanup: () => store.close() };
  });
}
