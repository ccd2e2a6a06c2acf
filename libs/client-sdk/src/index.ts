// @kdi/client-sdk — the only public entry of the SDK (DESIGN §12, §16).
// The table client (connect, DESIGN §12), the master's API (kdi.admin) and the lock-service client
// (DESIGN §8). Imports only @kdi/primitives, @kdi/protocol, undici and
// Node. The clock port (Clock, systemClock, ManualClock) is
// @kdi/primitives'.

export * from './table/index.js';
export * from './admin/index.js';
export { LockClient, type AcquireOptions, type CallOptions, type CreateFileOptions, type OpenSessionOptions, type WatchOptions } from './lock/lock-client.js';
export { LOCK_CLIENT_DEFAULTS, type LockClientOptions } from './lock/lock-client-options.js';
export { LockSession, type SessionEvents, type SessionState } from './lock/lock-session.js';
export { withLock, type LockContext, type LockedFn, type WithLockOptions } from './lock/with-lock.js';
export { watchIter, type WatchItem, type WatchIterOptions, type WatchResetMarker } from './lock/watch-iter.js';
export { SequencerChecker, checkSequencer, type SequencerCheckerOptions } from './lock/sequencer-checker.js';
export { contentsBytes, contentsText, type Contents } from './lock/contents.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './http/retry.js';
export { TypedEmitter, type Listener } from './events/typed-emitter.js';
export * from './meta/index.js';
