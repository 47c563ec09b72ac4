#!/usr/bin/env bash
# The load of the serving benchmark (bench/serving/serving.ts), the same for both sides: the measured run's
# testCommand and, for the unmeasured container, the driver itself. It finds the service container's address on
# a Docker network with `docker inspect` (no published port: Docker's userland proxy takes a whole core at about
# 2,500 requests per second and would be the bottleneck), waits until the service answers, sends the setup
# requests, then runs two bounded wrk passes of the same shape one after the other: cold (right after readiness)
# and warm (after the first pass over the code). Writes their figures as JSON to OUT.
#   bash bench/serving/load.sh CONTAINER NETWORK PORT READY_PATH LOAD_PATH SECONDS CONNECTIONS CONNECTION OUT [SETUP]
# CONNECTION: close (a new TCP connection per request) or keep-alive. SETUP: a file of lines "METHOD PATH BODY",
# each sent once with curl before the passes (a JSON body), e.g. the rows a read endpoint returns.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if (($# < 9)); then
  echo "usage: load.sh CONTAINER NETWORK PORT READY_PATH LOAD_PATH SECONDS CONNECTIONS CONNECTION OUT [SETUP]" >&2
  exit 2
fi
container=$1 network=$2 port=$3 ready_path=$4 load_path=$5 seconds=$6 connections=$7 connection=$8 out=$9
setup=${10:-}
[[ $connection == close || $connection == keep-alive ]] || { echo "load.sh: bad CONNECTION $connection" >&2; exit 2; }
command -v wrk >/dev/null || { echo "load.sh: wrk is missing (apt-get install wrk)" >&2; exit 1; }

ip=$(docker inspect -f "{{with index .NetworkSettings.Networks \"$network\"}}{{.IPAddress}}{{end}}" "$container")
[[ -n $ip ]] || { echo "load.sh: container $container has no address on network $network" >&2; exit 1; }
base="http://$ip:$port"

deadline=$((SECONDS + 120))
until curl -fsS -o /dev/null --max-time 2 "$base$ready_path" 2>/dev/null; do
  ((SECONDS < deadline)) || { echo "load.sh: $base$ready_path did not answer in 120 s" >&2; exit 1; }
  sleep 0.2
done

if [[ -n $setup ]]; then
  while read -r method path body; do
    [[ -n ${method:-} ]] || continue
    curl -fsS -o /dev/null --max-time 10 -X "$method" -H 'Content-Type: application/json' --data "$body" "$base$path"
  done <"$setup"
fi

# One wrk pass; prints wrk's report to stderr (the run's test log) and the pass's JSON to stdout.
pass() {
  local report
  report=$(SERVING_CONNECTION=$connection wrk -t1 -c"$connections" -d"${seconds}s" --timeout 5s --latency \
    -s "$here/report.lua" "$base$load_path")
  printf '%s\n' "$report" >&2
  sed -n 's/^SERVING_RESULT //p' <<<"$report"
}

echo "load.sh: $1 at $base$load_path, $connections connections ($connection), ${seconds} s per pass" >&2
cold=$(pass)
warm=$(pass)
[[ -n $cold && -n $warm ]] || { echo "load.sh: wrk printed no result" >&2; exit 1; }
printf '{"address":"%s","path":"%s","connection":"%s","connections":%d,"seconds":%d,"cold":%s,"warm":%s}\n' \
  "$ip:$port" "$load_path" "$connection" "$connections" "$seconds" "$cold" "$warm" >"$out"
