// The standalone data directory: its layout, the checks that make an
// unusable one a clear message before anything starts, the cluster secrets
// (generated on the first start, kept mode 0600, reused after), and the
// claim that stops two launchers sharing one directory.
//
//   DIR/secrets.json      {"lockSecret","clusterSecret"} (0600; never printed)
//   DIR/standalone.pid    the running launcher's PID (removed on a clean stop)
//   DIR/lock/             the lock server's embedded store
//   DIR/ts-K/disk-1, DIR/ts-K/disk-2   tablet server ts-K's data directories
//   DIR/logs/NAME.log     each server's log (appended across starts)
//
// Server ids are ts-1 … ts-N, so a restart brings every server back with
// its id and its directories (and so its tablets' logs).

import { randomBytes } from 'node:crypto';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LaunchError } from './launch-error.mjs';

/** The paths of a data directory for `servers` tablet servers with `disks` directories each. */
export function dataLayout(dataDir, servers, disks) {
  return {
    root: dataDir,
    secrets: join(dataDir, 'secrets.json'),
    pidFile: join(dataDir, 'standalone.pid'),
    lock: join(dataDir, 'lock'),
    logs: join(dataDir, 'logs'),
    tabletServers: Array.from({ length: servers }, (_, i) => {
      const id = `ts-${i + 1}`;
      return { id, disks: Array.from({ length: disks }, (_, d) => join(dataDir, id, `disk-${d + 1}`)) };
    }),
  };
}

function describeError(e) {
  const code = e && typeof e === 'object' && 'code' in e ? e.code : undefined;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR') return 'a part of the path is a file, not a directory';
  if (code === 'EROFS') return 'the filesystem is read-only';
  if (code === 'ENOSPC') return 'no space left on the device';
  return e instanceof Error ? e.message : String(e);
}

/** Creates `dir` (and parents) and checks it is a writable directory; throws a LaunchError naming it. */
function usableDirectory(dir, what, dataDir) {
  const hint = `pass --data DIR with a directory you can write, or fix ${dataDir}`;
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new LaunchError(`data directory unusable: ${dir} (${what}) is a file, not a directory; ${hint}`);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
    const probe = join(dir, `.write-test-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (e) {
    throw new LaunchError(`data directory unusable: ${dir} (${what}): ${describeError(e)}; ${hint}`);
  }
}

/** Makes every directory of the layout, or throws a LaunchError naming the first unusable one. */
export function prepareDirectories(layout) {
  usableDirectory(layout.root, 'the data directory', layout.root);
  usableDirectory(layout.lock, "the lock server's store", layout.root);
  usableDirectory(layout.logs, 'the logs', layout.root);
  for (const ts of layout.tabletServers) ts.disks.forEach((d, i) => usableDirectory(d, `${ts.id} disk ${i + 1}`, layout.root));
}

/** Tablet server directories in the data directory that this start will not run (after a smaller --servers). */
export function idleServerIds(layout) {
  const running = new Set(layout.tabletServers.map((t) => t.id));
  return readdirSync(layout.root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^ts-\d+$/.test(e.name) && !running.has(e.name))
    .map((e) => e.name)
    .sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
}

/**
 * The cluster secrets: read from secrets.json, or generated and written
 * there with mode 0600 on the first start.
 * @returns {{ lockSecret: string, clusterSecret: string }}
 */
export function clusterSecrets(layout) {
  if (existsSync(layout.secrets)) {
    let parsed;
    try {
      parsed = JSON.parse(readFileSync(layout.secrets, 'utf8'));
    } catch (e) {
      throw new LaunchError(`${layout.secrets} is unreadable (${describeError(e)}); it holds the cluster secrets: restore it, or start with a new --data`);
    }
    const ok = (s) => typeof s === 'string' && s.length >= 16;
    if (!ok(parsed?.lockSecret) || !ok(parsed?.clusterSecret)) {
      throw new LaunchError(`${layout.secrets} lacks "lockSecret" or "clusterSecret" (16+ characters each); restore it, or start with a new --data`);
    }
    // Secrets readable by others are no secrets: tighten what an editor may have loosened.
    if ((statSync(layout.secrets).mode & 0o077) !== 0) chmodSync(layout.secrets, 0o600);
    return { lockSecret: parsed.lockSecret, clusterSecret: parsed.clusterSecret };
  }
  const secrets = { lockSecret: randomBytes(24).toString('base64url'), clusterSecret: randomBytes(24).toString('base64url') };
  writeFileSync(layout.secrets, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return secrets;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e && typeof e === 'object' && 'code' in e && e.code === 'EPERM';
  }
}

/**
 * Claims the data directory for this launcher: refuses when another live
 * launcher holds it. Returns the release function (called on a clean stop).
 */
export function claimDataDirectory(layout) {
  if (existsSync(layout.pidFile)) {
    const pid = Number(readFileSync(layout.pidFile, 'utf8').trim());
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new LaunchError(
        `data directory in use: ${layout.root} belongs to a running KDI launcher (PID ${pid}); stop it (Ctrl-C in its terminal, or kill ${pid}) or pass another --data`,
      );
    }
  }
  writeFileSync(layout.pidFile, `${process.pid}\n`);
  return () => rmSync(layout.pidFile, { force: true });
}
