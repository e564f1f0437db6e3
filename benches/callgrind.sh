#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind (user space only: the kernel's
# TCP work is not in it), for the bare Pingora proxy and passgate's public and
# authenticated routes (and an anonymous request on an optional route): numbers that
# do not move with the machine's load, for deciding
# what to change. Each proxy runs under callgrind in front of nginx `return 200`; after a
# warm-up the counters are zeroed, N requests are sent on one keep-alive connection, and
# the counters are dumped. Prints Ir per request and the top functions (inclusive) of
# each; the raw callgrind files stay in $OUT (default target/callgrind).
#
#   benches/callgrind.sh                 # bare public authed asserted, 2,000 requests each
#   benches/callgrind.sh public optional # an anonymous request: public against optional
#   N=5000 benches/callgrind.sh bare authed
set -euo pipefail

N=${N:-2000}
OUT=${OUT:-target/callgrind}
UP_PORT=${UP_PORT:-9300}
PX_PORT=${PX_PORT:-9301}
which=("$@")
[ ${#which[@]} -gt 0 ] || which=(bare public authed asserted)

cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is required"; exit 1; }
if [ "${BUILD:-1}" = 1 ]; then
  cargo build --release --quiet --bin passgate --example bare_proxy --example mint_session \
    --example paced_load
fi
bin=${BIN:-${CARGO_TARGET_DIR:-target}/release}
mkdir -p "$OUT"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/upstream.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/upstream.pid;
error_log $work/upstream-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$UP_PORT;
    location / { default_type text/html; return 200 '<!doctype html><html><head><title>static</title></head><body><h1>Hello from the upstream</h1><p>A fixed page of about two hundred bytes, served for load tests.</p></body></html>'; }
  }
}
NGINX
nginx -p "$work" -c "$work/upstream.conf" &
pids+=($!)

cat >"$work/passgate.toml" <<TOML
public_url = "http://localhost:$PX_PORT"
[server]
threads = 1
access_log = false
grace_period = "0s"
[[listeners]]
address = "127.0.0.1:$PX_PORT"
[store]
url = "sqlite://$work/passgate.db"
[session]
token_ttl = "1h"
[[routes]]
host = "*"
path_prefix = "/public"
upstream = "http://127.0.0.1:$UP_PORT"
policy = "public"
[[routes]]
host = "*"
path_prefix = "/optional"
upstream = "http://127.0.0.1:$UP_PORT"
policy = "optional"
[[routes]]
host = "*"
path_prefix = "/asserted"
upstream = "http://127.0.0.1:$UP_PORT"
policy = "authenticated"
assertion = true
[[routes]]
host = "*"
path_prefix = "/"
upstream = "http://127.0.0.1:$UP_PORT"
policy = "authenticated"
TOML

wait_port() {
  for _ in $(seq 1 600); do
    curl -s -o /dev/null "http://127.0.0.1:$1/.passgate/healthz" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "port $1 did not open"; exit 1
}

token=""
measure() {
  local name=$1 path=$2 cmd
  shift 2
  case $name in
    bare) cmd=("$bin/examples/bare_proxy" "127.0.0.1:$PX_PORT" "127.0.0.1:$UP_PORT") ;;
    *) cmd=("$bin/passgate" serve --config "$work/passgate.toml") ;;
  esac
  RUST_LOG=warn valgrind --tool=callgrind --callgrind-out-file="$OUT/$name.out" \
    "${cmd[@]}" >"$work/$name.log" 2>&1 &
  local vg=$!
  pids+=($vg)
  wait_port "$PX_PORT"
  if [ "$name" != bare ] && [ -z "$token" ]; then
    token=$("$bin/examples/mint_session" "$work/passgate.toml" loadtest)
  fi
  local args=()
  [ "$name" = authed ] || [ "$name" = asserted ] && args=(--header "Cookie: passgate_session=$token")
  "$bin/examples/paced_load" rate "127.0.0.1:$PX_PORT" "$path" --conns 1 --count 200 \
    --secs 120 "${args[@]}" >/dev/null
  callgrind_control -z "$vg" >/dev/null
  local res
  res=$("$bin/examples/paced_load" rate "127.0.0.1:$PX_PORT" "$path" --conns 1 --count "$N" \
    --secs 600 "${args[@]}")
  callgrind_control -d "$vg" >/dev/null
  # The counts are dumped: no need to wait out a graceful shutdown (the bare proxy's
  # takes minutes under valgrind).
  kill -9 "$vg"; wait "$vg" 2>/dev/null || true
  local dump
  dump=$(ls -t "$OUT/$name.out"* | grep -v '\.out$' | head -1 || true)
  [ -n "$dump" ] || dump="$OUT/$name.out"
  local ok ir
  ok=$(sed -E 's/.* ok=([0-9]+).*/\1/' <<<"$res")
  ir=$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}')
  printf '%-10s %8s requests  %10.0f Ir/request   (%s)\n' "$name" "$ok" "$(awk -v a="$ir" -v n="$ok" 'BEGIN {print a / n}')" "$dump"
  callgrind_annotate --inclusive=yes "$dump" 2>/dev/null | sed -n '/file:function/,$p' | head -45 >"$OUT/$name.top.txt" || true
}

for w in "${which[@]}"; do
  case $w in
    bare) measure bare / ;;
    public) measure public /public/page ;;
    optional) measure optional /optional/page ;;
    authed) measure authed /private/page ;;
    asserted) measure asserted /asserted/page ;;
    *) echo "unknown: $w (bare public optional authed asserted)"; exit 2 ;;
  esac
done
echo "top functions (inclusive): $OUT/*.top.txt"
