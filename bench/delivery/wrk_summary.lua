-- Prints one machine-readable line after wrk's own report: requests/s, bytes/s, p50/p99 latency (µs), errors.
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("WRK_SUMMARY rps=%.1f bytes_per_s=%.0f p50_us=%d p99_us=%d requests=%d errors=%d non2xx=%d\n",
    summary.requests / seconds, summary.bytes / seconds, latency:percentile(50), latency:percentile(99),
    summary.requests, errors, summary.errors.status))
end
