-- Shared by bench/checkin.lua and bench/bare.lua: wrk's done() prints one RESULT line that
-- bench/checkin_bench.py parses.

function done(summary, latency, requests)
  local e = summary.errors
  io.write(
    string.format(
      "RESULT requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.0f "
        .. "connect=%d read=%d write=%d status=%d timeout=%d\n",
      summary.requests,
      summary.duration,
      latency:percentile(50),
      latency:percentile(90),
      latency:percentile(99),
      latency.max,
      latency.mean,
      e.connect,
      e.read,
      e.write,
      e.status,
      e.timeout
    )
  )
end
