// TEST SUPPORT entry point, `@kdi/client-sdk/test-support` (resolved through
// the `kdi-source` condition only: it is never built nor published). Other
// packages' tests import it by this name, never by a relative path into
// libs/client-sdk (module boundaries).

export { type LockServerLimits, type LockServerOverrides, startEmbeddedLockServer } from './embedded-lock-server.js';
export { type FaultAction, FaultProxy } from './fault-proxy.js';
export { nextEvent, type RunningLockServer } from './lock-server.js';
