// The Lua prelude every lock-store script starts with (scripts are
// PRELUDE .. body; ../script-runner.ts lists them). It runs, atomically with the body:
//  (a) the incarnation check: when P meta is missing (Redis lost its data,
//      or this is the very first start — Redis alone cannot tell them
//      apart) or its revision is below the highest one this front end has
//      seen (the data went back in time: an old snapshot or AOF, a lagging
//      replica promoted), a new incarnation starts: a fresh id, the
//      revision counter at Redis TIME in microseconds (so it never goes
//      down), every surviving session dropped, the old event stream
//      deleted, and safe mode until now + the safe-mode window.
//      After a rollback the files keep their rolled-back contents and
//      generations (a compare-and-set against a lost newer generation
//      fails, one against the restored older one succeeds); only a front
//      end that saw the newer revisions can detect it, so production needs
//      appendfsync always (persistence-check.ts warns otherwise);
//  (b) expiry: every session whose deadline ≤ now is dropped with its locks
//      (each freed lock then gets a lock-delay) and its ephemeral files.
// Then the body does its own change.
//
// ARGV (shared by every script):
//   [1] key prefix P   [2] a fresh random id, used if a new incarnation starts
//   [3] highest revision this front end has seen (0 after it starts)
//   [4] safe-mode window in ms (maxTtlMs + lockDelayMs)
//   [5] event retention (stream MAXLEN)
// The body's own arguments start at ARGV[6].
//
// Conventions: numbers written to Redis go through fmt() (Lua's tostring
// would write 1.7e+15); a body refuses a call with
// `return fail(CODE, message)` BEFORE it changes anything (Redis does not
// roll back a script); every successful body returns out(...), whose first
// two elements are the incarnation and the revision.

export const PRELUDE = `
local P = ARGV[1]
local META = P .. 'meta'
local SESSIONS = P .. 'sessions'
local EVENTS = P .. 'events'
local TREE = P .. 'tree'
local RETENTION = ARGV[5]
local function fileKey(path) return P .. 'f:' .. path end
local function holdersKey(path) return P .. 'h:' .. path end
local function dirKey(dir) return P .. 'd:' .. dir end
local function sessionKey(sid) return P .. 's:' .. sid end
local function ephKey(sid) return P .. 'se:' .. sid end
local function locksKey(sid) return P .. 'sl:' .. sid end
local function fmt(n) return string.format('%d', n) end

local clock = redis.call('TIME')
local NOW_US = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local NOW = math.floor(NOW_US / 1000)

local INC, REV, SAFE

local function fail(code, message)
  return redis.error_reply('KDI ' .. code .. ' ' .. message)
end

local function out(...)
  return { INC, REV, ... }
end

local function emit(kind, path)
  REV = redis.call('HINCRBY', META, 'rev', 1)
  redis.call('XADD', EVENTS, 'MAXLEN', RETENTION, fmt(REV) .. '-0', 't', kind, 'p', path)
  return REV
end

local function parentOf(path)
  local i = string.match(path, '^.*()/')
  if i == 1 then return '/' end
  return string.sub(path, 1, i - 1)
end

local function nameOf(path)
  local i = string.match(path, '^.*()/')
  return string.sub(path, i + 1)
end

local function childPath(dir, name)
  if dir == '/' then return '/' .. name end
  return dir .. '/' .. name
end

-- The implicit-directory index: a file at path counts once for path and
-- for every directory above it; a name is listed in its parent while its
-- count is above zero.
local function treeAdd(path)
  local p = path
  while p ~= '/' do
    local parent = parentOf(p)
    if redis.call('HINCRBY', TREE, p, 1) == 1 then
      redis.call('ZADD', dirKey(parent), 0, nameOf(p))
    end
    p = parent
  end
end

local function treeRemove(path)
  local p = path
  while p ~= '/' do
    local parent = parentOf(p)
    if redis.call('HINCRBY', TREE, p, -1) <= 0 then
      redis.call('HDEL', TREE, p)
      redis.call('ZREM', dirKey(parent), nameOf(p))
    end
    p = parent
  end
end

-- The file's generation, or (nil, an error reply) when the file is missing
-- or, with ifGeneration (not ''), has moved on: the compare-and-set check.
local function checkGeneration(path, ifGeneration)
  local g = redis.call('HGET', fileKey(path), 'g')
  if not g then
    return nil, fail('NOT_FOUND', 'file ' .. path .. ' does not exist')
  end
  if ifGeneration ~= '' and g ~= ifGeneration then
    return nil, fail('ABORTED', 'file ' .. path .. ' is at generation ' .. g .. ', not ' .. ifGeneration .. '; read it again')
  end
  return g, nil
end

local function holderGeneration(value)
  return tonumber(string.match(value, '^(%d+)|'))
end

-- Removes sid's hold on path and emits lock-released. With delayUntil (an
-- expiry), no grant of the lock is made before then.
local function releaseHold(sid, path, delayUntil)
  redis.call('SREM', locksKey(sid), path)
  local hk = holdersKey(path)
  if redis.call('HDEL', hk, sid) == 0 then return false end
  local fk = fileKey(path)
  if redis.call('HLEN', hk) == 0 then redis.call('HDEL', fk, 'm') end
  if delayUntil then
    local d = tonumber(redis.call('HGET', fk, 'd') or '0') or 0
    if delayUntil > d then redis.call('HSET', fk, 'd', fmt(delayUntil)) end
  end
  emit('lock-released', path)
  return true
end

-- Deletes a file: every hold on it is dropped (no lock-delay: the file is
-- gone), then the file and its index entries; emits deleted.
local function removeFile(path)
  local fk = fileKey(path)
  local hk = holdersKey(path)
  local holders = redis.call('HKEYS', hk)
  table.sort(holders)
  for _, sid in ipairs(holders) do releaseHold(sid, path, nil) end
  local owner = redis.call('HGET', fk, 'e')
  if owner then redis.call('SREM', ephKey(owner), path) end
  redis.call('DEL', fk, hk)
  treeRemove(path)
  emit('deleted', path)
end

-- Ends a session: its locks released (with the session's lock-delay when
-- it expired), then its ephemeral files deleted, in path order.
local function dropSession(sid, expired)
  local sk = sessionKey(sid)
  local delayUntil = nil
  if expired then delayUntil = NOW + tonumber(redis.call('HGET', sk, 'ld') or '0') end
  local locks = redis.call('SMEMBERS', locksKey(sid))
  table.sort(locks)
  for _, path in ipairs(locks) do releaseHold(sid, path, delayUntil) end
  local eph = redis.call('SMEMBERS', ephKey(sid))
  table.sort(eph)
  for _, path in ipairs(eph) do
    if redis.call('HGET', fileKey(path), 'e') == sid then removeFile(path) end
  end
  redis.call('DEL', sk, locksKey(sid), ephKey(sid))
  redis.call('ZREM', SESSIONS, sid)
end

-- (a) incarnation check
do
  local meta = redis.call('HMGET', META, 'inc', 'rev', 'safe')
  local stored = tonumber(meta[2] or '0') or 0
  local seen = tonumber(ARGV[3]) or 0
  if not meta[1] or stored < seen then
    local start = NOW_US
    if start <= seen then start = seen + 1 end
    if start <= stored then start = stored + 1 end
    INC = ARGV[2]
    REV = start
    SAFE = NOW + tonumber(ARGV[4])
    redis.call('DEL', EVENTS)
    redis.call('HSET', META, 'inc', INC, 'rev', fmt(REV), 'base', fmt(REV), 'safe', fmt(SAFE))
    local survivors = redis.call('ZRANGE', SESSIONS, 0, -1)
    for _, sid in ipairs(survivors) do dropSession(sid, false) end
  else
    INC = meta[1]
    REV = stored
    SAFE = tonumber(meta[3] or '0') or 0
  end
end

-- (b) expiry by deadline
do
  local expired = redis.call('ZRANGEBYSCORE', SESSIONS, '-inf', fmt(NOW))
  for _, sid in ipairs(expired) do dropSession(sid, true) end
end

-- A file as the TypeScript side decodes it (decode.ts):
-- { path, contents, generation, ephemeralOwner or '', mode or '', {holder generations}, lockDelayRemainingMs }
local function fileReply(path)
  local fk = fileKey(path)
  local f = redis.call('HMGET', fk, 'c', 'g', 'e', 'm', 'd')
  local holders = {}
  for _, v in ipairs(redis.call('HVALS', holdersKey(path))) do
    table.insert(holders, holderGeneration(v))
  end
  table.sort(holders)
  local remaining = (tonumber(f[5] or '0') or 0) - NOW
  if remaining < 0 then remaining = 0 end
  return { path, f[1] or '', tonumber(f[2]), f[3] or '', f[4] or '', holders, remaining }
end
`;
