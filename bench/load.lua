-- The workloads of bench/run.sh for wrk, picked by WORKLOAD, authenticated
-- with a real bearer token (TOKEN). Ids follow bench/seed.py, so nothing is
-- read back first:
--   W0       GET /health
--   W1       GET /api/v1/projects/{id}, ids random over PROJECTS
--   W2       GET /api/v1/projects?status=active&sort=-start_date&limit=20
--   W2deep   the same, continued from CURSOR (a cursor N rows in)
--   W3       POST /api/v1/projects, every body distinct
--   W4       PATCH /api/v1/projects/{id} with If-Match; each thread edits its
--            own share of the ids, so a 412 would be a bug, not a race
--   W5       GET /api/v1/activities?project_id=&from=&to=&limit=20, random
--            projects among the first ACTIVITY_PROJECTS
--   W2v/W2p  W2 as an organisation-wide viewer / as a partner member of one
--            project (TOKEN is theirs)
--   W5v/W5p  W5 for project 1 only (the partner's), random windows, as the
--            viewer / the partner
--   R1       GET /api/v1/reports/participation?project_id=&group_by=quarter,
--            random projects among the first ACTIVITY_PROJECTS
-- done() prints one RESULT line that run.sh parses: requests, duration,
-- answers that were not 2xx, socket errors, p50 and p99.

local workload = os.getenv("WORKLOAD")
local token = "Bearer " .. os.getenv("TOKEN")
local projects = tonumber(os.getenv("PROJECTS") or "0")
local activity_projects = tonumber(os.getenv("ACTIVITY_PROJECTS") or "0")
local cursor = os.getenv("CURSOR") or ""
local run = os.getenv("RUN") or "0"
-- wrk's -t; each thread runs in a Lua state of its own, so it is told.
local thread_total = tonumber(os.getenv("THREADS") or "2")
-- W4's slice of the ids.
local first = tonumber(os.getenv("FIRST") or "1")
local count = tonumber(os.getenv("COUNT") or os.getenv("PROJECTS") or "0")

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("no", thread_count)
  table.insert(threads, thread)
end

local counter = 0
local versions = {}
local next_id = 0

function init(args)
  non2xx = 0
  math.randomseed(os.time() * 1000 + (no or 0) * 7919)
  next_id = no or 1
end

local function project_id(n)
  return string.format("00000000-0000-0000-0000-%012x", n)
end

local get_headers = { ["Authorization"] = token }
local json_headers = { ["Authorization"] = token, ["Content-Type"] = "application/json" }

function request()
  if workload == "W0" then
    return wrk.format("GET", "/health")
  elseif workload == "W1" then
    return wrk.format("GET", "/api/v1/projects/" .. project_id(math.random(projects)), get_headers)
  elseif workload == "W2" or workload == "W2v" or workload == "W2p" then
    return wrk.format("GET", "/api/v1/projects?status=active&sort=-start_date&limit=20", get_headers)
  elseif workload == "W2deep" then
    return wrk.format("GET", "/api/v1/projects?status=active&sort=-start_date&limit=20&cursor=" .. cursor, get_headers)
  elseif workload == "W3" then
    counter = counter + 1
    local code = string.format("W3-%s-%d-%d", run, no, counter)
    local body = string.format(
      '{"code":"%s","title":"Benchmark project %s","status":"active","start_date":"2024-%02d-%02d"}',
      code, code, math.random(12), math.random(28))
    return wrk.format("POST", "/api/v1/projects", json_headers, body)
  elseif workload == "W4" then
    -- This run owns ids FIRST .. FIRST+COUNT-1 (no other run touches them, so
    -- every record starts at version 1); thread k of T edits FIRST+k-1,
    -- FIRST+k-1+T, ... in turn, and after a wrap sends the version the last
    -- answer carried.
    local n = first + next_id - 1
    next_id = next_id + thread_total
    if next_id > count then next_id = no end
    local id = project_id(n)
    local headers = {
      ["Authorization"] = token,
      ["Content-Type"] = "application/merge-patch+json",
      ["If-Match"] = '"' .. (versions[id] or 1) .. '"',
    }
    return wrk.format("PATCH", "/api/v1/projects/" .. id, headers,
      string.format('{"summary":"edited by the benchmark %d"}', math.random(1000000)))
  elseif workload == "R1" then
    return wrk.format("GET", string.format(
      "/api/v1/reports/participation?project_id=%s&group_by=quarter", project_id(math.random(activity_projects))),
      get_headers)
  elseif workload == "W5" or workload == "W5v" or workload == "W5p" then
    local n = 1
    if workload == "W5" then n = math.random(activity_projects) end
    local year = 2016 + math.random(0, 8)
    return wrk.format("GET", string.format(
      "/api/v1/activities?project_id=%s&from=%d-01-01&to=%d-12-31&limit=20", project_id(n), year, year + 1),
      get_headers)
  end
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  elseif workload == "W4" then
    local id = string.match(body, '"id":"([0-9a-f%-]+)"')
    local version = string.match(body, '"version":(%d+)')
    if id and version then versions[id] = tonumber(version) end
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
  end
  local socket = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d duration_us=%d non2xx=%d socket_errors=%d p50_ms=%.3f p99_ms=%.3f\n",
    summary.requests, summary.duration, bad, socket, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
