// kill -9 of a tablet server as a disk migration enters MOVING or MOVED —
// before the swap (disk-migration-crash-scenario.ts says what is checked).

import { describe, it } from 'vitest';
import { migrationCluster } from '../migration/migration-cluster.js';
import { diskServers } from './disk-kit.js';
import { DISK_CRASH_ENV, diskCrashScenario } from './disk-migration-crash-scenario.js';

const c = migrationCluster('dmcrash1', DISK_CRASH_ENV);
const start = diskServers(c, 'dmcrash1');

describe('kill -9 during a disk migration, before the swap', () => {
  for (const state of ['MOVING', 'MOVED'] as const) it(`at ${state}`, () => diskCrashScenario(c, start, state), 120_000);
});
