-- The requests of one load_bench case, for wrk: `wrk -t N ... -s load.lua URL -- CASE N ID...`.
-- IDs are run ids (get-run, log-batch cases) or one experiment id (create-run), split evenly
-- between wrk's threads, so that no two threads write to the same run and every metric step
-- and param key a thread sends is new. The last line wrk prints is one RESULT line that
-- bench.load_bench reads.

local API = "/api/2.0/mlflow/"
local HEADERS = { ["Content-Type"] = "application/json" }
local SEARCH_RUNS = '{"experiment_ids": ["%s"], "filter": "metrics.accuracy > 0.1 and '
    .. "params.optimizer = 'adam'" .. '", "order_by": ["metrics.loss DESC"], "max_results": 1000}'
local SEARCH_EXPERIMENTS = '{"filter": "name LIKE \'search-%%\'", "max_results": 1000}'

local created = 0

function setup(thread)
    thread:set("index", created)
    created = created + 1
end

local case, ids, counter = nil, {}, 0

function init(args)
    case = args[1]
    local all = {}
    for i = 3, #args do table.insert(all, args[i]) end
    local share = math.max(1, math.floor(#all / tonumber(args[2])))
    local first = (index * share) % #all
    for i = 0, share - 1 do table.insert(ids, all[(first + i) % #all + 1]) end
end

local function next_id()
    return ids[counter % #ids + 1]
end

local function metrics_body(run_id)
    local parts = {}
    for i = 1, 10 do
        parts[i] = string.format(
            '{"key": "m%d", "value": %d.5, "timestamp": %d, "step": %d}', i, counter, 1700000000000 + counter, counter)
    end
    return string.format('{"run_id": "%s", "metrics": [%s]}', run_id, table.concat(parts, ", "))
end

local function params_body(run_id)
    local parts = {}
    for i = 1, 10 do
        parts[i] = string.format('{"key": "p%d_%d", "value": "value %d"}', counter, i, i)
    end
    return string.format('{"run_id": "%s", "params": [%s]}', run_id, table.concat(parts, ", "))
end

function request()
    counter = counter + 1
    if case == "get-run" then
        return wrk.format("GET", API .. "runs/get?run_id=" .. next_id())
    elseif case == "search-runs" then
        return wrk.format("POST", API .. "runs/search", HEADERS, string.format(SEARCH_RUNS, ids[1]))
    elseif case == "search-experiments" then
        return wrk.format("POST", API .. "experiments/search", HEADERS, SEARCH_EXPERIMENTS)
    elseif case == "log-batch-metrics" then
        return wrk.format("POST", API .. "runs/log-batch", HEADERS, metrics_body(next_id()))
    elseif case == "log-batch-params" then
        return wrk.format("POST", API .. "runs/log-batch", HEADERS, params_body(next_id()))
    elseif case == "create-run" then
        local body = string.format(
            '{"experiment_id": "%s", "start_time": %d, "run_name": "load-%d-%d"}',
            ids[1], 1700000000000 + counter, index, counter)
        return wrk.format("POST", API .. "runs/create", HEADERS, body)
    end
    error("unknown case " .. tostring(case))
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "RESULT requests=%d seconds=%.3f p50_us=%d p99_us=%d status=%d connect=%d read=%d write=%d timeout=%d\n",
        summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
        e.status, e.connect, e.read, e.write, e.timeout))
end
