package queue

import "github.com/redis/go-redis/v9"

// The Lua scripts of the Redis frontier. Each touches the keys of one site
// (one Cluster slot) and gets every key through KEYS. Times are
// milliseconds since the epoch from the caller's clock (ARGV now), except
// lease age, which Redis measures itself (stream idle time).
//
// Shared helpers, prepended to every script:
//   - ensure(key): create the stream and its group "mw" from id 0.
//   - bump(runs, counts): apply per-run counter deltas to the runs hash.
//   - idle(runs, counts, now): stamp RUN·i for each run of counts that has nothing queued or leased here.
//   - cancelled(runs, run, cache): whether the run is cancelled (RUN·cancelled set in the runs hash).
//   - held(key, id, consumer): whether the entry is leased to consumer.
//   - trim(key): drop acked entries from a stream.  split(s, n): the n parts of a delayed member or dead value.
const luaHelpers = `
local SEP = "\31"
local function ensure(key, made)
  if made[key] then return end
  if redis.call('EXISTS', key) == 0 then
    redis.call('XGROUP', 'CREATE', key, 'mw', '0', 'MKSTREAM')
  end
  made[key] = true
end
local function count(counts, run, field, delta)
  local c = counts[run]
  if not c then c = {} counts[run] = c end
  c[field] = (c[field] or 0) + delta
end
local function bump(runs, counts)
  for run, c in pairs(counts) do
    for field, delta in pairs(c) do
      if delta ~= 0 then redis.call('HINCRBY', runs, run .. SEP .. field, delta) end
    end
  end
end
local function idle(runs, counts, now)
  for run, _ in pairs(counts) do
    local v = redis.call('HMGET', runs, run .. SEP .. 'q', run .. SEP .. 'l')
    if tonumber(v[1] or 0) <= 0 and tonumber(v[2] or 0) <= 0 then
      redis.call('HSET', runs, run .. SEP .. 'i', now)
    end
  end
end
local function trim(key)
  -- Acked entries stay in the stream until trimmed: everything older
  -- than the oldest pending entry (or, with none pending, up to the last
  -- delivered one) has been acked and can go. One XTRIM per call is far
  -- cheaper than an XDEL per acked entry.
  local p = redis.call('XPENDING', key, 'mw')
  local minid = p[2]
  if not minid then
    for _, g in ipairs(redis.call('XINFO', 'GROUPS', key)) do
      local name, last
      for j = 1, #g, 2 do
        if g[j] == 'name' then name = g[j+1] elseif g[j] == 'last-delivered-id' then last = g[j+1] end
      end
      if name == 'mw' and last then
        local ms, seq = string.match(last, '^(%d+)-(%d+)$')
        if ms then minid = ms .. '-' .. (tonumber(seq) + 1) end
      end
    end
  end
  if minid then redis.call('XTRIM', key, 'MINID', '~', minid) end
end
local function cancelled(runs, run, cache)
  local c = cache[run]
  if c == nil then
    c = redis.call('HEXISTS', runs, run .. SEP .. 'cancelled') == 1
    cache[run] = c
  end
  return c
end
local function held(key, id, consumer)
  -- whether the entry is pending for (leased to) consumer; a stream or
  -- group that is gone (lost in a failover) holds nothing
  local p = redis.pcall('XPENDING', key, 'mw', id, id, 1, consumer)
  return type(p) == 'table' and p.err == nil and #p > 0
end
local function heldAll(key, ids, lo, hi, consumer)
  -- the ids of ids (all within lo..hi) leased to consumer: one XPENDING
  -- over their range (a batch leased together is mostly contiguous), or
  -- one per id when the consumer holds too many others in that range
  local limit = 4 * #ids + 64
  local p = redis.pcall('XPENDING', key, 'mw', lo, hi, limit, consumer)
  local mine = {}
  if type(p) ~= 'table' or p.err then return mine end
  if #p < limit then
    local set = {}
    for _, e in ipairs(p) do set[e[1]] = true end
    for _, id in ipairs(ids) do if set[id] then mine[#mine + 1] = id end end
    return mine
  end
  for _, id in ipairs(ids) do
    if held(key, id, consumer) then mine[#mine + 1] = id end
  end
  return mine
end
local function split(s, parts)
  -- The last part is the rest of s: a payload may contain SEP bytes.
  local out = {}
  local from = 1
  for i = 1, parts - 1 do
    local at = string.find(s, SEP, from, true)
    if not at then break end
    out[#out + 1] = string.sub(s, from, at - 1)
    from = at + 1
  end
  out[#out + 1] = string.sub(s, from)
  return out
end
`

// addScript queues new tasks of one site and one run, dropping those whose
// canonical URL the run has already seen, and all of them when the run is
// cancelled. Tasks come in sections of one band and one not-before time
// (consecutive tasks alike share a section, order kept), so each task
// costs two arguments.
//
//	KEYS[1]     seen set of the run       mw:{s:SITE}:seen:RUN
//	KEYS[2]     runs hash                 mw:{s:SITE}:runs
//	KEYS[3]     delayed zset              mw:{s:SITE}:delayed
//	KEYS[4..19] streams of bands 0..15    mw:{s:SITE}:q:BAND
//	ARGV[1] now (ms)  ARGV[2] seen-set TTL (ms)  ARGV[3] run
//	ARGV[4..] sections: band, not-before (ms, 0: none), n, then n pairs of
//	          dedup hash and payload
//	returns the number of tasks queued
var addScript = redis.NewScript(luaHelpers + `
local now, run = tonumber(ARGV[1]), ARGV[3]
if redis.call('HEXISTS', KEYS[2], run .. SEP .. 'cancelled') == 1 then return 0 end
local hashes = {}
local i = 4
while i <= #ARGV do
  local cnt = tonumber(ARGV[i+2])
  for j = i + 3, i + 1 + 2 * cnt, 2 do hashes[#hashes + 1] = ARGV[j] end
  i = i + 3 + 2 * cnt
end
local present = redis.call('SMISMEMBER', KEYS[1], unpack(hashes))
local made, n, k, fresh, inbatch = {}, 0, 0, {}, {}
i = 4
while i <= #ARGV do
  local b, nb, cnt = tonumber(ARGV[i]), tonumber(ARGV[i+1]), tonumber(ARGV[i+2])
  local key, delayed = KEYS[4 + b], nb > now
  for j = i + 3, i + 1 + 2 * cnt, 2 do
    k = k + 1
    local h = ARGV[j]
    if present[k] == 0 and not inbatch[h] then
      inbatch[h] = true
      fresh[#fresh + 1] = h
      if delayed then
        redis.call('ZADD', KEYS[3], nb, b .. SEP .. run .. SEP .. ARGV[j+1])
      else
        ensure(key, made)
        redis.call('XADD', key, '*', 'r', run, 't', ARGV[j+1])
      end
      n = n + 1
    end
  end
  i = i + 3 + 2 * cnt
end
if #fresh > 0 then redis.call('SADD', KEYS[1], unpack(fresh)) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if n > 0 then redis.call('HINCRBY', KEYS[2], run .. SEP .. 'q', n) end
return n
`)

// leaseScript leases up to max tasks of one site, highest band first. It
// first moves due delayed tasks into their streams, then takes tokens from
// the site's bucket: with none left it leases nothing and says how long
// until the next token, so the caller can try another site. Tasks of a
// cancelled run met on the way (added between CancelRun's flag and its
// sweep of the streams) are dropped, not leased, and cost no token.
//
// A lease is a request with an id of its own (KEYS[20], the request's
// record): the entries it leased are recorded there (band:id, for ARGV[6]
// ms), and the same request run again, because its reply was lost with a
// connection (a failover) and the client repeated it, answers with those
// entries (the ones still leased to the consumer), not with new ones.
// Otherwise the first entries would stay pending for a worker that never
// heard of them until their lease expired. The record is written with the
// lease, so a master that dies loses both or neither.
//
//	KEYS[1]     runs hash      KEYS[2] delayed zset     KEYS[3] bucket hash
//	KEYS[4..19] streams of bands 0..15   KEYS[20] the request's record
//	ARGV[1] now (ms)  ARGV[2] max  ARGV[3] consumer
//	ARGV[4] rate (tokens/s, 0: unlimited)  ARGV[5] burst
//	ARGV[6] how long the request's record is kept (ms)
//	returns {status, band1, id1, run1, payload1, ...}; status 0: ok (maybe
//	no tasks), -1: rate limited, -2: the site is paused (PauseSite: the
//	bucket's paused_until); then the second element is the wait in ms
var leaseScript = redis.NewScript(luaHelpers + `
local now, max, consumer = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local rate, burst = tonumber(ARGV[4]), tonumber(ARGV[5])
local prev = redis.call('GET', KEYS[20])
if prev then
  local out = {0}
  for b, id in string.gmatch(prev, '(%d+):([^,]+)') do
    local key = KEYS[4 + tonumber(b)]
    if held(key, id, consumer) then
      local e = redis.call('XRANGE', key, id, id)[1]
      if e then
        local run, payload
        for j = 1, #e[2], 2 do
          if e[2][j] == 'r' then run = e[2][j+1] elseif e[2][j] == 't' then payload = e[2][j+1] end
        end
        out[#out + 1] = tonumber(b)
        out[#out + 1] = id
        out[#out + 1] = run
        out[#out + 1] = payload
      end
    end
  end
  return out
end
local made, stopped, counts, dropped = {}, {}, {}, false
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1000)
for _, m in ipairs(due) do
  local p = split(m, 3)
  if cancelled(KEYS[1], p[2], stopped) then
    count(counts, p[2], 'q', -1)
    count(counts, p[2], 'c', 1)
    dropped = true
  else
    local key = KEYS[4 + tonumber(p[1])]
    ensure(key, made)
    redis.call('XADD', key, '*', 'r', p[2], 't', p[3])
  end
  redis.call('ZREM', KEYS[2], m)
end
local paused = tonumber(redis.call('HGET', KEYS[3], 'paused_until') or '0') or 0
if paused > now then -- a blocked site's circuit breaker (pause.go)
  if dropped then
    bump(KEYS[1], counts)
    idle(KEYS[1], counts, now)
  end
  return {-2, paused - now}
end
local tokens
if rate > 0 then
  local b = redis.call('HMGET', KEYS[3], 'tokens', 'ts')
  tokens = tonumber(b[1]) or burst
  local ts = tonumber(b[2]) or now
  if now > ts then
    tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
    ts = now
  end
  redis.call('HSET', KEYS[3], 'tokens', tostring(tokens), 'ts', ts)
  redis.call('PEXPIRE', KEYS[3], 86400000)
  if tokens < 1 then
    if dropped then
      bump(KEYS[1], counts)
      idle(KEYS[1], counts, now)
    end
    return {-1, math.ceil((1 - tokens) * 1000 / rate)}
  end
  max = math.min(max, math.floor(tokens))
end
local out, got, leased = {0}, 0, {}
for b = 15, 0, -1 do
  if got >= max then break end
  local key = KEYS[4 + b]
  if redis.call('EXISTS', key) == 1 then
    while got < max do
      local want = max - got
      local res = redis.call('XREADGROUP', 'GROUP', 'mw', consumer, 'COUNT', want, 'STREAMS', key, '>')
      if not res then break end
      local entries = res[1][2]
      for _, e in ipairs(entries) do
        local f = e[2]
        local run, payload = f[2], f[4]
        if f[1] ~= 'r' or f[3] ~= 't' then -- entries are written r, t; just in case
          for j = 1, #f, 2 do
            if f[j] == 'r' then run = f[j+1] elseif f[j] == 't' then payload = f[j+1] end
          end
        end
        count(counts, run, 'q', -1)
        if cancelled(KEYS[1], run, stopped) then
          redis.call('XACK', key, 'mw', e[1])
          redis.call('XDEL', key, e[1])
          count(counts, run, 'c', 1)
          dropped = true
        else
          out[#out + 1] = b
          out[#out + 1] = e[1]
          out[#out + 1] = run
          out[#out + 1] = payload
          count(counts, run, 'l', 1)
          got = got + 1
          leased[#leased + 1] = b .. ':' .. e[1]
        end
      end
      if #entries < want then break end
    end
  end
end
if rate > 0 and got > 0 then
  redis.call('HSET', KEYS[3], 'tokens', tostring(tokens - got))
end
if got > 0 then
  redis.call('SET', KEYS[20], table.concat(leased, ','), 'PX', ARGV[6])
end
bump(KEYS[1], counts)
if dropped then idle(KEYS[1], counts, now) end
return out
`)

// ackScript acknowledges leased tasks of one site, then trims the acked
// entries from the streams it touched. Tasks come in groups of one stream
// and one run, each acked with one XACK, so a batch costs a few calls
// rather than one per task and the run's counters stay exact. Only entries
// pending for the calling consumer are acked: XACK itself does not check
// who holds a lease, and after a failover that lost a lease (the entry
// delivered again, to another worker, under the same id) a late ack would
// clear the other worker's lease.
//
//	KEYS[1] runs hash   KEYS[2..] the streams of the groups
//	ARGV[1] now (ms)    ARGV[2] consumer
//	ARGV[3..] per group: index of its stream in KEYS, run, n, the lowest and
//	          highest of its ids, n stream ids
//	returns per group the number acked (fewer than n: the other leases
//	were lost, already acked or recovered)
var ackScript = redis.NewScript(luaHelpers + `
local out, counts, touched, consumer = {}, {}, {}, ARGV[2]
local i = 3
while i <= #ARGV do
  local key, run, n = KEYS[tonumber(ARGV[i])], ARGV[i+1], tonumber(ARGV[i+2])
  local mine = heldAll(key, {unpack(ARGV, i + 5, i + 4 + n)}, ARGV[i+3], ARGV[i+4], consumer)
  local acked = 0
  if #mine > 0 then acked = redis.call('XACK', key, 'mw', unpack(mine)) end
  if acked > 0 then
    touched[key] = true
    count(counts, run, 'l', -acked)
    count(counts, run, 'd', acked)
  end
  out[#out + 1] = acked
  i = i + 5 + n
end
for key, _ in pairs(touched) do trim(key) end
bump(KEYS[1], counts)
idle(KEYS[1], counts, ARGV[1])
return out
`)

// extendScript renews the leases of tasks of one stream that the calling
// consumer holds (XCLAIM with min-idle 0 resets the idle time; JUSTID
// leaves the delivery count alone). A lease another consumer holds is not
// taken over.
//
//	KEYS[1] the stream  ARGV[1] consumer  ARGV[2..] stream ids
//	returns the ids extended
var extendScript = redis.NewScript(luaHelpers + `
local mine = {}
for i = 2, #ARGV do
  if held(KEYS[1], ARGV[i], ARGV[1]) then mine[#mine + 1] = ARGV[i] end
end
if #mine == 0 then return {} end
mine[#mine + 1] = 'JUSTID' -- unpack expands to all its values only as the last argument
return redis.call('XCLAIM', KEYS[1], 'mw', ARGV[1], 0, unpack(mine))
`)

// nackScript records a failed attempt of one leased task: it goes to the
// delayed zset for a retry or to the dead-letter hash. A retry of a
// cancelled run's task is dropped instead (counted cancelled).
//
//	KEYS[1] runs hash  KEYS[2] delayed zset  KEYS[3] dead hash  KEYS[4] the task's stream
//	ARGV[1] now (ms)  ARGV[2] stream id  ARGV[3] run  ARGV[4] band
//	ARGV[5] payload (attempt and last error updated)  ARGV[6] "retry" or "dead"
//	ARGV[7] not-before (ms) of the retry  ARGV[8] task id (the dead-letter key)
//	ARGV[9] consumer (only its own lease is nacked)
//	returns 1, or 0 when the lease was lost
var nackScript = redis.NewScript(luaHelpers + `
if not held(KEYS[4], ARGV[2], ARGV[9]) then return 0 end
if redis.call('XACK', KEYS[4], 'mw', ARGV[2]) == 0 then return 0 end
redis.call('XDEL', KEYS[4], ARGV[2])
local counts = {}
count(counts, ARGV[3], 'l', -1)
count(counts, ARGV[3], 'f', 1)
if ARGV[6] == 'retry' and cancelled(KEYS[1], ARGV[3], {}) then
  count(counts, ARGV[3], 'c', 1)
elseif ARGV[6] == 'retry' then
  redis.call('ZADD', KEYS[2], ARGV[7], ARGV[4] .. SEP .. ARGV[3] .. SEP .. ARGV[5])
  count(counts, ARGV[3], 'q', 1)
else
  redis.call('HSET', KEYS[3], ARGV[8], ARGV[4] .. SEP .. ARGV[3] .. SEP .. ARGV[1] .. SEP .. ARGV[5])
  count(counts, ARGV[3], 'x', 1)
end
bump(KEYS[1], counts)
idle(KEYS[1], counts, ARGV[1])
return 1
`)

// releaseScript gives leased tasks of one site back untouched: each is
// acked and added again at the end of its stream (a new id); a cancelled
// run's task is dropped instead (counted cancelled). Only the calling
// consumer's own leases are released.
//
//	KEYS[1] runs hash   KEYS[1+i] the stream of task i
//	ARGV[1] now (ms)    ARGV[2] consumer
//	ARGV[2i+1], ARGV[2i+2] task i's stream id and run
//	returns one 1 (released) or 0 (lease lost) per task
var releaseScript = redis.NewScript(luaHelpers + `
local out, counts, stopped, consumer = {}, {}, {}, ARGV[2]
for i = 2, #KEYS do
  local id, run = ARGV[2*i-1], ARGV[2*i]
  local e = redis.call('XRANGE', KEYS[i], id, id)
  if #e == 1 and held(KEYS[i], id, consumer) and redis.call('XACK', KEYS[i], 'mw', id) == 1 then
    redis.call('XDEL', KEYS[i], id)
    count(counts, run, 'l', -1)
    if cancelled(KEYS[1], run, stopped) then
      count(counts, run, 'c', 1)
    else
      redis.call('XADD', KEYS[i], '*', unpack(e[1][2]))
      count(counts, run, 'q', 1)
    end
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
bump(KEYS[1], counts)
idle(KEYS[1], counts, ARGV[1])
return out
`)

// recoverScript re-queues the tasks of one site whose lease expired (idle in
// the group's pending list for at least the lease length): each is acked
// and added again at the end of its stream, with its attempt unchanged. A
// cancelled run's task is dropped instead (counted cancelled).
//
//	KEYS[1] runs hash   KEYS[2..17] streams of bands 0..15
//	ARGV[1] lease (ms)  ARGV[2] max tasks to recover  ARGV[3] consumer
//	ARGV[4] now (ms)
//	returns the number of tasks recovered (dropped ones included)
var recoverScript = redis.NewScript(luaHelpers + `
local n, counts, stopped, max = 0, {}, {}, tonumber(ARGV[2])
for b = 2, #KEYS do
  if n >= max then break end
  if redis.call('EXISTS', KEYS[b]) == 1 then
    local res = redis.call('XAUTOCLAIM', KEYS[b], 'mw', ARGV[3], ARGV[1], '0-0', 'COUNT', max - n)
    for _, e in ipairs(res[2]) do
      if type(e) == 'table' and type(e[2]) == 'table' then
        redis.call('XACK', KEYS[b], 'mw', e[1])
        redis.call('XDEL', KEYS[b], e[1])
        local run
        for j = 1, #e[2], 2 do if e[2][j] == 'r' then run = e[2][j+1] end end
        count(counts, run, 'l', -1)
        if cancelled(KEYS[1], run, stopped) then
          count(counts, run, 'c', 1)
        else
          redis.call('XADD', KEYS[b], '*', unpack(e[2]))
          count(counts, run, 'q', 1)
        end
        n = n + 1
      end
    end
  end
end
bump(KEYS[1], counts)
idle(KEYS[1], counts, ARGV[4])
return n
`)

// requeueScript moves dead letters of one site back to their streams.
// A cancelled run's letters stay where they are.
//
//	KEYS[1] runs hash  KEYS[2] dead hash  KEYS[3..18] streams of bands 0..15
//	ARGV[1+4i..4+4i] per task: dead-letter id, band, run, payload (attempt reset)
//	returns the number requeued (a letter already gone is skipped)
var requeueScript = redis.NewScript(luaHelpers + `
local n, counts, made, stopped = 0, {}, {}, {}
for i = 1, #ARGV, 4 do
  if not cancelled(KEYS[1], ARGV[i+2], stopped) and redis.call('HDEL', KEYS[2], ARGV[i]) == 1 then
    local key = KEYS[3 + tonumber(ARGV[i+1])]
    ensure(key, made)
    redis.call('XADD', key, '*', 'r', ARGV[i+2], 't', ARGV[i+3])
    count(counts, ARGV[i+2], 'x', -1)
    count(counts, ARGV[i+2], 'q', 1)
    n = n + 1
  end
end
bump(KEYS[1], counts)
return n
`)

// cancelScript cancels a run on one site: it sets RUN·cancelled (from then
// on addScript refuses the run's tasks and the other scripts drop them
// where they would queue them again), then removes the run's queued tasks,
// a bounded slice at a time: the not yet delivered part of each band's
// stream (after the group's last-delivered id), then the delayed zset.
// Leased tasks are left to finish. The caller repeats the call with the
// returned step and cursor until the step is 17.
//
//	KEYS[1] runs hash  KEYS[2] delayed zset  KEYS[3..18] streams of bands 0..15
//	ARGV[1] now (ms)   ARGV[2] run
//	ARGV[3] step: 0..15 a band's stream, 16 the delayed zset
//	ARGV[4] cursor within the step: "(ID" to scan a stream after ID, a ZSCAN
//	        cursor for the delayed zset; "" to start the step
//	ARGV[5] budget: about how many entries one call may look at
//	returns {dropped, next step (17: done), next cursor}
var cancelScript = redis.NewScript(luaHelpers + `
local now, run, step, cursor, budget = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
redis.call('HSETNX', KEYS[1], run .. SEP .. 'cancelled', now)
local n, looked = 0, 0
while step <= 16 and looked < budget do
  if step <= 15 then
    local key = KEYS[3 + step]
    if redis.call('EXISTS', key) == 0 then
      step, cursor = step + 1, ''
    else
      if cursor == '' then
        cursor = '-'
        for _, g in ipairs(redis.call('XINFO', 'GROUPS', key)) do
          local name, last
          for j = 1, #g, 2 do
            if g[j] == 'name' then name = g[j+1] elseif g[j] == 'last-delivered-id' then last = g[j+1] end
          end
          if name == 'mw' and last and last ~= '0-0' then cursor = '(' .. last end
        end
      end
      local want = budget - looked
      local entries = redis.call('XRANGE', key, cursor, '+', 'COUNT', want)
      for _, e in ipairs(entries) do
        local f = e[2]
        for j = 1, #f, 2 do
          if f[j] == 'r' and f[j+1] == run then n = n + redis.call('XDEL', key, e[1]) end
        end
        cursor = '(' .. e[1]
      end
      looked = looked + #entries + 1
      if #entries < want then step, cursor = step + 1, '' end
    end
  else
    if cursor == '' then cursor = '0' end
    local res = redis.call('ZSCAN', KEYS[2], cursor, 'COUNT', budget - looked)
    local members = res[2]
    for i = 1, #members, 2 do
      if split(members[i], 3)[2] == run then n = n + redis.call('ZREM', KEYS[2], members[i]) end
    end
    looked = looked + #members / 2 + 1
    if res[1] == '0' then step, cursor = 17, '' else cursor = res[1] end
  end
end
local counts = {}
count(counts, run, 'q', -n)
count(counts, run, 'c', n)
bump(KEYS[1], counts)
idle(KEYS[1], counts, now)
return {n, step, cursor}
`)

// checkLeaseScript records a worker's lease as the fleet's when none is
// recorded yet and, when the worker's lease is the fleet's, registers it in
// the worker registry in the same step: `queue lease --set` (setLeaseScript)
// then sees it alive and cannot change the lease under it.
//
//	KEYS[1] fleet lease (string)  KEYS[2] worker registry zset
//	ARGV[1] the worker's lease (ms)  ARGV[2] consumer  ARGV[3] now (ms)
//	returns the fleet's lease as recorded (ms, a string)
var checkLeaseScript = redis.NewScript(`
redis.call('SET', KEYS[1], ARGV[1], 'NX')
local fleet = redis.call('GET', KEYS[1])
if fleet == ARGV[1] then redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2]) end
return fleet
`)

// setLeaseScript changes the fleet's lease unless a worker is alive (a
// heartbeat within aliveLeases leases of now, measured in the current
// fleet lease), or when forced.
//
//	KEYS[1] fleet lease (string)  KEYS[2] worker registry zset
//	ARGV[1] new lease (ms)  ARGV[2] now (ms)  ARGV[3] lease assumed when none is recorded (ms)
//	ARGV[4] "force" or ""  ARGV[5] alive window in leases  ARGV[6] most worker names to return
//	returns {set (1 or 0), old lease (ms, "" when none), live workers, names of up to ARGV[6] of them...}
var setLeaseScript = redis.NewScript(`
local old = redis.call('GET', KEYS[1])
local lease = tonumber(old) or tonumber(ARGV[3])
local since = tonumber(ARGV[2]) - tonumber(ARGV[5]) * lease
local alive = redis.call('ZCOUNT', KEYS[2], since, '+inf')
local names = redis.call('ZRANGEBYSCORE', KEYS[2], since, '+inf', 'LIMIT', 0, tonumber(ARGV[6]))
local set = 0
if alive == 0 or ARGV[4] == 'force' then
  redis.call('SET', KEYS[1], ARGV[1])
  set = 1
end
return {set, old or '', alive, unpack(names)}
`)
