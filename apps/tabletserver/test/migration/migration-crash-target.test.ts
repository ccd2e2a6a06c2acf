// kill -9 of the TARGET at each step of a move (migration-crash-scenario.ts
// says what is checked afterwards).

import { describe, it } from 'vitest';
import { migrationCluster } from './migration-cluster.js';
import { CRASH_ENV, crashScenario, TARGET_POINTS } from './migration-crash-scenario.js';

const c = migrationCluster('migct', CRASH_ENV);

describe('kill -9 of the target at each step of a move', () => {
  for (const point of TARGET_POINTS) it(`at ${point}`, () => crashScenario(c, 'target', point), 120_000);
  it('at target-committed, the tablet given back to the restarted target: it serves the copy it kept', async () => {
    await crashScenario(c, 'target', 'target-committed', { reassignToRestarted: true });
  }, 120_000);
});
