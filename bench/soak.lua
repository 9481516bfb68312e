-- Mixed reads and writes for bench/soak.sh, authenticated with a real token:
-- 55% GET a project by id, 20% a filtered list page, 15% create a project,
-- 10% merge-patch a project. Every thread counts the answers that are not
-- 2xx; done() prints the totals soak.sh reads.

local token = os.getenv("TOKEN")
local run = os.getenv("RUN") or "x"
local ids = {}
local threads = {}
local counter = 0
local thread_no = 0

function setup(thread)
  thread_no = thread_no + 1
  thread:set("no", thread_no)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("IDS_FILE")) do
    table.insert(ids, line)
  end
  non2xx = 0
  math.randomseed(os.time() + (no or 0) * 7919)
end

local function headers(json)
  local h = { ["Authorization"] = "Bearer " .. token }
  if json then h["Content-Type"] = json end
  return h
end

function request()
  local roll = math.random(100)
  local id = ids[math.random(#ids)]
  if roll <= 55 then
    return wrk.format("GET", "/api/v1/projects/" .. id, headers())
  elseif roll <= 75 then
    return wrk.format("GET", "/api/v1/projects?status=active&sort=-start_date&limit=20", headers())
  elseif roll <= 90 then
    counter = counter + 1
    local code = string.format("S%s-%d-%d", run, no or 0, counter)
    local body = string.format(
      '{"code":"%s","title":"Soak project %s","status":"active","start_date":"2024-0%d-01"}',
      code, code, math.random(9))
    return wrk.format("POST", "/api/v1/projects", headers("application/json"), body)
  else
    local body = string.format('{"summary":"soak edit %d"}', math.random(1000000))
    return wrk.format("PATCH", "/api/v1/projects/" .. id, headers("application/merge-patch+json"), body)
  end
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
  end
  local socket = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("SOAK requests=%d non2xx=%d socket_errors=%d p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, bad, socket, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
