// Lua bodies of the read-mostly steps: the event log, status and plain
// expiry. They run the prelude too, so a read never shows a session that
// is past its deadline, nor state from before a data loss.

import { PRELUDE } from './prelude.js';

/**
 * ARGV[6] cursor or '' (none), [7] limit → out(reset 0|1, {revision, type, path}...).
 * Within one incarnation every revision above 'base' is exactly one event,
 * so the kept history is complete after the cursor iff the first kept
 * entry is at most cursor + 1. A cursor below 'base' belongs to an earlier
 * incarnation; one above the revision was never handed out: both reset.
 */
export const READ_EVENTS_LUA = `${PRELUDE}
local after, limit = ARGV[6], tonumber(ARGV[7])
if after == '' then return out(0, {}) end
local cursor = tonumber(after)
local base = tonumber(redis.call('HGET', META, 'base') or '0') or 0
if cursor > REV or cursor < base then return out(1, {}) end
if cursor == REV then return out(0, {}) end
local first = redis.call('XRANGE', EVENTS, '-', '+', 'COUNT', 1)
if #first == 0 then return out(1, {}) end
local firstRev = tonumber(string.match(first[1][1], '^(%d+)-'))
if cursor < firstRev - 1 then return out(1, {}) end
local events = {}
for _, entry in ipairs(redis.call('XRANGE', EVENTS, fmt(cursor + 1) .. '-0', '+', 'COUNT', limit)) do
  local fields = entry[2]
  local kind, path
  for i = 1, #fields, 2 do
    if fields[i] == 't' then kind = fields[i + 1] elseif fields[i] == 'p' then path = fields[i + 1] end
  end
  table.insert(events, { tonumber(string.match(entry[1], '^(%d+)-')), kind, path })
end
return out(0, events)
`;

/** → out(safeModeRemainingMs, sessions). */
export const STATUS_LUA = `${PRELUDE}
local remaining = SAFE - NOW
if remaining < 0 then remaining = 0 end
return out(remaining, redis.call('ZCARD', SESSIONS))
`;

/** → out(): the prelude's expiry alone. */
export const EXPIRE_LUA = `${PRELUDE}
return out()
`;
