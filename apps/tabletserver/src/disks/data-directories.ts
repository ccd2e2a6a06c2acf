// The server's data directories ("disks", DESIGN §1, §11): KDI_TS_DATA_DIR,
// where the storage engine lives, and the KDI_TS_EXTRA_DATA_DIRS beside it.
// Checked once at start, before anything is written: each extra directory
// is created when missing and must be a directory this process can write;
// two that turn out to be one (a symbolic link to another), or one inside
// another, are refused. All of them are the engine's disks (new tablets
// and fragments go to the one with the most free bytes; tablets move
// between them with disk-migrate, docs/disks.md); they are reported —
// heartbeats, /kdi/servers/<id>, /v1/admin/status, metrics — and swept by
// the file GC.
//
// Promises: prepareDataDirectories either returns every directory as an
// absolute path (the data directory first) or throws ConfigError naming
// each bad directory and why, having changed nothing but creating
// missing directories.

import { accessSync, constants, mkdirSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, type TabletServerConfig } from '../config.js';

const VARIABLE = 'KDI_TS_EXTRA_DATA_DIRS';

/** Every data directory as an absolute path: the engine's first, then the extra ones in the order given. */
export function dataDirectories(config: Pick<TabletServerConfig, 'dataDir' | 'extraDataDirs'>): string[] {
  return [resolve(config.dataDir), ...config.extraDataDirs.map((d) => resolve(d))];
}

/** Creates missing extra directories and checks each is a writable directory of its own; throws ConfigError naming every bad one. */
export function prepareDataDirectories(config: Pick<TabletServerConfig, 'dataDir' | 'extraDataDirs'>): string[] {
  const [dataDir, ...extra] = dataDirectories(config);
  const problems: string[] = [];
  const real = new Map<string, string>();
  try {
    real.set(realpathSync(dataDir!), `the data directory ${dataDir}`);
  } catch {
    // The engine creates its directory; nothing to compare with yet.
  }
  for (const dir of extra) {
    const problem = checkDirectory(dir);
    if (problem !== undefined) {
      problems.push(`${VARIABLE}: ${dir} ${problem}`);
      continue;
    }
    const target = realpathSync(dir);
    const other = real.get(target);
    const nested = [...real.entries()].find(([r]) => target.startsWith(`${r}/`) || r.startsWith(`${target}/`));
    if (other !== undefined) problems.push(`${VARIABLE}: ${dir} is ${other} (both resolve to ${target}); give each data directory its own directory`);
    else if (nested !== undefined) problems.push(`${VARIABLE}: ${dir} and ${nested[1]} lie one inside the other; give each data directory its own directory`);
    else real.set(target, dir);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return [dataDir!, ...extra];
}

/** Why `dir` cannot be a data directory, or undefined. */
function checkDirectory(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    return `cannot be created: ${(e as Error).message}`;
  }
  try {
    if (!statSync(dir).isDirectory()) return 'is not a directory';
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (e) {
    return `is not a directory this process can read and write: ${(e as Error).message}`;
  }
  return undefined;
}
