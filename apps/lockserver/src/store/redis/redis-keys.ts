// The Redis data model of the lock store. Every key starts with the store's
// prefix P (default 'kdi:lock:'); the Lua prelude (scripts/prelude.ts)
// builds the same names — this file and that one must agree.
//
//   P meta            hash   inc   incarnation id (random; a new one whenever
//                                  the data was lost or rolled back)
//                             rev   revision counter (HINCRBY, one per event)
//                             base  the revision this incarnation started at
//                                   (Redis TIME in microseconds: above every
//                                   revision handed out before, unless an
//                                   earlier incarnation made >1M changes/s)
//                             safe  grants refused until this ms timestamp
//   P events          stream one entry per event, ID '<revision>-0',
//                             fields t (type) and p (path); trimmed exactly
//                             to eventRetention entries (MAXLEN N)
//   P sessions        zset   sessionId → lease deadline (ms, Redis TIME)
//   P s:<sid>         hash   ttl, ld (lock-delay for its locks), dl (deadline)
//   P se:<sid>        set    paths of the session's ephemeral files
//   P sl:<sid>        set    paths of the locks the session holds
//   P f:<path>        hash   c (contents, raw bytes), g (generation),
//                            e (ephemeral owner session), m (lock mode while
//                            held), d (lock-delay-until ms: no grant before;
//                            set when a holder's session expires)
//   P h:<path>        hash   lock holders: sessionId → '<generation>|<requestId>'
//   P tree            hash   path → number of files at or below it (implicit
//                            directories: an entry exists while count > 0)
//   P d:<dir>         zset   names of the dir's children (score 0; ZRANGE is
//                            byte order = name order for lock-path characters)
//
// Keys are built inside the Lua scripts from the prefix (paths are dynamic),
// so the store needs ONE Redis (a primary, possibly with replicas for
// failover) and is not Redis-Cluster-ready: the keys of one step do not
// share a hash slot.

export const DEFAULT_KEY_PREFIX = 'kdi:lock:';

/** Key names the TypeScript side uses directly (the event tail reads the stream). */
export function redisKeys(prefix: string): { readonly meta: string; readonly events: string } {
  return { meta: `${prefix}meta`, events: `${prefix}events` };
}

/** Why a key prefix is unusable, or undefined. */
export function keyPrefixProblem(prefix: string): string | undefined {
  if (prefix.length === 0 || prefix.length > 64) return 'keyPrefix must be 1-64 characters';
  if (!/^[A-Za-z0-9:._{}-]+$/.test(prefix)) return 'keyPrefix may only use [A-Za-z0-9:._{}-]';
  return undefined;
}
