// Lua bodies of the session steps (each runs after the prelude, atomically).

import { PRELUDE } from './prelude.js';

/** ARGV[6] new session id, [7] ttl ms, [8] lock-delay ms → out(ttl, lockDelay). */
export const OPEN_SESSION_LUA = `${PRELUDE}
local sid, ttl, ld = ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8])
if redis.call('EXISTS', sessionKey(sid)) == 1 then
  return fail('INTERNAL', 'session id collision; retry')
end
redis.call('HSET', sessionKey(sid), 'ttl', fmt(ttl), 'ld', fmt(ld), 'dl', fmt(NOW + ttl))
redis.call('ZADD', SESSIONS, fmt(NOW + ttl), sid)
return out(ttl, ld)
`;

/** ARGV[6] session id → out(ttl, lockDelay); the deadline moves to now + ttl. */
export const KEEP_ALIVE_LUA = `${PRELUDE}
local sid = ARGV[6]
local s = redis.call('HMGET', sessionKey(sid), 'ttl', 'ld')
if not s[1] then
  return fail('NOT_FOUND', 'session ' .. sid .. ' does not exist (it expired or was closed); open a new one')
end
local ttl = tonumber(s[1])
redis.call('HSET', sessionKey(sid), 'dl', fmt(NOW + ttl))
redis.call('ZADD', SESSIONS, fmt(NOW + ttl), sid)
return out(ttl, tonumber(s[2]))
`;

/** ARGV[6] session id → out(); its locks released without lock-delay, ephemeral files deleted. */
export const CLOSE_SESSION_LUA = `${PRELUDE}
local sid = ARGV[6]
if redis.call('EXISTS', sessionKey(sid)) == 0 then
  return fail('NOT_FOUND', 'session ' .. sid .. ' does not exist (it expired or was closed)')
end
dropSession(sid, false)
return out()
`;
