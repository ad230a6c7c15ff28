// The Redis backend's Lua scripts: each change that must be atomic is one
// EVAL of one of these (Redis runs a script alone). Keys are built inside
// from the prefix passed as ARGV[1] where a script touches keys it only
// learns there (one Redis, not Redis Cluster). Used by redis_history.cpp
// and redis_accounts.cpp.
#pragma once

#include <string_view>

namespace store::redis_scripts {

// ARGV: prefix, n, then per line target, msgid, at_key, kind, encoded; then m, and per conversation row
// identity, key, peer, latest. Keys are built here from the prefix (one
// Redis, not Redis Cluster). A target whose keys hold another type is
// skipped and counted, never an error that would stall every group. A
// line whose msgid the target has already is skipped as written: every
// node of a cluster that has members in a channel records its lines, with
// the one msgid the line has everywhere, and a group sent again after a
// lost answer may have run.
inline constexpr std::string_view kAppendScript = R"lua(
local p = ARGV[1]
local n = tonumber(ARGV[2])
local i = 3
local added, skipped = 0, 0
local usable = {}
local function fits(t)
  local v = usable[t]
  if v == nil then
    v = true
    for _, part in ipairs({'all', 'msg'}) do
      local ty = redis.call('TYPE', p .. 't:' .. t .. ':' .. part)['ok']
      if ty ~= 'none' and ty ~= 'zset' then v = false end
    end
    for _, part in ipairs({'lines', 'ids'}) do
      local ty = redis.call('TYPE', p .. 't:' .. t .. ':' .. part)['ok']
      if ty ~= 'none' and ty ~= 'hash' then v = false end
    end
    usable[t] = v
  end
  return v
end
-- One INCRBY for the group's sequence numbers and one SADD per target:
-- per line only what the line needs (HSETNX, which is also the check for
-- a msgid kept already, two ZADDs at most and an HSET).
local seq = n > 0 and redis.call('INCRBY', p .. 'seq', n) - n or 0
local targets = {}
for _ = 1, n do
  local t, mid, at, kind, val = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3]), ARGV[i + 4]
  i = i + 5
  seq = seq + 1
  local k = p .. 't:' .. t .. ':'
  local m = at .. string.format('%016x', seq)
  if not fits(t) then
    skipped = skipped + 1
  elseif mid ~= '' and redis.call('HSETNX', k .. 'ids', mid, m) == 0 then
    added = added + 1
  else
    redis.call('ZADD', k .. 'all', 0, m)
    if kind <= 3 then redis.call('ZADD', k .. 'msg', 0, m) end
    redis.call('HSET', k .. 'lines', m, val)
    targets[t] = true
    added = added + 1
  end
end
for t in pairs(targets) do redis.call('SADD', p .. 'targets', t) end
local c = tonumber(ARGV[i])
i = i + 1
for _ = 1, c do
  local ident, key, peer, latest = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  i = i + 4
  local ck = p .. 'conv:' .. ident
  local old = redis.pcall('ZSCORE', ck, key)
  if type(old) ~= 'table' and (not old or tonumber(latest) >= tonumber(old)) then
    if type(redis.pcall('ZADD', ck, latest, key)) == 'number' then
      redis.pcall('HSET', p .. 'peer:' .. ident, key, peer)
      redis.call('SADD', p .. 'idents', ident)
    end
  end
end
return {added, skipped}
)lua";

// ARGV: prefix, target, "age" or "keep", cutoff at_key or how many to keep,
// chunk. Removes at most chunk lines of the target (the oldest first) with
// their msgid entries; how many went.
inline constexpr std::string_view kTrimScript = R"lua(
local tk = ARGV[1] .. 't:' .. ARGV[2] .. ':'
local chunk = tonumber(ARGV[5])
local m = {}
if ARGV[3] == 'age' then
  m = redis.call('ZRANGEBYLEX', tk .. 'all', '-', '(' .. ARGV[4], 'LIMIT', 0, chunk)
else
  local n = redis.call('ZCARD', tk .. 'all') - tonumber(ARGV[4])
  if n > chunk then n = chunk end
  if n > 0 then m = redis.call('ZRANGE', tk .. 'all', 0, n - 1) end
end
for _, x in ipairs(m) do
  local v = redis.call('HGET', tk .. 'lines', x)
  if v then
    local c = string.find(v, ':', 1, true)
    local len = c and tonumber(string.sub(v, 1, c - 1))
    if len then
      local mid = string.sub(v, c + 1, c + len)
      if mid ~= '' and redis.call('HGET', tk .. 'ids', mid) == x then redis.call('HDEL', tk .. 'ids', mid) end
    end
    redis.call('HDEL', tk .. 'lines', x)
  end
  redis.call('ZREM', tk .. 'msg', x)
  redis.call('ZREM', tk .. 'all', x)
end
if redis.call('ZCARD', tk .. 'all') == 0 then
  redis.call('DEL', tk .. 'msg', tk .. 'lines', tk .. 'ids')
  redis.call('SREM', ARGV[1] .. 'targets', ARGV[2])
end
return #m
)lua";

// ARGV: prefix, identity, cutoff: forgets its conversations whose latest
// line is older.
inline constexpr std::string_view kTrimConversationsScript = R"lua(
local ck = ARGV[1] .. 'conv:' .. ARGV[2]
local pk = ARGV[1] .. 'peer:' .. ARGV[2]
local old = redis.call('ZRANGEBYSCORE', ck, '-inf', '(' .. ARGV[3])
for _, k in ipairs(old) do redis.call('HDEL', pk, k) end
if #old > 0 then redis.call('ZREMRANGEBYSCORE', ck, '-inf', '(' .. ARGV[3]) end
if redis.call('ZCARD', ck) == 0 then
  redis.call('DEL', pk)
  redis.call('SREM', ARGV[1] .. 'idents', ARGV[2])
end
return #old
)lua";

// ARGV: prefix, F, name, email, created, salt, iterations, stored_key,
// server_key, kMaxCertsPerAccount, then its fingerprints (folded, distinct).
inline constexpr std::string_view kCreateScript = R"lua(
local p, f = ARGV[1], ARGV[2]
local ak = p .. 'acct:' .. f
if redis.call('EXISTS', ak) == 1 then return 'exists' end
for i = 11, #ARGV do
  local owner = redis.call('HGET', p .. 'certs', ARGV[i])
  if owner and owner ~= f then return 'exists' end
end
if #ARGV - 10 > tonumber(ARGV[10]) then return 'limit' end
redis.call('DEL', ak .. ':certs', ak .. ':chans', ak .. ':marks')
redis.call('HSET', ak, 'name', ARGV[3], 'email', ARGV[4], 'created', ARGV[5], 'salt', ARGV[6],
           'iterations', ARGV[7], 'stored_key', ARGV[8], 'server_key', ARGV[9])
redis.call('SADD', p .. 'accounts', f)
for i = 11, #ARGV do
  redis.call('HSET', p .. 'certs', ARGV[i], f)
  redis.call('SADD', ak .. ':certs', ARGV[i])
end
return 'ok'
)lua";

// KEYS: the account. ARGV: field, value pairs.
inline constexpr std::string_view kUpdateScript = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return 'not_found' end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 'ok'
)lua";

// KEYS: the account, certs, the account's certs. ARGV: fingerprint, F, max.
inline constexpr std::string_view kAddCertScript = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return 'not_found' end
local owner = redis.call('HGET', KEYS[2], ARGV[1])
if owner then
  if owner == ARGV[2] then return 'ok' end
  return 'exists'
end
if redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[3]) then return 'limit' end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[1])
return 'ok'
)lua";

// KEYS: certs, the account's certs. ARGV: fingerprint, F.
inline constexpr std::string_view kDelCertScript = R"lua(
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 'not_found' end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[1])
return 'ok'
)lua";

// ARGV: prefix, F. The account goes with its certificates, channels and
// read markers.
inline constexpr std::string_view kDropScript = R"lua(
local p, f = ARGV[1], ARGV[2]
local ak = p .. 'acct:' .. f
if redis.call('EXISTS', ak) == 0 then return 'not_found' end
for _, fp in ipairs(redis.call('SMEMBERS', ak .. ':certs')) do
  if redis.call('HGET', p .. 'certs', fp) == f then redis.call('HDEL', p .. 'certs', fp) end
end
for _, c in ipairs(redis.call('SMEMBERS', ak .. ':chans')) do
  if redis.call('HGET', p .. 'chanfounder', c) == f then
    redis.call('HDEL', p .. 'channels', c)
    redis.call('HDEL', p .. 'chanfounder', c)
  end
end
redis.call('DEL', ak, ak .. ':certs', ak .. ':chans', ak .. ':marks')
redis.call('SREM', p .. 'accounts', f)
return 'ok'
)lua";

// ARGV: prefix, folded channel, encoded channel, founder F.
inline constexpr std::string_view kSaveChannelScript = R"lua(
local p, c, f = ARGV[1], ARGV[2], ARGV[4]
if redis.call('EXISTS', p .. 'acct:' .. f) == 0 then return 'not_found' end
local old = redis.call('HGET', p .. 'chanfounder', c)
if old and old ~= f then redis.call('SREM', p .. 'acct:' .. old .. ':chans', c) end
redis.call('HSET', p .. 'channels', c, ARGV[3])
redis.call('HSET', p .. 'chanfounder', c, f)
redis.call('SADD', p .. 'acct:' .. f .. ':chans', c)
return 'ok'
)lua";

// ARGV: prefix, folded channel.
inline constexpr std::string_view kDropChannelScript = R"lua(
local p, c = ARGV[1], ARGV[2]
if redis.call('HDEL', p .. 'channels', c) == 0 then return 'not_found' end
local old = redis.call('HGET', p .. 'chanfounder', c)
redis.call('HDEL', p .. 'chanfounder', c)
if old then redis.call('SREM', p .. 'acct:' .. old .. ':chans', c) end
return 'ok'
)lua";

// KEYS: the account, its markers. ARGV: target, at, kMaxReadMarkers. Only
// forward; past the limit the marker furthest back (ties: by target) goes,
// never the one just set. Answers the time kept (nil: no such account).
inline constexpr std::string_view kSetMarkerScript = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local old = redis.call('ZSCORE', KEYS[2], ARGV[1])
if old and tonumber(old) >= tonumber(ARGV[2]) then return old end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
if over > 0 then
  for _, t in ipairs(redis.call('ZRANGE', KEYS[2], 0, over)) do
    if over > 0 and t ~= ARGV[1] then
      redis.call('ZREM', KEYS[2], t)
      over = over - 1
    end
  end
end
return redis.call('ZSCORE', KEYS[2], ARGV[1])
)lua";

}  // namespace store::redis_scripts
