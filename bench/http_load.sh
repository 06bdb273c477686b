#!/usr/bin/env bash
# HTTP load benchmark (wrk, loopback, bounded): p50/p99 latency and throughput of
#   GET /api/v1/search?q=...                        (hybrid: CLIP text embedding + vectors + FTS5;
#                                                    "search" repeats 20 queries, "search_uncached"
#                                                    never repeats one)
#   GET /api/v1/films/{id}/frames/{n}/provenance    (the viewer's per-frame request)
# on the demo archive, with the load generator on the same machine.
#
# usage: bench/http_load.sh [--bin build/palimpsest] [--work DIR] [--duration 10] [--connections 8]
#                           [--threads 8] [--rate 500]
# --work: a folder holding palimpsest.db from `palimpsest demo --out DIR` (made when missing).
# Two runs per endpoint: closed loop (as fast as it goes, --connections at once), and paced at about
# --rate requests/s (each connection waits between requests), which is the target's condition.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
bin="$root/build/palimpsest"
work=""
duration=10
connections=8
threads=8
rate=500
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk, or scripts/setup.sh)" >&2; exit 1; }
[ -x "$bin" ] || { echo "no palimpsest binary at $bin (--bin)" >&2; exit 1; }
py=/usr/bin/python3; [ -x "$py" ] || py=python3
token="bench-$$"

cleanup_dir=""
if [ -z "$work" ]; then
  work="$(mktemp -d)"
  cleanup_dir="$work"
fi
db="$work/palimpsest.db"
if [ ! -f "$db" ]; then
  echo "== palimpsest demo --out $work"
  "$bin" --db "$db" demo --out "$work" >/dev/null
fi

log="$work/server.log"
"$bin" --db "$db" serve --port 0 --threads "$threads" --token "$token" 2>"$log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; [ -n "$cleanup_dir" ] && rm -rf "$cleanup_dir"' EXIT
base=""
for _ in $(seq 1 600); do
  base="$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -1 || true)"
  [ -n "$base" ] && break
  sleep 0.1
done
[ -n "$base" ] || { echo "the server did not start:" >&2; cat "$log" >&2; exit 1; }

# A rendered film: the demo's, else the demo manuscript rendered small through the API.
film="$("$py" - "$base" "$root/data/demo.fountain" "$token" <<'EOF'
import json, sys, time, urllib.request
base, manuscript, token = sys.argv[1:]
def get(path):
    with urllib.request.urlopen(base + path, timeout=60) as r:
        return json.loads(r.read())
done = [f for f in get("/api/v1/films?limit=50")["films"] if f["status"] == "done" and f["frames_rendered"] > 0]
if done:
    f = done[0]
else:
    body = json.dumps({"manuscript": open(manuscript).read(), "format": "fountain", "size": "96x64",
                       "fps": 4, "steps": 6, "denoiser": "global"}).encode()
    req = urllib.request.Request(base + "/api/v1/films", data=body, method="POST",
                                 headers={"Content-Type": "application/json", "Authorization": "Bearer " + token})
    f = json.loads(urllib.request.urlopen(req, timeout=600).read())
    while f["status"] not in ("done", "failed"):
        time.sleep(0.5)
        f = get("/api/v1/films/%d?timeline=0" % f["id"])
    if f["status"] != "done":
        sys.exit("the film failed: " + json.dumps(f))
print(f["id"], f["frames_rendered"])
EOF
)"
film_id="${film% *}"
frames="${film#* }"
records="$(curl -s "$base/api/v1/health" | "$py" -c 'import json,sys; h=json.load(sys.stdin); print(h["records"], h["model"])')"
echo "== server $base (--threads $threads), catalog $db: records/model $records, film $film_id with $frames frames"
echo "== $(nproc) cores; wrk on the same machine; $duration s per run"

# PACE_MS for about $rate requests/s over $connections connections (each request's own latency,
# about 3 ms for an uncached search, comes on top of the pause).
pace="$("$py" -c "print(max(0, round($connections * 1000 / $rate - 3)))")"
export WRK_DIR="$here/wrk" FILM="$film_id" FRAMES="$frames"
for endpoint in search search_uncached provenance; do
  for mode in closed paced; do
    if [ "$mode" = closed ]; then export PACE_MS=0; else export PACE_MS="$pace"; fi
    out="$(wrk -t2 -c"$connections" -d"${duration}s" --timeout 5s -s "$here/wrk/$endpoint.lua" "$base" 2>&1)"
    result="$(printf '%s\n' "$out" | grep '^RESULT ' | sed 's/^RESULT //')"
    non2xx="$(printf '%s\n' "$out" | grep -o 'Non-2xx or 3xx responses: [0-9]*' || true)"
    printf '%-11s %-6s c=%-3s pace=%-3sms %s %s\n' "$endpoint" "$mode" "$connections" "$PACE_MS" "$result" "$non2xx"
  done
done
