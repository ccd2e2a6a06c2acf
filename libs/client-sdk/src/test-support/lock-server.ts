// TEST SUPPORT (not exported): what the tests hold of a running lock
// server (started by embedded-lock-server.ts) and waiting for session events.

import type { LockSession, SessionEvents } from '../lock/lock-session.js';

export interface RunningLockServer {
  readonly url: string;
  readonly dataDir: string;
  /** Stops the server (in-flight long polls are ended) and removes the data directory. */
  close(): Promise<void>;
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
