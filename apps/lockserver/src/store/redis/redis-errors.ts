// Mapping of everything a Redis call can throw onto KdiErrors.
//  - A script's own refusal arrives as a reply error 'KDI <CODE> <message>'
//    and becomes that KdiError (the script changed nothing but expiry).
//  - Redis saying it cannot serve now (LOADING an AOF, READONLY replica,
//    BUSY script, MASTERDOWN, OOM …) is UNAVAILABLE: nothing was applied.
//  - Any other reply error is a bug in a script: INTERNAL.
//  - Anything else (not connected, connection lost mid-call, command
//    timeout) is UNAVAILABLE with the outcome UNKNOWN — the script may or
//    may not have run — and the message says so.

import { KdiError, isErrorCode, isKdiError } from '@kdi/protocol';

const NOT_SERVING = /^(LOADING|READONLY|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|OOM|NOREPLICAS|MISCONF)\b/;

/** Retry hint for UNAVAILABLE answers. */
const RETRY_AFTER_MS = 500;

export function toStoreError(err: unknown, operation: string): KdiError {
  if (isKdiError(err)) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  if (e.name === 'ReplyError') {
    const own = /^KDI ([A-Z_]+) ([\s\S]*)$/.exec(e.message);
    if (own && isErrorCode(own[1])) return new KdiError(own[1], own[2] ?? '');
    if (NOT_SERVING.test(e.message)) {
      return new KdiError('UNAVAILABLE', `Redis cannot serve ${operation} right now (${e.message}); nothing was applied, retry`, {
        retryAfterMs: RETRY_AFTER_MS,
        cause: e,
      });
    }
    return new KdiError('INTERNAL', `lock store ${operation} failed in Redis: ${e.message}`, { cause: e });
  }
  return new KdiError(
    'UNAVAILABLE',
    `Redis did not answer ${operation} (${e.message}); the outcome is unknown — the change may or may not have been applied, so re-read before relying on it`,
    { retryAfterMs: RETRY_AFTER_MS, cause: e },
  );
}
