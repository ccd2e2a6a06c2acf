// What `kdi` prints and exits with when a command fails (exit-codes.ts):
// usage errors point at the command's help; an unreachable cluster says how
// to start one; the cluster's own errors print their KdiError code. Pure.

import { isKdiError, type KdiError } from '@kdi/protocol';
import { UsageError } from './args/usage-error.js';
import { EXIT, type ExitCode } from './exit-codes.js';

export interface Failure {
  readonly exit: ExitCode;
  /** Printed on stderr. */
  readonly message: string;
}

/** Network error codes meaning the request found nobody listening or no route. */
const UNREACHABLE_CAUSES = /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|UND_ERR_SOCKET)$/;

/** The network failure behind `e` (itself, or the last failure a deadline reports), if any. */
function networkCause(e: KdiError): string | undefined {
  for (let cur: unknown = e, depth = 0; isKdiError(cur) && depth < 4; depth++) {
    const cause = cur.details?.['cause'];
    if (cur.code === 'UNAVAILABLE' && typeof cause === 'string' && UNREACHABLE_CAUSES.test(cause)) return cause;
    cur = cur.cause;
  }
  return undefined;
}

export function describeFailure(e: unknown, master: string): Failure {
  if (e instanceof UsageError) {
    const help = e.command === '' ? 'kdi help' : `kdi help ${e.command}`;
    return { exit: EXIT.USAGE, message: `kdi: ${e.message}\nRun \`${help}\` for usage.` };
  }
  if (isKdiError(e)) {
    const cause = networkCause(e);
    if (cause !== undefined) {
      const atMaster = e.message.includes(master);
      const where = atMaster ? `the KDI master at ${master}` : 'a KDI server';
      const hint = atMaster
        ? `Is the cluster running? Start it with npm start, or point kdi at it with --master URL or KDI_MASTER.`
        : `The master named it; it may have just died (its tablets move to another server within the lock-delay) — try again shortly, and see kdi servers.`;
      return { exit: EXIT.UNREACHABLE, message: `kdi: cannot reach ${where} (${cause}).\n${hint}\n(${e.code}: ${e.message})` };
    }
    const id = e.requestId !== undefined ? ` (request ${e.requestId})` : '';
    const hint =
      e.code === 'UNAUTHENTICATED' || e.code === 'PERMISSION_DENIED'
        ? '\nPass a token with the needed role: --token TOKEN or KDI_TOKEN.'
        : e.retryable
          ? '\nThis error is temporary; try again.'
          : '';
    return { exit: e.code === 'NOT_FOUND' ? EXIT.NOT_FOUND : EXIT.SERVER_ERROR, message: `kdi: ${e.code}: ${e.message}${id}${hint}` };
  }
  const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
  return { exit: EXIT.SERVER_ERROR, message: `kdi: unexpected failure (a bug in kdi; please report it):\n${text}` };
}
