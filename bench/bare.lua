-- wrk script for bench/checkin_bench.py's bare-endpoint run: plain GETs, one RESULT line at the end
-- (the same line bench/checkin.lua prints).

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
