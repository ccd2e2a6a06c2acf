// The launcher's command line: one parseArgs call (node:util), the help
// text, and the checks that turn bad flags into one clear message each.
// parseOptions never touches the disk or the network; it returns either
// { help: true }, { error: '…' } or the options the cluster starts with.

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

export const DEFAULTS = Object.freeze({ servers: 3, port: 7000, lockPort: 7100, tsPort: 7201, disks: 2 });

export const HELP = `Usage: npm start [-- OPTIONS]
       node tools/standalone/bin/kdi-standalone.mjs [OPTIONS]

Starts a KDI cluster on 127.0.0.1 in the foreground: a lock server on the
embedded store, a master and N tablet servers with ${DEFAULTS.disks} data directories each.
Ctrl-C (or SIGTERM) stops the tablet servers, then the master, then the lock
server; a second Ctrl-C kills them at once. Starting again with the same
--data serves every cell written before.

Options:
  --data DIR        where everything is kept (default: ./data in the repository)
  --servers N       how many tablet servers (default ${DEFAULTS.servers}; ids ts-1 … ts-N)
  --port P          the master's port (default ${DEFAULTS.port}; 0 = any free port)
  --lock-port P     the lock server's port (default ${DEFAULTS.lockPort}; 0 = any free port)
  --ts-port P       the first tablet server's port, the others follow (default ${DEFAULTS.tsPort}; 0 = any free ports)
  --no-build        do not check that the servers are built (they must be)
  --build-only      build what the servers need (when stale) and exit
  --no-master       start only the lock server and the tablet servers (for work on the master)
  -h, --help        this text

Each server also reads its own KDI_LOCK_* / KDI_MASTER_* / KDI_TS_* variables
from this environment (docs/operations.md), e.g.
KDI_TS_SPLIT_THRESHOLD_BYTES=1073741824 npm start; the launcher's own
settings (ports, directories, secrets) are applied over them.

Files under the data directory: lock/ (the lock store), ts-K/disk-1 and
ts-K/disk-2 (tablet server K's data), secrets.json (the cluster secrets,
mode 0600; never printed), logs/*.log (each server's log).

Exit codes: 0 stopped by Ctrl-C or SIGTERM; 1 a server failed or exited;
2 bad options, a port in use or an unusable data directory.`;

/**
 * @typedef {{ dataDir: string, servers: number, masterPort: number, lockPort: number, tsPort: number, disks: number, build: boolean, buildOnly: boolean, master: boolean }} StandaloneOptions
 */

/** @returns {{ value: number, error?: undefined } | { error: string, value?: undefined }} */
function port(name, text) {
  if (!/^\d+$/.test(text) || Number(text) > 65_535) return { error: `--${name} ${JSON.stringify(text)}: expected a port number 0–65535` };
  return { value: Number(text) };
}

/**
 * @param {string[]} argv the arguments after the script
 * @param {{ repoRoot: string, cwd: string }} where relative --data paths resolve against cwd; the default is repoRoot/data
 * @returns {{ help: true, error?: undefined, options?: undefined } | { error: string, help?: undefined, options?: undefined } | { options: StandaloneOptions, help?: undefined, error?: undefined }}
 */
export function parseOptions(argv, where) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        data: { type: 'string' },
        servers: { type: 'string' },
        port: { type: 'string' },
        'lock-port': { type: 'string' },
        'ts-port': { type: 'string' },
        'no-build': { type: 'boolean', default: false },
        'build-only': { type: 'boolean', default: false },
        'no-master': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    return { error: `${e instanceof Error ? e.message : String(e)}\nSee --help.` };
  }
  const v = parsed.values;
  if (v.help) return { help: true };
  /** @type {StandaloneOptions} */
  const options = {
    dataDir: v.data !== undefined ? resolve(where.cwd, v.data) : resolve(where.repoRoot, 'data'),
    servers: DEFAULTS.servers,
    masterPort: DEFAULTS.port,
    lockPort: DEFAULTS.lockPort,
    tsPort: DEFAULTS.tsPort,
    disks: DEFAULTS.disks,
    build: !v['no-build'],
    buildOnly: v['build-only'],
    master: !v['no-master'],
  };
  if (v.data !== undefined && v.data.trim() === '') return { error: '--data: expected a directory' };
  if (v['build-only'] && v['no-build']) return { error: '--build-only and --no-build contradict each other' };
  if (v.servers !== undefined) {
    if (!/^\d+$/.test(v.servers) || Number(v.servers) < 1 || Number(v.servers) > 64) return { error: `--servers ${JSON.stringify(v.servers)}: expected a number 1–64` };
    options.servers = Number(v.servers);
  }
  /** @type {[string, 'masterPort' | 'lockPort' | 'tsPort'][]} */
  const portFlags = [
    ['port', 'masterPort'],
    ['lock-port', 'lockPort'],
    ['ts-port', 'tsPort'],
  ];
  for (const [flag, key] of portFlags) {
    if (v[flag] === undefined) continue;
    const p = port(flag, /** @type {string} */ (v[flag]));
    if (p.error !== undefined) return { error: p.error };
    options[key] = p.value;
  }
  if (options.tsPort !== 0 && options.tsPort + options.servers - 1 > 65_535)
    return { error: `--ts-port ${options.tsPort}: ${options.servers} servers need ports up to ${options.tsPort + options.servers - 1}` };
  return { options };
}
