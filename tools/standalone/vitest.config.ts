import { fileURLToPath } from 'node:url';
import { projectConfig } from '../../vitest.shared.js';

// Each test starts whole clusters (5 processes): generous per-test time, on this 2-core machine.
// The servers are built once before any test file runs (test/build-once.ts): the files run in
// parallel, and the README test copies the built tree.
export default projectConfig(fileURLToPath(new URL('.', import.meta.url)), { testTimeout: 240_000, globalSetup: './test/build-once.ts' });
