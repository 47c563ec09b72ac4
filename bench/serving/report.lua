-- wrk script of the serving benchmark (bench/serving/load.sh): the connection mode, and at the end one line
-- "SERVING_RESULT {json}" with the pass's figures (latencies in microseconds).
--   SERVING_CONNECTION=close (default): every request on a new TCP connection, as a sync worker serves them
--   SERVING_CONNECTION=keep-alive: wrk's default, connections reused
if (os.getenv("SERVING_CONNECTION") or "close") == "close" then
    wrk.headers["Connection"] = "close"
end

function done(summary, latency, requests)
    local e = summary.errors
    local seconds = summary.duration / 1e6
    io.write(
        string.format(
            'SERVING_RESULT {"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,'
                .. '"max_us":%d,"mean_us":%.1f,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
            summary.requests,
            seconds,
            summary.requests / seconds,
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
