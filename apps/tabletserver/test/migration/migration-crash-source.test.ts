// kill -9 of the SOURCE at each step of a move (migration-crash-scenario.ts
// says what is checked afterwards).

import { describe, it } from 'vitest';
import { migrationCluster } from './migration-cluster.js';
import { CRASH_ENV, crashScenario, SOURCE_POINTS } from './migration-crash-scenario.js';

const c = migrationCluster('migcs', CRASH_ENV);

describe('kill -9 of the source at each step of a move', () => {
  for (const point of SOURCE_POINTS) it(`at ${point}`, () => crashScenario(c, 'source', point), 120_000);
});
