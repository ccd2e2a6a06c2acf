// Lua bodies of the file steps (each runs after the prelude, atomically).
// Paths, sizes and session-id shapes are validated in TypeScript first.

import { PRELUDE } from './prelude.js';

/** ARGV[6] path, [7] contents, [8] ephemeral owner or '' → out(fileReply). */
export const CREATE_FILE_LUA = `${PRELUDE}
local path, contents, owner = ARGV[6], ARGV[7], ARGV[8]
if redis.call('EXISTS', fileKey(path)) == 1 then
  return fail('ALREADY_EXISTS', 'file ' .. path .. ' already exists')
end
if owner ~= '' and redis.call('EXISTS', sessionKey(owner)) == 0 then
  return fail('FAILED_PRECONDITION', 'ephemeral file ' .. path .. ' needs a live session; session ' .. owner .. ' does not exist')
end
local g = emit('created', path)
redis.call('HSET', fileKey(path), 'c', contents, 'g', fmt(g))
if owner ~= '' then
  redis.call('HSET', fileKey(path), 'e', owner)
  redis.call('SADD', ephKey(owner), path)
end
treeAdd(path)
return out(fileReply(path))
`;

/** ARGV[6] path → out(fileReply). */
export const GET_FILE_LUA = `${PRELUDE}
local path = ARGV[6]
if redis.call('EXISTS', fileKey(path)) == 0 then
  return fail('NOT_FOUND', 'file ' .. path .. ' does not exist')
end
return out(fileReply(path))
`;

/** ARGV[6] path, [7] contents, [8] ifGeneration or '' → out(fileReply). */
export const SET_CONTENTS_LUA = `${PRELUDE}
local path, contents, ifGeneration = ARGV[6], ARGV[7], ARGV[8]
local _, refused = checkGeneration(path, ifGeneration)
if refused then return refused end
local ng = emit('changed', path)
redis.call('HSET', fileKey(path), 'c', contents, 'g', fmt(ng))
return out(fileReply(path))
`;

/** ARGV[6] path, [7] ifGeneration or '', [8] caller session or '' → out(). */
export const DELETE_FILE_LUA = `${PRELUDE}
local path, ifGeneration, caller = ARGV[6], ARGV[7], ARGV[8]
local _, refused = checkGeneration(path, ifGeneration)
if refused then return refused end
for _, sid in ipairs(redis.call('HKEYS', holdersKey(path))) do
  if sid ~= caller then
    return fail('FAILED_PRECONDITION', 'file ' .. path .. ' is locked by another session; it can be deleted once that lock is released')
  end
end
removeFile(path)
return out()
`;

/** ARGV[6] directory → out({name, isFile 0|1, hasChildren 0|1}, ...) sorted by name. */
export const LIST_CHILDREN_LUA = `${PRELUDE}
local dir = ARGV[6]
local entries = {}
for _, name in ipairs(redis.call('ZRANGE', dirKey(dir), 0, -1)) do
  local child = childPath(dir, name)
  local isFile = redis.call('EXISTS', fileKey(child))
  local below = tonumber(redis.call('HGET', TREE, child) or '0') - isFile
  local hasChildren = 0
  if below > 0 then hasChildren = 1 end
  table.insert(entries, { name, isFile, hasChildren })
end
return out(entries)
`;
