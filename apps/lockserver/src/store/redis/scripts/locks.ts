// Lua bodies of the lock steps (each runs after the prelude, atomically).

import { PRELUDE } from './prelude.js';

/**
 * ARGV[6] session, [7] path, [8] mode, [9] requestId →
 * out(1, generation, mode) on a grant, out(0, reason, retryAfterMs) on a refusal.
 * A retry (same session, requestId and mode) of a grant that still holds
 * gets that grant back without a new revision; any other acquire by a
 * session that holds the lock is FAILED_PRECONDITION (no re-entry, no
 * upgrade or downgrade). Refusals in order: safe-mode, held, lock-delay;
 * a lock-delay blocks every grant on the file.
 */
export const ACQUIRE_LUA = `${PRELUDE}
local sid, path, mode, requestId = ARGV[6], ARGV[7], ARGV[8], ARGV[9]
if redis.call('EXISTS', sessionKey(sid)) == 0 then
  return fail('NOT_FOUND', 'session ' .. sid .. ' does not exist (it expired or was closed); open a new one')
end
local fk, hk = fileKey(path), holdersKey(path)
if redis.call('EXISTS', fk) == 0 then
  return fail('NOT_FOUND', 'file ' .. path .. ' does not exist; create it before locking it')
end
local held = redis.call('HGET', fk, 'm')
local mine = redis.call('HGET', hk, sid)
if mine then
  local g, grantedFor = string.match(mine, '^(%d+)|(.*)$')
  if held == mode and grantedFor == requestId then return out(1, tonumber(g), held) end
  return fail('FAILED_PRECONDITION', 'session ' .. sid .. ' already holds ' .. path .. ' in ' .. tostring(held) .. ' mode (request ' .. grantedFor .. '); release it before acquiring it again')
end
if NOW < SAFE then return out(0, 'safe-mode', SAFE - NOW) end
if held and (held == 'exclusive' or mode == 'exclusive') then return out(0, 'held', 0) end
local d = tonumber(redis.call('HGET', fk, 'd') or '0') or 0
if d > NOW then return out(0, 'lock-delay', d - NOW) end
local g = emit('lock-acquired', path)
redis.call('HSET', hk, sid, fmt(g) .. '|' .. requestId)
redis.call('HSET', fk, 'm', mode)
redis.call('SADD', locksKey(sid), path)
return out(1, g, mode)
`;

/** ARGV[6] session, [7] path → out(1) when the session's hold was released, out(0) when it held none. */
export const RELEASE_LUA = `${PRELUDE}
if redis.call('EXISTS', sessionKey(ARGV[6])) == 0 then
  return fail('NOT_FOUND', 'session ' .. ARGV[6] .. ' does not exist (it expired or was closed); its locks are already released')
end
if releaseHold(ARGV[6], ARGV[7], nil) then return out(1) end
return out(0)
`;

/** ARGV[6] path, [7] mode, [8] generation → out(1) or out(0, reason). */
export const VALIDATE_LUA = `${PRELUDE}
local path, mode, generation = ARGV[6], ARGV[7], tonumber(ARGV[8])
if redis.call('EXISTS', fileKey(path)) == 0 then return out(0, 'the file ' .. path .. ' no longer exists') end
local newest = -1
for _, v in ipairs(redis.call('HVALS', holdersKey(path))) do
  local g = holderGeneration(v)
  if g == generation then
    local held = redis.call('HGET', fileKey(path), 'm')
    if held == mode then return out(1) end
    return out(0, 'held in ' .. held .. ' mode, not ' .. mode)
  end
  if g > newest then newest = g end
end
if newest > generation then return out(0, 'held at a newer generation') end
if newest >= 0 then return out(0, 'held by another grant') end
return out(0, 'not held')
`;
