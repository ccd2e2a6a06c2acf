// Vitest global setup: `npm start -- --build-only` once, before any test
// file runs. On CI's clean clone this is the first start after `npm ci`
// (it builds every server); the test files then start clusters from the
// built tree in parallel, and the README test copies it.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './launcher-process.js';

export default function buildOnce(): void {
  const started = performance.now();
  const r = spawnSync(process.execPath, [join(repoRoot, 'tools/standalone/bin/kdi-standalone.mjs'), '--build-only'], { cwd: repoRoot, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`npm start -- --build-only failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  console.log(`[standalone] servers built (or up to date) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
