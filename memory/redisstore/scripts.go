package redisstore

import (
	"context"
	"crypto/sha1"
	"encoding/hex"

	"github.com/redis/rueidis"
)

// Every write is one Lua script, so that a record, its index entries and
// its expiry appear together or not at all. The scripts name the user's
// per-record keys from the user's key prefix (ARGV "up"): all of them carry
// the user's hash tag, so they live in the slot of the declared KEYS, which
// is what Redis Cluster requires. Forget needs this too: it deletes the keys
// its indexes list, which no caller could declare.
//
// Expiry is judged two ways. Whether a record is live for the caller (a
// conflict, SetOutcome, Forget's counts) follows the store's clock, passed
// as ARGV now. Pruning follows the server's clock (TIME), the one PEXPIREAT
// follows: an index entry goes only once its record is gone, so Forget
// never misses a key that Redis still holds.

// The scripts share these Lua functions; each script takes the ones it
// uses, since Redis runs a script's definitions on every call.
const (
	luaTime = `
local function server_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Index keys and blocks expire after their latest member, rounded up to the
-- hour: their own expiry then changes about once an hour, not on every
-- write, and a cached block list is not invalidated by each new record.
local function up_hour(ms) return math.ceil(ms / 3600000) * 3600000 end
-- extend gives keys, which share one expiry that only moves later, the
-- expiry at if they end sooner; checking the first one is enough.
local function extend(at, keys)
  if redis.call('PEXPIRETIME', keys[1]) < at then
    for _, k in ipairs(keys) do redis.call('PEXPIREAT', k, at) end
  end
end
`
	luaTail = `
local function netstr(s) return #s .. ':' .. s end
-- tail is the changing part of a candidate: outcome, then score pairs.
local function tail(outcome, scores)
  local t = {netstr(outcome)}
  for i = 1, #scores, 2 do t[#t + 1] = netstr(scores[i]) .. netstr(scores[i + 1]) end
  return table.concat(t)
end
`
	luaDrop = `
-- drop_iv removes the intervention whose ivx member is m from everywhere.
-- A block it empties leaves hd, and meta forgets its expiry, so that the
-- next record in it puts it back.
local function drop_iv(up, ivt, ivx, hd, meta, m)
  local blk = tostring(tonumber(string.sub(m, 1, 8), 16))
  local id = string.sub(m, 25)
  redis.call('ZREM', ivt, string.sub(m, 9))
  redis.call('ZREM', ivx, m)
  local bk = up .. 'b:' .. blk
  redis.call('HDEL', bk, id)
  if redis.call('EXISTS', bk) == 0 then
    redis.call('ZREM', hd, blk)
    if redis.call('HGET', meta, 'cur') == blk then redis.call('HDEL', meta, 'at') end
  end
  redis.call('UNLINK', up .. 'iv:' .. id)
end
`
)

// putIntervention: KEYS rec ivt ivx hd meta; ARGV now, expires, lex member,
// id, head, doc, args, outcome, up, block capacity, score pairs…
// Returns 0 if the user has a live intervention with the id.
//
// It prunes before it adds: up to 256 records that Redis has expired leave
// the indexes and their blocks, so no write stalls the server and none of
// the indexes grows without bound.
var putIntervention = newScript(luaTime+luaTail+luaDrop, `
local rec, ivt, ivx, hd, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local exp, lex, id, up = ARGV[2], ARGV[3], ARGV[4], ARGV[9]
local old = redis.call('HMGET', rec, 'x', 'm')
if old[1] then
  if tonumber(old[1]) > tonumber(ARGV[1]) then return 0 end
  drop_iv(up, ivt, ivx, hd, meta, old[2])
end
local now = server_ms()
for _, m in ipairs(redis.call('ZRANGEBYSCORE', ivx, '-inf', '(' .. now, 'LIMIT', 0, 256)) do
  drop_iv(up, ivt, ivx, hd, meta, m)
end
-- Already expired by the server's clock: PEXPIREAT would drop the record at
-- once, and must not leave a block or index entry behind.
if tonumber(exp) <= now then return 1 end
-- meta: cur, the block being filled; n, how many records went into it; at,
-- its expiry, which is its score in hd.
local st = redis.call('HMGET', meta, 'cur', 'n', 'at')
local cur, n, bat = tonumber(st[1] or '0'), tonumber(st[2] or '0'), tonumber(st[3] or '0')
if n >= tonumber(ARGV[10]) then cur, n, bat = cur + 1, 0, 0 end
local m = string.format('%08x', cur) .. lex
local scores = {}
for i = 11, #ARGV do scores[#scores + 1] = ARGV[i] end
local f = {'c', ARGV[5], 'j', ARGV[6], 'o', ARGV[8], 'x', exp, 'm', m}
if ARGV[7] ~= '' then f[#f + 1] = 'a'; f[#f + 1] = ARGV[7] end
for i = 1, #scores, 2 do f[#f + 1] = 's:' .. scores[i]; f[#f + 1] = scores[i + 1] end
redis.call('HSET', rec, unpack(f))
redis.call('PEXPIREAT', rec, exp)
redis.call('ZADD', ivt, 0, lex)
redis.call('ZADD', ivx, exp, m)
local bk = up .. 'b:' .. cur
redis.call('HSET', bk, id, ARGV[5] .. tail(ARGV[8], scores))
-- Only a new block or a later expiry changes hd, so most writes leave the
-- cached hd alone.
local at = up_hour(tonumber(exp))
if at > bat then
  redis.call('ZADD', hd, at, cur)
  redis.call('PEXPIREAT', bk, at)
  extend(at, {hd})
  redis.call('HSET', meta, 'cur', cur, 'n', n + 1, 'at', at)
else
  redis.call('HSET', meta, 'cur', cur, 'n', n + 1)
end
extend(at, {ivx, ivt, meta})
return 1
`)

// setOutcome: KEYS rec; ARGV now, outcome, up, id, score pairs…
// HSET merges the scores field by field and leaves the key's expiry alone.
// Returns the updated hash, or nil if there is no live record.
var setOutcome = newScript(luaTail, `
local rec = KEYS[1]
local x = redis.call('HGET', rec, 'x')
if not x or tonumber(x) <= tonumber(ARGV[1]) then return false end
local f = {'o', ARGV[2]}
for i = 5, #ARGV, 2 do f[#f + 1] = 's:' .. ARGV[i]; f[#f + 1] = ARGV[i + 1] end
redis.call('HSET', rec, unpack(f))
local kv = redis.call('HGETALL', rec)
local h, o, m, scores = '', '', '', {}
for i = 1, #kv, 2 do
  local k = kv[i]
  if k == 'c' then h = kv[i + 1] elseif k == 'o' then o = kv[i + 1] elseif k == 'm' then m = kv[i + 1]
  elseif string.sub(k, 1, 2) == 's:' then scores[#scores + 1] = string.sub(k, 3); scores[#scores + 1] = kv[i + 1] end
end
local bk = ARGV[3] .. 'b:' .. tostring(tonumber(string.sub(m, 1, 8), 16))
if redis.call('HEXISTS', bk, ARGV[4]) == 1 then redis.call('HSET', bk, ARGV[4], h .. tail(o, scores)) end
return kv
`)

// putReflection: KEYS rec rft rfx; ARGV now, expires, lex member, doc, up.
// Returns 0 if the user has a live reflection with the id. Prunes like
// putIntervention.
var putReflection = newScript(luaTime, `
local rec, rft, rfx, up = KEYS[1], KEYS[2], KEYS[3], ARGV[5]
local old = redis.call('HMGET', rec, 'x', 'm')
if old[1] then
  if tonumber(old[1]) > tonumber(ARGV[1]) then return 0 end
  redis.call('ZREM', rft, old[2])
  redis.call('ZREM', rfx, old[2])
end
for _, m in ipairs(redis.call('ZRANGEBYSCORE', rfx, '-inf', '(' .. server_ms(), 'LIMIT', 0, 256)) do
  redis.call('ZREM', rft, m)
  redis.call('ZREM', rfx, m)
  redis.call('UNLINK', up .. 'rf:' .. string.sub(m, 17))
end
redis.call('HSET', rec, 'd', ARGV[4], 'x', ARGV[2], 'm', ARGV[3])
redis.call('PEXPIREAT', rec, ARGV[2])
redis.call('ZADD', rft, 0, ARGV[3])
redis.call('ZADD', rfx, ARGV[2], ARGV[3])
extend(up_hour(tonumber(ARGV[2])), {rfx, rft})
return 1
`)

// putSession: KEYS rec ssx; ARGV now, expected version, doc, expires, sid.
// Compare-and-set: returns 0 unless the live stored version (0 if none) is
// the expected one. ssx only holds session ids, so ZREMRANGEBYSCORE trims
// it whole.
var putSession = newScript(luaTime, `
local rec, ssx = KEYS[1], KEYS[2]
local cur = redis.call('HMGET', rec, 'v', 'x')
local v = 0
if cur[1] and tonumber(cur[2]) > tonumber(ARGV[1]) then v = tonumber(cur[1]) end
if v ~= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', rec, 'd', ARGV[3], 'v', v + 1, 'x', ARGV[4])
redis.call('PEXPIREAT', rec, ARGV[4])
redis.call('ZADD', ssx, ARGV[4], ARGV[5])
redis.call('ZREMRANGEBYSCORE', ssx, '-inf', '(' .. server_ms())
extend(up_hour(tonumber(ARGV[4])), {ssx})
return 1
`)

// forget: KEYS ivt ivx hd meta rft rfx ssx pf; ARGV now, up.
// Deletes every key the indexes list and the indexes; counts the records
// that were live by the store's clock. O(records of the user).
var forget = newScript("", `
local now, up = tonumber(ARGV[1]), ARGV[2]
local function drop(idx, key_of)
  local n, all = 0, redis.call('ZRANGE', idx, 0, -1, 'WITHSCORES')
  for i = 1, #all, 2 do
    if redis.call('UNLINK', key_of(all[i])) == 1 and tonumber(all[i + 1]) > now then n = n + 1 end
  end
  return n
end
local ivs = drop(KEYS[2], function(m) return up .. 'iv:' .. string.sub(m, 25) end)
drop(KEYS[3], function(b) return up .. 'b:' .. b end)
local rfs = drop(KEYS[6], function(m) return up .. 'rf:' .. string.sub(m, 17) end)
local sss = drop(KEYS[7], function(sid) return up .. 'ss:' .. sid end)
local pfs = redis.call('UNLINK', KEYS[8])
redis.call('UNLINK', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7])
return {ivs, rfs, pfs, sss}
`)

// script is a Lua script and its SHA1, for EVALSHA.
type script struct{ src, sha string }

func newScript(lib, body string) *script {
	src := lib + body
	sum := sha1.Sum([]byte(src))
	return &script{src: src, sha: hex.EncodeToString(sum[:])}
}

// call is one script call: its keys and args, commands to send with it in
// the same round trip, and the key of a barrier read (or "").
//
// The barrier is why the scripts do not go through rueidis.Lua.Exec. Redis
// sends the invalidations a write causes to the connection that wrote it
// after the write's reply (redis#9422), so a Candidates right after a write
// could still hit the stale cached block. A read of a key of the user,
// pipelined behind the script on the same connection, is answered after
// those invalidations, which rueidis applies as it reads them: once the
// call returns, this process reads its own writes. It only works if the
// cached reads use that connection too; see Open.
type call struct {
	keys, args []string
	with       func() []rueidis.Completed
	barrier    string
}

// exec runs sc in one round trip with c's other commands, by EVALSHA, or
// by EVAL if the server does not know the script yet. It returns the
// script's result, or the error of another command of the round trip.
func (s *Store) exec(ctx context.Context, sc *script, c call) (rueidis.RedisResult, error) {
	for _, bySHA := range []bool{true, false} {
		// The script goes first: a standalone client sends a DoMulti down
		// the connection of its first command's slot.
		cmds := []rueidis.Completed{s.eval(sc, c, bySHA)}
		if c.barrier != "" {
			cmds = append(cmds, s.c.B().Pttl().Key(c.barrier).Build())
		}
		if c.with != nil {
			cmds = append(cmds, c.with()...)
		}
		res := s.c.DoMulti(ctx, cmds...)
		if re, ok := rueidis.IsRedisErr(res[0].Error()); bySHA && ok && re.IsNoScript() {
			continue
		}
		for _, r := range res[1:] {
			if err := r.Error(); err != nil {
				return res[0], err
			}
		}
		return res[0], nil
	}
	panic("unreachable")
}

func (s *Store) eval(sc *script, c call, bySHA bool) rueidis.Completed {
	n := int64(len(c.keys))
	if bySHA {
		return s.c.B().Evalsha().Sha1(sc.sha).Numkeys(n).Key(c.keys...).Arg(c.args...).Build()
	}
	return s.c.B().Eval().Script(sc.src).Numkeys(n).Key(c.keys...).Arg(c.args...).Build()
}

// addUser puts the user in the set Totals walks. It rides along with the
// user's writes; SADD of a member already there changes nothing.
func (s *Store) addUser(userID string) func() []rueidis.Completed {
	return func() []rueidis.Completed {
		return []rueidis.Completed{s.c.B().Sadd().Key(s.users).Member(userID).Build()}
	}
}
