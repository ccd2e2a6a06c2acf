// One KDI server as a child process of the launcher: `node dist/main.js`
// with its KDI_* environment, in its own process group (so a Ctrl-C in the
// terminal reaches the launcher only, which then stops the servers in
// order), its stdout and stderr appended to DIR/logs/NAME.log. It promises:
//  - started() resolves with the URL of the server's one listening line
//    ({"event":"listening","url":…}, runService), or rejects with a
//    LaunchError quoting the last lines of its log when it exits first;
//  - warnings and errors it logs (pino JSON lines, level ≥ 40) are echoed
//    on the launcher's stderr as `[NAME] WARN message`;
//  - stop() sends SIGTERM to its PID, waits for the exit and sends SIGKILL
//    after the grace period; kill() sends SIGKILL; both by PID only.
// If the launcher dies without stopping them, each server notices within a
// second (parent-watch.mjs, preloaded) and stops itself with SIGTERM.

import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { LaunchError } from './launch-error.mjs';

const PARENT_WATCH = new URL('./parent-watch.mjs', import.meta.url).href;
const LEVELS = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const TAIL_LINES = 25;

/** A log line for people: pino JSON becomes `LEVEL message (error)`; anything else stays as written. */
export function readableLogLine(line) {
  if (!line.startsWith('{')) return line;
  try {
    const j = JSON.parse(line);
    const level = LEVELS[j.level] ?? String(j.level ?? '');
    const err = j.err?.message ?? j.reason ?? j.error;
    return `${level} ${j.msg ?? ''}${err !== undefined ? ` (${typeof err === 'string' ? err : JSON.stringify(err)})` : ''}`.trim();
  } catch {
    return line;
  }
}

function levelOf(line) {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line).level;
  } catch {
    return undefined;
  }
}

/**
 * @param {{ name: string, main: string, env: Record<string,string>, logFile: string, cwd: string, startTimeoutMs?: number, echo?: (line: string) => void }} spec
 */
export function startServiceProcess(spec) {
  const log = createWriteStream(spec.logFile, { flags: 'a' });
  log.write(`--- ${new Date().toISOString()} launcher PID ${process.pid} starts ${spec.name}\n`);
  const child = spawn(process.execPath, ['--import', PARENT_WATCH, spec.main], {
    cwd: spec.cwd,
    env: { PATH: process.env.PATH ?? '', ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const tail = [];
  const echo = spec.echo ?? ((line) => process.stderr.write(`${line}\n`));
  /** @type {(url: string) => void} */
  let listeningResolve = () => {};
  /** @type {Promise<string>} */
  const listening = new Promise((resolve) => (listeningResolve = resolve));
  let url;

  const lines = (stream, onLine) => {
    let partial = '';
    stream.on('data', (chunk) => {
      log.write(chunk);
      partial += chunk.toString('utf8');
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const l of parts) onLine(l);
    });
  };
  lines(child.stdout, (line) => {
    if (url !== undefined || !line.startsWith('{')) return;
    try {
      const j = JSON.parse(line);
      if (j.event === 'listening' && typeof j.url === 'string') {
        url = j.url;
        listeningResolve(url);
      }
    } catch {
      // not the listening line
    }
  });
  lines(child.stderr, (line) => {
    tail.push(readableLogLine(line));
    if (tail.length > TAIL_LINES) tail.shift();
    const level = levelOf(line);
    if (typeof level === 'number' && level >= 40) echo(`[${spec.name}] ${readableLogLine(line)}`);
  });

  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      log.end(`--- ${new Date().toISOString()} ${spec.name} exited with ${signal ?? code}\n`);
      resolve({ code, signal });
    });
  });
  const spawnFailed = new Promise((resolve) => child.once('error', resolve));

  const lastLines = () => (tail.length === 0 ? '  (it wrote nothing)' : tail.map((l) => `  ${l}`).join('\n'));
  const ended = () => child.exitCode !== null || child.signalCode !== null;

  return {
    name: spec.name,
    get pid() {
      return child.pid;
    },
    get url() {
      return url;
    },
    exited,
    lastLines,
    logFile: spec.logFile,
    /** Resolves with the listening URL. */
    async started() {
      const timeoutMs = spec.startTimeoutMs ?? 60_000;
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new LaunchError(`${spec.name} did not start within ${timeoutMs / 1000} s; its last log lines (${spec.logFile}):\n${lastLines()}`, 1)),
          timeoutMs,
        );
      });
      const early = exited.then(({ code, signal }) => {
        const all = tail.join('\n');
        const inUse = /EADDRINUSE[^\n]*?(\d+\.\d+\.\d+\.\d+:\d+)?/.exec(all);
        if (inUse) throw new LaunchError(`${spec.name} could not listen: ${inUse[1] ?? 'its port'} is already in use; stop what holds it or choose another port (see --help)`, 2);
        throw new LaunchError(`${spec.name} exited with ${signal ?? code} before it was ready; its last log lines (${spec.logFile}):\n${lastLines()}`, code === 2 ? 2 : 1);
      });
      const failed = spawnFailed.then((e) => {
        throw new LaunchError(`${spec.name} could not be started: ${e instanceof Error ? e.message : String(e)}`, 1);
      });
      try {
        return await Promise.race([listening, early, timeout, failed]);
      } finally {
        clearTimeout(timer);
      }
    },
    /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it ended. */
    async stop(graceMs = 15_000) {
      if (child.pid !== undefined && !ended()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          if (!ended()) child.kill('SIGKILL');
        }, graceMs);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
    /** SIGKILL at once. */
    async kill() {
      if (child.pid !== undefined && !ended()) child.kill('SIGKILL');
      if (child.pid !== undefined) await exited;
    },
    ended,
  };
}
