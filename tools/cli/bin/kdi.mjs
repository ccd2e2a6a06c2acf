#!/usr/bin/env node
// `kdi` (npx kdi from the repository root): runs the compiled CLI in
// dist/ (Node 20 cannot run the TypeScript sources). When dist/ is missing
// or older than a source it is built from (tools/cli and the libraries it
// imports), it is built first — `npm run build -w @kdi/cli`, which builds
// the libraries too — with the build's output on stderr, so stdout stays
// the command's own.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(pkg, '../..');
const entry = join(pkg, 'dist', 'main.js');
const SOURCES = ['tools/cli/src', 'libs/primitives/src', 'libs/protocol/src', 'libs/client-sdk/src'];

/** The newest modification time of the .ts sources under `dir` (tests excluded). */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

function stale() {
  if (!existsSync(entry)) return 'not built yet';
  const built = statSync(entry).mtimeMs;
  const sources = SOURCES.map((s) => join(repo, s)).filter((s) => existsSync(s));
  return sources.some((s) => newest(s) > built) ? 'sources changed since the last build' : undefined;
}

const why = stale();
if (why !== undefined) {
  process.stderr.write(`kdi: building the CLI (${why}) ...\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['run', 'build', '--silent', '-w', '@kdi/cli'], { cwd: repo, stdio: ['ignore', 2, 2] });
  if (r.status !== 0 || !existsSync(entry)) {
    process.stderr.write(`kdi: the build failed (${r.error?.message ?? `exit status ${r.status}`}); run npm ci, then npm run build -w @kdi/cli to see why.\n`);
    process.exit(1);
  }
}
await import(pathToFileURL(entry).href);
