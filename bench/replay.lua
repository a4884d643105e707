-- wrk script for `npm run bench`: replays a file of pre-built (pre-signed) raw HTTP requests,
-- each one exactly once, so the load generator does no signing while the clock runs.
-- BENCH_REQUESTS: file of requests separated by NUL bytes. The run lasts wrk's -d duration;
-- should the file run out first, the thread stops and the result says "exhausted" (its rate
-- would be too low: the caller must use a larger file). BENCH_EXIT_AT: instead, end the whole
-- process after this many responses (a fixed amount of work; wrk's own summary is lost, so
-- one BENCH_COUNT line says what was seen). Every thread takes its own slice of the file
-- (thread k of n: requests k, k+n, k+2n, ...).
local path = os.getenv("BENCH_REQUESTS")
local exitAt = tonumber(os.getenv("BENCH_EXIT_AT") or "0")
-- BENCH_CYCLE=1: start the file over when it runs out (only for servers that check no nonces).
local cycle = os.getenv("BENCH_CYCLE") == "1"
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

reqs = {}
sent = 0
seen = 0
bad = 0
exhausted = 0

function init(args)
  local n = tonumber(os.getenv("BENCH_THREADS") or "1")
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  local pos, k = 1, 0
  while true do
    local s = string.find(data, "\0", pos, true)
    if not s then break end
    if k % n == tid then reqs[#reqs + 1] = string.sub(data, pos, s - 1) end
    k = k + 1
    pos = s + 1
  end
  data = nil
end

function request()
  sent = sent + 1
  if sent > #reqs and cycle then
    -- A baseline that checks no signature: a request sent again is as good as a fresh one.
    sent = 1
  elseif sent > #reqs then
    -- Out of requests: never replay one (it would be refused as a nonce replay).
    exhausted = 1
    wrk.thread:stop()
    sent = #reqs
  end
  return reqs[sent]
end

function response(status, headers, body)
  seen = seen + 1
  if status < 200 or status > 299 then bad = bad + 1 end
  if exitAt > 0 and seen >= exitAt then
    io.write(string.format('BENCH_COUNT {"seen":%d,"non2xx":%d}\n', seen, bad))
    io.flush()
    os.exit(0)
  end
end

function done(summary, latency, requests)
  local non2xx, ex = 0, 0
  for _, t in ipairs(threads) do
    non2xx = non2xx + (t:get("bad") or 0)
    ex = ex + (t:get("exhausted") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"non2xx":%d,"exhausted":%d,"socket_errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, non2xx, ex, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
