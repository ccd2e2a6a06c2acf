#!/usr/bin/env node
// `npm start`: the standalone KDI cluster in the foreground (DESIGN §1).
// It checks the data directory and the ports, builds what is stale, starts
// a lock server on the embedded store, a master and N tablet servers on
// 127.0.0.1 (src/cluster.mjs), prints their URLs and 'ready', and stays
// until Ctrl-C or SIGTERM, which stop the servers in order; a second
// Ctrl-C (a second apart: npm forwards the terminal's one as well) kills
// them at once. Plain ESM with node:util parseArgs, so it runs before
// anything is built. Exit codes: see src/options.mjs (HELP).

import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from '../src/build.mjs';
import { StandaloneCluster, clusterApps, portPlan } from '../src/cluster.mjs';
import { claimDataDirectory, clusterSecrets, dataLayout, idleServerIds, prepareDirectories } from '../src/data-dir.mjs';
import { LaunchError } from '../src/launch-error.mjs';
import { HELP, parseOptions } from '../src/options.mjs';
import { checkPorts } from '../src/ports.mjs';

const repoRoot = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const say = (line) => process.stdout.write(`${line}\n`);
const complain = (line) => process.stderr.write(`${line}\n`);
/** A repeated signal closer than this is the same Ctrl-C (the terminal's and npm's forwarded copy). */
const SAME_SIGNAL_MS = 1_000;

function shortPath(p) {
  const rel = relative(process.cwd(), p);
  return rel === '' ? '.' : rel.startsWith('..') ? p : `./${rel}`;
}

function printCluster(cluster, startedAt) {
  const { layout } = cluster;
  const rows = [];
  if (cluster.master !== undefined) {
    rows.push(['master', cluster.master.url, `PID ${cluster.master.pid}`]);
    rows.push(['web page', `${cluster.master.url}/`, '']);
    rows.push(['OpenAPI docs', `${cluster.master.url}/docs`, '']);
  }
  rows.push(['lock server', cluster.lock.url, `PID ${cluster.lock.pid}`]);
  for (const ts of cluster.tabletServers) rows.push([`tablet server ${ts.name}`, ts.url, `PID ${ts.pid}`]);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  say(`KDI standalone cluster, data in ${shortPath(layout.root)} (logs in ${shortPath(layout.logs)})`);
  for (const [what, url, pid] of rows) say(`  ${what.padEnd(w0)}  ${url.padEnd(w1)}  ${pid}`.trimEnd());
  if (cluster.master === undefined) say('  (--no-master: nothing assigns tablets, so the cluster serves no table)');
  say(`ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s; Ctrl-C stops the cluster`);
}

async function main() {
  const startedAt = Date.now();
  const parsed = parseOptions(process.argv.slice(2), { repoRoot, cwd: process.env.INIT_CWD ?? process.cwd() });
  if (parsed.help) {
    say(HELP);
    return 0;
  }
  if (parsed.error !== undefined) {
    complain(`kdi-standalone: ${parsed.error}`);
    return 2;
  }
  const options = parsed.options;
  if (options === undefined) return 2;
  if (options.buildOnly) {
    const { built } = await ensureBuilt(repoRoot, clusterApps(options), say);
    say(built ? 'built' : 'already built');
    return 0;
  }

  const layout = dataLayout(options.dataDir, options.servers, options.disks);
  prepareDirectories(layout);
  const release = claimDataDirectory(layout);
  let cluster;
  try {
    const secrets = clusterSecrets(layout);
    const idle = idleServerIds(layout);
    if (idle.length > 0)
      complain(
        `note: ${idle.join(', ')} in ${shortPath(layout.root)} will not run (--servers ${options.servers}); tablets they served are assigned elsewhere or reported unavailable`,
      );
    await checkPorts(portPlan(options));
    if (options.build) await ensureBuilt(repoRoot, clusterApps(options), say);

    cluster = new StandaloneCluster({ repoRoot, options, layout, secrets, say });
    let firstSignalAt;
    const stopped = new Promise((resolveStopped) => {
      const onSignal = (signal) => {
        const now = Date.now();
        if (firstSignalAt === undefined) {
          firstSignalAt = now;
          say(`\n${signal}: stopping the tablet servers, then the master, then the lock server (Ctrl-C again to kill them at once)`);
          resolveStopped(cluster.stop().then(() => 'stopped'));
        } else if (now - firstSignalAt > SAME_SIGNAL_MS) {
          complain(`${signal} again: killing every server now`);
          void cluster.kill().then(() => {
            release();
            process.exit(130);
          });
        }
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });

    try {
      await cluster.start();
    } catch (e) {
      if (firstSignalAt !== undefined) {
        await stopped;
        say('stopped');
        return 0;
      }
      throw e;
    }
    printCluster(cluster, startedAt);

    const outcome = await Promise.race([stopped, cluster.unexpectedExit]);
    if (outcome === 'stopped') {
      say('stopped');
      return 0;
    }
    const { process: gone, code, signal } = outcome;
    complain(`${gone.name} (PID ${gone.pid}) exited unexpectedly with ${signal ?? code}; its last log lines (${gone.logFile}):\n${gone.lastLines()}`);
    complain('stopping the other servers');
    await cluster.stop();
    return 1;
  } finally {
    release();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof LaunchError) {
      complain(`kdi-standalone: ${e.message}`);
      process.exit(e.exitCode);
    }
    complain(`kdi-standalone: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
