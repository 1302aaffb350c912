-- Signed /install slash commands for wrk: cycles through a pool of pre-signed requests (sign_pool.py; the file is
-- named by the SLACK_POOL environment variable), checks every answer is 200 with a Block Kit install button, and
-- prints one machine-readable line at the end.
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  requests_pool = {}
  local path = os.getenv("SLACK_POOL")
  for line in io.lines(path) do
    local ts, sig, body = line:match("^([^\t]+)\t([^\t]+)\t(.*)$")
    requests_pool[#requests_pool + 1] = wrk.format("POST", "/slack/commands", {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["X-Slack-Request-Timestamp"] = ts,
      ["X-Slack-Signature"] = sig,
    }, body)
  end
  -- Threads start at different places so they do not send the same bodies in step.
  next_index = ((id - 1) * math.floor(#requests_pool / 2)) % #requests_pool
  ok, bad_status, bad_body, first_bad = 0, 0, 0, nil
end

function request()
  next_index = next_index % #requests_pool + 1
  return requests_pool[next_index]
end

function response(status, headers, body)
  if status ~= 200 then
    bad_status = bad_status + 1
    first_bad = first_bad or (status .. " " .. (body or ""):sub(1, 200))
  elseif not body:find("Install on iPhone", 1, true) or not body:find("\"blocks\"", 1, true) then
    bad_body = bad_body + 1
    first_bad = first_bad or ("200 " .. body:sub(1, 300))
  else
    ok = ok + 1
  end
end

function done(summary, latency, requests)
  local good, status_errors, body_errors, sample = 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    good = good + thread:get("ok")
    status_errors = status_errors + thread:get("bad_status")
    body_errors = body_errors + thread:get("bad_body")
    sample = sample .. (thread:get("first_bad") or "")
  end
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    "WRK_SUMMARY rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d requests=%d errors=%d non2xx=%d install_ok=%d not200=%d no_button=%d\n",
    summary.requests / seconds, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    summary.requests, errors, summary.errors.status, good, status_errors, body_errors))
  if sample ~= "" then
    io.write("FIRST_BAD " .. sample .. "\n")
  end
end
