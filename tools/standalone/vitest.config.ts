import { fileURLToPath } from 'node:url';
import { projectConfig } from '../../vitest.shared.js';

// Each test starts whole clusters (5 processes): generous per-test time, on this 2-core machine.
export default projectConfig(fileURLToPath(new URL('.', import.meta.url)), { testTimeout: 240_000 });
