-- After wrk's report: one summary line and the raw latency histogram (µs value and count per non-empty bucket), so
-- runs can be merged and a percentile taken over exactly the runs that fell inside a window.
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("SLICE duration_us=%d requests=%d errors=%d non2xx=%d p99_us=%d\n",
    summary.duration, summary.requests, errors, summary.errors.status, latency:percentile(99)))
  local parts = {}
  for i = 1, #latency do
    local value, count = latency(i)
    parts[#parts + 1] = string.format("%d:%d", value, count)
  end
  io.write("HIST " .. table.concat(parts, " ") .. "\n")
end
