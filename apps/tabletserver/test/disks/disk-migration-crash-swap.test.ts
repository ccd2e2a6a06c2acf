// kill -9 of a tablet server as a disk migration enters CLOSED or
// COMPLETED — after the swap (disk-migration-crash-scenario.ts says what
// is checked).

import { describe, it } from 'vitest';
import { migrationCluster } from '../migration/migration-cluster.js';
import { diskServers } from './disk-kit.js';
import { DISK_CRASH_ENV, diskCrashScenario } from './disk-migration-crash-scenario.js';

const c = migrationCluster('dmcrash2', DISK_CRASH_ENV);
const start = diskServers(c, 'dmcrash2');

describe('kill -9 during a disk migration, after the swap', () => {
  for (const state of ['CLOSED', 'COMPLETED'] as const) it(`at ${state}`, () => diskCrashScenario(c, start, state), 120_000);
});
