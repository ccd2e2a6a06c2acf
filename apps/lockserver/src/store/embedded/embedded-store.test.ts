// The embedded store runs the one conformance suite, restart included: a
// restart closes the store and opens a new one on the same data directory,
// as a new process would.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LockStore } from '../lock-store.js';
import { describeLockStoreConformance } from '../store-conformance.js';
import { EmbeddedLockStore } from './embedded-lock-store.js';

describeLockStoreConformance('embedded', {
  async make(limits) {
    const dataDir = await mkdtemp(join(tmpdir(), 'kdi-embedded-lock-'));
    let current: LockStore = await EmbeddedLockStore.open({ dataDir, limits });
    return {
      get store() {
        return current;
      },
      async restart() {
        await current.close();
        current = await EmbeddedLockStore.open({ dataDir, limits });
        return current;
      },
      async cleanup() {
        await current.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  },
});
