// The standalone cluster's lifecycle, in the order that keeps it correct:
//
//   start: lock server → (master, tablet servers ts-1 … ts-N, in parallel)
//          → the master is ready (GET /readyz is 200, GET
//          /v1/meta/location names a server, and META answers a scan there)
//   stop:  tablet servers (in parallel) → master → lock server,
//          each by PID with SIGTERM, waiting for every exit
//
// A master or tablet server that exits 3 lost its lock-service lease (the
// machine slept, or was starved) and asks to be restarted: the launcher
// does what a supervisor would and starts it again with the same settings
// (at most RESTARTS_PER_MINUTE times a minute each). Any other exit while
// the cluster runs is reported with the last lines of its log, and the
// rest are stopped in the same order. Nothing is left running when start
// fails: what did start is stopped before the error is thrown.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LaunchError } from './launch-error.mjs';
import { startServiceProcess } from './service-process.mjs';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 60_000;
/**
 * Lock-service limits for one machine. After an unclean stop (the launcher
 * killed, a second Ctrl-C) the lock server refuses grants for maxTtlMs +
 * lockDelayMs (safe mode); 15 s + 5 s keeps that below the 35 s a tablet
 * server waits for its id, where the defaults (120 s + 10 s) would not. A
 * clean stop leaves no session behind, so the next start has no safe mode.
 */
const LOCK_MAX_TTL_MS = 15_000;
const LOCK_DELAY_MS = 5_000;
/** The exit code of a server that lost its lock-service lease (runService: restart it). */
const LEASE_LOST_EXIT = 3;
const RESTARTS_PER_MINUTE = 5;

/** Each app's own environment prefix: such variables in the launcher's environment reach that app. */
const ENV_PREFIX = { lockserver: 'KDI_LOCK_', master: 'KDI_MASTER_', tabletserver: 'KDI_TS_' };

/**
 * The variables of `environment` that `app` reads (KDI_LOCK_*, KDI_MASTER_*
 * or KDI_TS_*): a user tunes the servers the way each documents, e.g.
 * `KDI_TS_SPLIT_THRESHOLD_BYTES=… npm start`. The launcher's own settings
 * (ports, directories, URLs, secrets) are applied over them.
 */
export function passedThrough(app, environment) {
  const prefix = ENV_PREFIX[app];
  return Object.fromEntries(Object.entries(environment).filter(([k, v]) => prefix !== undefined && k.startsWith(prefix) && v !== undefined));
}

/** The apps the cluster runs (Nx project names), for the build. */
export function clusterApps(options) {
  return ['@kdi/lockserver', '@kdi/tabletserver', ...(options.master ? ['@kdi/master'] : [])];
}

/** The fixed ports the cluster will listen on, with what and which flag changes each. */
export function portPlan(options) {
  return [
    ...(options.master ? [{ port: options.masterPort, what: 'the master', flag: '--port' }] : []),
    { port: options.lockPort, what: 'the lock server', flag: '--lock-port' },
    ...Array.from({ length: options.servers }, (_, i) => ({
      port: options.tsPort === 0 ? 0 : options.tsPort + i,
      what: `tablet server ts-${i + 1}`,
      flag: '--ts-port',
    })),
  ];
}

/**
 * Whether the lock server will start in safe mode: its state file exists
 * and was not marked by a close that left no session behind.
 */
export function lockStoreStoppedUncleanly(lockDir) {
  const file = join(lockDir, 'lock-state.json');
  if (!existsSync(file)) return false;
  try {
    return JSON.parse(readFileSync(file, 'utf8'))?.state?.stoppedIdle !== true;
  } catch {
    return true;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * GET `url`, or POST `body` as JSON to it.
 * @param {string} url
 * @param {unknown} [body]
 * @returns {Promise<{ status: number, body: any }>}
 */
async function getJson(url, body = undefined) {
  try {
    const res = await fetch(url, {
      signal: AbortSignal.timeout(2_000),
      ...(body !== undefined && { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    return { status: res.status, body: await res.json().catch(() => undefined) };
  } catch {
    return { status: 0, body: undefined };
  }
}

export class StandaloneCluster {
  /**
   * @param {{ repoRoot: string, options: object, layout: object, secrets: { lockSecret: string, clusterSecret: string }, say: (line: string) => void, environment?: Record<string, string | undefined> }} deps
   */
  constructor(deps) {
    this.repoRoot = deps.repoRoot;
    this.options = deps.options;
    this.layout = deps.layout;
    this.secrets = deps.secrets;
    this.say = deps.say;
    /** Where KDI_LOCK_* / KDI_MASTER_* / KDI_TS_* settings for the servers come from (default: the launcher's environment). */
    this.environment = deps.environment ?? process.env;
    this.lock = undefined;
    this.master = undefined;
    this.tabletServers = [];
    this.stopping = false;
    this.unexpectedExit = new Promise((resolve) => (this.reportUnexpectedExit = resolve));
  }

  /** Every process started so far, in stop order. */
  processes() {
    return [...this.tabletServers, this.master, this.lock].filter((p) => p !== undefined);
  }

  spawn(name, app, env, restarts = []) {
    const p = startServiceProcess({
      name,
      main: join(this.repoRoot, 'apps', app, 'dist', 'main.js'),
      cwd: this.repoRoot,
      // The launcher's own settings (ports, directories, secrets) win over what the user passes through.
      env: { ...passedThrough(app, this.environment), ...env },
      logFile: join(this.layout.logs, `${name}.log`),
    });
    void p.exited.then(({ code, signal }) => {
      if (this.stopping) return;
      const recent = restarts.filter((t) => Date.now() - t < 60_000);
      if (app !== 'lockserver' && code === LEASE_LOST_EXIT && recent.length < RESTARTS_PER_MINUTE) {
        this.say(`${name} lost its lock-service lease (exit ${LEASE_LOST_EXIT}); starting it again`);
        this.replace(p, this.spawn(name, app, env, [...recent, Date.now()]));
        return;
      }
      this.reportUnexpectedExit({ process: p, code, signal });
    });
    return p;
  }

  /** Puts the restarted process `next` where `previous` was (stop order and ports unchanged). */
  replace(previous, next) {
    if (this.master === previous) this.master = next;
    this.tabletServers = this.tabletServers.map((p) => (p === previous ? next : p));
    void next.started().catch(() => undefined); // an exit before listening is reported through exited
  }

  /** Starts every server and waits until the master has assigned META. Throws a LaunchError (after stopping what started) on failure. */
  async start() {
    const { options, layout, secrets } = this;
    if (lockStoreStoppedUncleanly(layout.lock)) {
      this.say(`the last stop was not clean: the lock server grants no lock for up to ${(LOCK_MAX_TTL_MS + LOCK_DELAY_MS) / 1000} s (safe mode) and the servers wait for it`);
    }
    try {
      this.lock = this.spawn('lockserver', 'lockserver', {
        KDI_LOCK_HOST: HOST,
        KDI_LOCK_PORT: String(options.lockPort),
        KDI_LOCK_BACKEND: 'embedded',
        KDI_LOCK_DATA_DIR: layout.lock,
        KDI_LOCK_CLUSTER_SECRET: secrets.lockSecret,
        KDI_LOCK_MAX_TTL_MS: String(LOCK_MAX_TTL_MS),
        KDI_LOCK_LOCK_DELAY_MS: String(LOCK_DELAY_MS),
      });
      const lockUrl = await this.lock.started();
      this.assertNotStopping();

      if (options.master) {
        this.master = this.spawn('master', 'master', {
          KDI_MASTER_HOST: HOST,
          KDI_MASTER_PORT: String(options.masterPort),
          KDI_MASTER_LOCK_URL: lockUrl,
          KDI_MASTER_LOCK_SECRET: secrets.lockSecret,
          KDI_MASTER_CLUSTER_SECRET: secrets.clusterSecret,
        });
      }
      this.tabletServers = layout.tabletServers.map((ts, i) =>
        this.spawn(ts.id, 'tabletserver', {
          KDI_TS_HOST: HOST,
          KDI_TS_PORT: String(options.tsPort === 0 ? 0 : options.tsPort + i),
          KDI_TS_SERVER_ID: ts.id,
          KDI_TS_DATA_DIR: ts.disks[0],
          ...(ts.disks.length > 1 && { KDI_TS_EXTRA_DATA_DIRS: ts.disks.slice(1).join(',') }),
          KDI_TS_CLUSTER_SECRET: secrets.clusterSecret,
          KDI_TS_LOCK_URL: lockUrl,
          KDI_TS_LOCK_SECRET: secrets.lockSecret,
        }),
      );
      await Promise.all([this.master, ...this.tabletServers].filter((p) => p !== undefined).map((p) => p.started()));
      this.assertNotStopping();
      if (this.master !== undefined) await this.waitForMeta();
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  assertNotStopping() {
    if (this.stopping) throw new LaunchError('stopped while starting', 130);
  }

  /**
   * Polls until the cluster serves: the master is ready, it names META's
   * location, and META answers a one-cell scan there (a location that
   * names a server no longer at that URL is not ready).
   */
  async waitForMeta() {
    const master = this.master;
    if (master === undefined) return;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    /** @type {string | undefined} */
    let last = 'no answer yet';
    for (;;) {
      this.assertNotStopping();
      last = await this.metaProblem(master.url);
      if (last === undefined) return;
      if (Date.now() > deadline) {
        throw new LaunchError(
          `the cluster did not serve META within ${READY_TIMEOUT_MS / 1000} s (last: ${last}); the master's last log lines (${master.logFile}):\n${master.lastLines()}`,
          1,
        );
      }
      await sleep(200);
    }
  }

  /** Why META is not served yet, or undefined when it is. */
  async metaProblem(masterUrl) {
    const describe = (what, r) => `${what}: ${r.status === 0 ? 'no answer' : `${r.status} ${JSON.stringify(r.body)}`}`;
    const ready = await getJson(`${masterUrl}/readyz`);
    if (ready.status !== 200) return describe('GET /readyz', ready);
    const meta = await getJson(`${masterUrl}/v1/meta/location`);
    const location = meta.body?.location;
    if (meta.status !== 200 || location === undefined) return describe('GET /v1/meta/location', meta);
    const scan = await getJson(`${location.url}/v1/tables/META/scan`, { maxCells: 1 });
    if (scan.status !== 200) return describe(`META at ${location.serverId} ${location.url}: POST /v1/tables/META/scan`, scan);
    return undefined;
  }

  /** Stops tablet servers, then the master, then the lock server; each waited for. Safe to call twice. */
  async stop() {
    this.stopping = true;
    await Promise.all(this.tabletServers.map((p) => p.stop()));
    if (this.master !== undefined) await this.master.stop();
    if (this.lock !== undefined) await this.lock.stop();
  }

  /** SIGKILL to every process at once (the second Ctrl-C). */
  async kill() {
    this.stopping = true;
    await Promise.all(this.processes().map((p) => p.kill()));
  }
}
