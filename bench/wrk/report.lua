-- Shared by the bench/http_load.sh scripts: optional pacing and a one-line JSON summary.
-- PACE_MS (env): wait this long after each response before the next request on a connection,
-- so that connections * 1000 / (PACE_MS + latency) sets the offered rate.
local pace = tonumber(os.getenv("PACE_MS") or "0")

function delay()
  return pace
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write +
                 summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %.2f, "rps": %.1f, "p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, "errors": %d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors))
end
