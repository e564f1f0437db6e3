#!/usr/bin/env bash
# Load test on loopback: a static upstream, passgate in front of it, and wrk measuring
# requests/s and p99 latency for (1) the upstream directly, (2) a public route through
# passgate, (3) a protected route without a session (the 401 answered by passgate itself).
# Bounded: each run lasts DURATION seconds; everything started here is stopped on exit.
#
#   benches/load.sh            # defaults: 10s per run, 2 threads, 64 connections
#   DURATION=30 CONNECTIONS=128 benches/load.sh
set -euo pipefail

DURATION=${DURATION:-10}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
UP_PORT=${UP_PORT:-9100}
GW_PORT=${GW_PORT:-9180}

cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is required (apt-get install -y wrk)"; exit 1; }

echo "== building release binaries"
cargo build --release --quiet --bin passgate --example static_upstream
target=${CARGO_TARGET_DIR:-target}

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/passgate.toml" <<TOML
public_url = "http://localhost:$GW_PORT"
[server]
threads = ${GW_THREADS:-1}
access_log = false
grace_period = "0s"
[[listeners]]
address = "127.0.0.1:$GW_PORT"
[[routes]]
host = "*"
path_prefix = "/public"
upstream = "http://127.0.0.1:$UP_PORT"
policy = "public"
[[routes]]
host = "*"
path_prefix = "/"
upstream = "http://127.0.0.1:$UP_PORT"
policy = "authenticated"
TOML

"$target/release/examples/static_upstream" "127.0.0.1:$UP_PORT" >"$work/upstream.log" 2>&1 &
pids+=($!)
RUST_LOG=warn "$target/release/passgate" serve --config "$work/passgate.toml" >"$work/passgate.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$GW_PORT/.passgate/healthz" >/dev/null 2>&1 &&
     curl -fsS "http://127.0.0.1:$UP_PORT/" >/dev/null 2>&1; then break; fi
  sleep 0.1
done

run() {
  local name=$1 url=$2
  local out
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$url")
  local rps p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  printf '%-34s %12s req/s   p99 %8s   non-2xx %s\n' "$name" "$rps" "$p99" "${non2xx:-0}"
}

echo "== wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s (upstream and gateway share this machine's $(nproc) cores)"
run "upstream direct" "http://127.0.0.1:$UP_PORT/public/page"
run "passgate public route" "http://127.0.0.1:$GW_PORT/public/page"
run "passgate protected, no session" "http://127.0.0.1:$GW_PORT/private/page"
