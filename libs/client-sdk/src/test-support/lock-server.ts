// TEST SUPPORT (not exported): runs a real lock server in-process on
// 127.0.0.1 with a random port and its own temp data directory. The test
// file supplies `build` (it alone imports apps/lockserver, so the SDK's
// build never compiles the server), this module the listening and cleanup.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LockSession, SessionEvents } from '../lock/lock-session.js';

/** What a Fastify instance offers that the harness needs. */
export interface ListenableApp {
  listen(opts: { port: number; host: string }): Promise<string>;
  close(): Promise<unknown>;
}

export interface RunningLockServer {
  readonly url: string;
  readonly dataDir: string;
  /** Stops listening (in-flight long polls are ended) and removes the data directory. */
  close(): Promise<void>;
}

export interface BuiltServer {
  readonly app: ListenableApp;
  /** Runs after the app has closed (e.g. closing its store). */
  readonly cleanup?: () => Promise<void>;
}

export async function startLockServer(build: (dataDir: string) => Promise<BuiltServer>): Promise<RunningLockServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kdi-lock-client-'));
  let built: BuiltServer;
  try {
    built = await build(dataDir);
  } catch (e) {
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
  const url = await built.app.listen({ port: 0, host: '127.0.0.1' });
  let closed = false;
  return {
    url,
    dataDir,
    close: async () => {
      if (closed) return;
      closed = true;
      await built.app.close();
      await built.cleanup?.();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resolves with the next payload of `event`, or rejects after `timeoutMs` of real time. */
export function nextEvent<K extends keyof SessionEvents>(session: LockSession, event: K, timeoutMs = 20_000): Promise<SessionEvents[K]> {
  return new Promise((resolve, reject) => {
    const listener = (payload: SessionEvents[K]): void => {
      session.off(event, listener);
      clearTimeout(timer);
      resolve(payload);
    };
    const timer = setTimeout(() => {
      session.off(event, listener);
      reject(new Error(`no '${String(event)}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    session.on(event, listener);
  });
}
