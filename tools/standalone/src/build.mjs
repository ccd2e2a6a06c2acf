// Makes sure the servers the cluster runs are built (dist/ of each app and
// of every @kdi package it depends on). The check is cheap: a package is
// up to date when its built entry point is newer than every source file
// (TypeScript, and the web page's .js/.css/.html the master's build
// copies as they are), its package.json, its tsconfig.build.json and the shared tsconfig.base.json.
// When something is stale (always on the first start after `npm ci`) the
// launcher runs the Nx build targets of the apps, which build the libraries
// first (`dependsOn: ["^build"]`) and reuse Nx's cache.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LaunchError } from './launch-error.mjs';

const WORKSPACE_DIRS = ['libs', 'apps', 'tools'];

/** name → directory of every workspace package. */
export function workspacePackages(repoRoot) {
  const found = new Map();
  for (const top of WORKSPACE_DIRS) {
    const base = join(repoRoot, top);
    if (!existsSync(base)) continue;
    for (const e of readdirSync(base, { withFileTypes: true })) {
      const pj = join(base, e.name, 'package.json');
      if (e.isDirectory() && existsSync(pj)) found.set(JSON.parse(readFileSync(pj, 'utf8')).name, join(base, e.name));
    }
  }
  return found;
}

/** The packages `names` need at run time: themselves and their @kdi dependencies, transitively. */
function runtimeClosure(names, packages) {
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name) || !packages.has(name)) return;
    seen.add(name);
    const pj = JSON.parse(readFileSync(join(packages.get(name), 'package.json'), 'utf8'));
    for (const dep of Object.keys(pj.dependencies ?? {})) if (dep.startsWith('@kdi/')) visit(dep);
  };
  names.forEach(visit);
  return [...seen];
}

/** What a build reads: TypeScript, and the files a build copies as they are (the master's web page: src/web/*.js, .css, .html). */
const SOURCE_FILE = /\.(ts|js|mjs|css|html)$/;

function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (SOURCE_FILE.test(e.name) && !e.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Why `dir`'s build is stale, or undefined when dist/ is newer than every input. */
function staleness(dir, repoRoot) {
  const built = ['dist/main.js', 'dist/index.js'].map((f) => join(dir, f)).find((f) => existsSync(f));
  if (built === undefined) return 'not built';
  const builtAt = statSync(built).mtimeMs;
  const inputs = [join(dir, 'package.json'), join(dir, 'tsconfig.build.json'), join(repoRoot, 'tsconfig.base.json')].filter((f) => existsSync(f));
  const newest = Math.max(newestSource(join(dir, 'src')), ...inputs.map((f) => statSync(f).mtimeMs));
  return newest > builtAt ? 'sources changed since the build' : undefined;
}

/** The packages among `apps` (and their dependencies) whose dist/ is missing or older than their sources. */
export function stalePackages(repoRoot, apps) {
  const packages = workspacePackages(repoRoot);
  return runtimeClosure(apps, packages).flatMap((name) => {
    const why = staleness(packages.get(name), repoRoot);
    return why === undefined ? [] : [{ name, why }];
  });
}

/** The Nx command-line script installed in the repository (its package.json "bin"), if any. */
function nxScript(repoRoot) {
  const pj = join(repoRoot, 'node_modules', 'nx', 'package.json');
  if (!existsSync(pj)) return undefined;
  const bin = JSON.parse(readFileSync(pj, 'utf8')).bin;
  const script = join(repoRoot, 'node_modules', 'nx', typeof bin === 'string' ? bin : (bin?.nx ?? 'bin/nx.js'));
  return existsSync(script) ? script : undefined;
}

/**
 * Builds `apps` with Nx when anything they need is stale. `say` prints
 * progress. Throws a LaunchError with the build's output when it fails.
 */
export async function ensureBuilt(repoRoot, apps, say) {
  const stale = stalePackages(repoRoot, apps);
  if (stale.length === 0) return { built: false };
  const nx = nxScript(repoRoot);
  if (nx === undefined) throw new LaunchError(`the servers are not built and Nx is not installed: run \`npm ci\` in ${repoRoot} first`);
  say(`building ${stale.map((s) => s.name).join(', ')} (${stale[0]?.why}${stale.length > 1 ? ', …' : ''}); the first start takes about a minute`);
  const args = [nx, 'run-many', '-t', 'build', '-p', ...apps, '--output-style=static'];
  const output = [];
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => output.push(d));
    child.stderr.on('data', (d) => output.push(d));
    child.once('error', () => resolve(127));
    child.once('exit', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
  });
  if (code !== 0) {
    const text = Buffer.concat(output).toString('utf8').trim().split('\n').slice(-40).join('\n');
    throw new LaunchError(`the build failed (nx run-many -t build -p ${apps.join(' ')}, exit ${code}):\n${text}`, 1);
  }
  return { built: true };
}
