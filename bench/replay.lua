-- wrk script for `npm run bench`: replays a file of pre-built (pre-signed) raw HTTP requests,
-- each one exactly once, so the load generator does no signing while the clock runs.
-- BENCH_REQUESTS: file of requests separated by NUL bytes; BENCH_LIMIT: stop after this many
-- responses (the file holds a few more, for the connections still in flight at the end).
-- Every thread takes its own slice of the file (thread k of n: requests k, k+n, k+2n, ...).
local path = os.getenv("BENCH_REQUESTS")
local limit = tonumber(os.getenv("BENCH_LIMIT") or "0")
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  thread:set("nthreads", 0) -- fixed below, once every thread is known
  table.insert(threads, thread)
end

reqs = {}
sent = 0
seen = 0
bad = 0

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
  limit = math.floor(limit / n)
end

function request()
  sent = sent + 1
  if sent > #reqs then
    -- Out of requests: never replay one (it would be refused as a nonce replay).
    wrk.thread:stop()
    sent = #reqs
  end
  return reqs[sent]
end

function response(status, headers, body)
  seen = seen + 1
  if status < 200 or status > 299 then bad = bad + 1 end
  if limit > 0 and seen >= limit then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local non2xx = 0
  for _, t in ipairs(threads) do non2xx = non2xx + (t:get("bad") or 0) end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, non2xx, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
