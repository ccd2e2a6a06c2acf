// Tests that run a server as `node dist/main.js` need its dist/ (and the
// libraries' dist/) current. They build through Nx only when a source is
// newer than the app's dist/main.js: `npm test` builds everything before
// the tests, and other suites run servers from dist/ at the same time, so
// rewriting dist/ under them (tsc, or Nx restoring its cache) must not
// happen when nothing changed.

import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The newest modification time of the .ts files under `dir` (0 when there are none). */
function newestSource(dir: string): number {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestSource(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Builds Nx project `project` (and, through Nx, the libraries it depends
 * on) when `appDir`/dist/main.js is missing or older than a .ts file under
 * `appDir`/src or one of `libDirs`' src. Resolves with whether it built.
 */
export async function buildIfStale(o: { repoRoot: string; project: string; appDir: string; libDirs: readonly string[] }): Promise<boolean> {
  const built = join(o.appDir, 'dist', 'main.js');
  const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;
  const newest = Math.max(...[o.appDir, ...o.libDirs].map((d) => newestSource(join(d, 'src'))));
  if (builtAt > newest) return false;
  await run(process.execPath, [join(o.repoRoot, 'node_modules', '.bin', 'nx'), 'run', `${o.project}:build`, '--output-style=static'], { cwd: o.repoRoot });
  return true;
}
