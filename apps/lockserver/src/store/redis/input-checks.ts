// Checks of the arguments of RedisLockStore calls, done before anything is
// sent to Redis: bad input is a KdiError whose message says what to fix,
// and nothing stored is touched.

import { KdiError, lockPathProblem, type LockMode } from '@kdi/protocol';
import { DEFAULT_LOCK_STORE_LIMITS, type LockStoreLimits } from '../lock-store.js';

/** The TTL of a session opened without one (then clamped to the limits). */
export const DEFAULT_SESSION_TTL_MS = 10_000;
const MAX_REQUEST_ID_LENGTH = 128;
/** Most events one readEvents call returns. */
export const MAX_EVENTS_PER_READ = 10_000;

const SESSION_ID = /^[0-9a-f]{32}$/;

const invalid = (message: string): KdiError => new KdiError('INVALID_ARGUMENT', message);

export function resolveLimits(partial: Partial<LockStoreLimits> | undefined): LockStoreLimits {
  const limits: LockStoreLimits = { ...DEFAULT_LOCK_STORE_LIMITS, ...partial };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 0) throw invalid(`limits.${name} must be a non-negative integer, got ${String(value)}`);
  }
  if (limits.minTtlMs < 1) throw invalid('limits.minTtlMs must be at least 1');
  if (limits.maxTtlMs < limits.minTtlMs) throw invalid(`limits.maxTtlMs (${limits.maxTtlMs}) must be at least limits.minTtlMs (${limits.minTtlMs})`);
  if (limits.eventRetention < 1) throw invalid('limits.eventRetention must be at least 1');
  return limits;
}

/** The lease to grant: the asked TTL (or the default) clamped to [minTtlMs, maxTtlMs]. */
export function grantedTtl(ttlMs: number | undefined, limits: LockStoreLimits): number {
  if (ttlMs !== undefined && (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0)) {
    throw invalid(`ttlMs must be a positive number of milliseconds, got ${String(ttlMs)}`);
  }
  const asked = Math.round(ttlMs ?? DEFAULT_SESSION_TTL_MS);
  return Math.min(limits.maxTtlMs, Math.max(limits.minTtlMs, asked));
}

export function checkFilePath(path: string): void {
  const problem = lockPathProblem(path);
  if (problem) throw invalid(problem);
}

export function checkDirPath(dir: string): void {
  const problem = lockPathProblem(dir, { allowRoot: true });
  if (problem) throw invalid(problem);
}

export function checkContents(contents: Uint8Array, limits: LockStoreLimits): void {
  if (!(contents instanceof Uint8Array)) throw invalid('contents must be bytes (a Uint8Array)');
  if (contents.length > limits.maxContentsBytes) {
    throw invalid(`contents are ${contents.length} bytes; the limit is ${limits.maxContentsBytes} bytes`);
  }
}

export function checkGeneration(value: number | undefined, field: string): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
    throw invalid(`${field} must be a non-negative integer, got ${String(value)}`);
  }
}

export function checkMode(mode: LockMode): void {
  if (mode !== 'exclusive' && mode !== 'shared') throw invalid(`mode must be 'exclusive' or 'shared', got ${JSON.stringify(mode)}`);
}

export function checkRequestId(requestId: string): void {
  if (typeof requestId !== 'string' || requestId.length === 0 || requestId.length > MAX_REQUEST_ID_LENGTH) {
    throw invalid(`requestId must be 1-${MAX_REQUEST_ID_LENGTH} characters`);
  }
}

/** Session ids are 32 lowercase hex digits; anything else names no session. */
export function isSessionIdShape(sessionId: string): boolean {
  return typeof sessionId === 'string' && SESSION_ID.test(sessionId);
}

export function unknownSession(sessionId: string): KdiError {
  return new KdiError('NOT_FOUND', `session ${JSON.stringify(sessionId)} does not exist (it expired or was closed); open a new one`);
}

export function checkReadLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) throw invalid(`limit must be a positive integer, got ${String(limit)}`);
  return Math.min(limit, MAX_EVENTS_PER_READ);
}
