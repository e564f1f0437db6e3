#!/usr/bin/env bash
# System calls per request (strace -c), for nginx proxy_pass, the bare Pingora proxy and
# passgate's public and authenticated routes, each in front of nginx `return 200`: the
# kernel side of a request that callgrind does not see. N requests on one keep-alive
# connection after a warm-up; prints calls per request by syscall.
#
#   benches/syscalls.sh            # 2,000 requests each
set -euo pipefail

N=${N:-2000}
UP_PORT=${UP_PORT:-9310}
PX_PORT=${PX_PORT:-9311}
cd "$(dirname "$0")/.."
command -v strace >/dev/null || { echo "strace is required"; exit 1; }
if [ "${BUILD:-1}" = 1 ]; then
  cargo build --release --quiet --bin passgate --example bare_proxy --example mint_session \
    --example paced_load
fi
bin=${BIN:-${CARGO_TARGET_DIR:-target}/release}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do pkill -9 -P "$p" 2>/dev/null || true; kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

page='<!doctype html><html><body><h1>Hello from the upstream</h1></body></html>'
cat >"$work/upstream.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/upstream.pid;
error_log $work/upstream-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$UP_PORT; location / { default_type text/html; return 200 '$page'; } }
}
NGINX
cat >"$work/front.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/front.pid;
error_log $work/front-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  upstream app { server 127.0.0.1:$UP_PORT; keepalive 16; }
  server {
    listen 127.0.0.1:$PX_PORT;
    location / { proxy_http_version 1.1; proxy_set_header Connection ""; proxy_pass http://app; }
  }
}
NGINX
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
nginx -p "$work" -c "$work/upstream.conf" &
pids+=($!)

token=""
measure() {
  local name=$1 path=$2 pid
  case $name in
    nginx) nginx -p "$work" -c "$work/front.conf" & ;;
    bare) "$bin/examples/bare_proxy" "127.0.0.1:$PX_PORT" "127.0.0.1:$UP_PORT" & ;;
    *) RUST_LOG=warn "$bin/passgate" serve --config "$work/passgate.toml" >"$work/gw.log" 2>&1 & ;;
  esac
  local main=$!
  pids+=($main)
  for _ in $(seq 1 200); do curl -s -o /dev/null "http://127.0.0.1:$PX_PORT/public/x" && break; sleep 0.1; done
  pid=$main
  [ "$name" = nginx ] && pid=$(pgrep -P "$(cat "$work/front.pid")" | head -1)
  if [ "$name" = authed ] && [ -z "$token" ]; then
    token=$("$bin/examples/mint_session" "$work/passgate.toml" loadtest)
  fi
  local args=()
  [ "$name" = authed ] && args=(--header "Cookie: passgate_session=$token")
  "$bin/examples/paced_load" rate "127.0.0.1:$PX_PORT" "$path" --conns 1 --count 200 --secs 60 "${args[@]}" >/dev/null
  strace -f -c -o "$work/$name.strace" -p "$pid" 2>/dev/null &
  local st=$!
  sleep 1
  "$bin/examples/paced_load" rate "127.0.0.1:$PX_PORT" "$path" --conns 1 --count "$N" --secs 120 "${args[@]}" >/dev/null
  kill -INT "$st"; wait "$st" 2>/dev/null || true
  echo "== $name: system calls per request ($N requests)"
  awk -v n="$N" '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" { c = $4; s = $NF; if (c / n >= 0.05) printf "  %-16s %6.2f\n", s, c / n; t += c }
    END { printf "  %-16s %6.2f\n", "total", t / n }' "$work/$name.strace"
  pkill -9 -P "$main" 2>/dev/null || true
  kill -9 "$main"; wait "$main" 2>/dev/null || true
  sleep 2
}
measure nginx /public/page
measure bare /public/page
measure public /public/page
measure authed /private/page
