#!/usr/bin/env bash
# Load test on loopback: a static upstream, passgate in front of it, and wrk measuring
# requests/s and p99 latency for (1) the upstream directly, (2) a public route through
# passgate, (3) a protected route without a session (the 401 answered by passgate itself),
# (4) the same protected route with a valid session cookie (minted by
# examples/mint_session.rs on passgate's store): the fast path, cached after the first hit,
# and (5) the same with `assertion = true` (a signed JWT for the upstream, reused per token).
# The public and the authenticated routes are measured ROUNDS times, in rotating order,
# and compared by their medians: on a shared machine one run on its own can be off by 20 %
# (the upstream's CPU per request moves with it: the machine, not passgate). Each run also
# reports passgate's own CPU time per request (from /proc), the steadier figure.
# Bounded: each run lasts DURATION seconds; everything started here is stopped on exit.
#
# With TLS=1 passgate listens with TLS (a self-signed certificate made here, HTTP/1.1 with
# keep-alive, so handshakes are a small share) and the passgate scenarios go over https;
# the upstream stays plain http on loopback.
#
#   benches/load.sh            # defaults: 5s per run, 5 rounds, 2 threads, 64 connections
#   DURATION=30 CONNECTIONS=128 ROUNDS=5 benches/load.sh
#   TLS=1 benches/load.sh
set -euo pipefail

DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-5}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
UP_PORT=${UP_PORT:-9100}
GW_PORT=${GW_PORT:-9180}

cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is required (apt-get install -y wrk)"; exit 1; }

echo "== building release binaries"
cargo build --release --quiet --bin passgate --example static_upstream --example mint_session
target=${CARGO_TARGET_DIR:-target}

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

scheme=http
listener="address = \"127.0.0.1:$GW_PORT\""
if [ "${TLS:-0}" = 1 ]; then
  command -v openssl >/dev/null || { echo "TLS=1 needs openssl"; exit 1; }
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
  scheme=https
  listener="$listener
http2 = false
certificates = [{ cert = \"$work/tls.crt\", key = \"$work/tls.key\" }]"
fi
gw="$scheme://127.0.0.1:$GW_PORT"

cat >"$work/passgate.toml" <<TOML
public_url = "$scheme://localhost:$GW_PORT"
[server]
threads = ${GW_THREADS:-1}
access_log = false
grace_period = "0s"
[[listeners]]
$listener
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

"$target/release/examples/static_upstream" "127.0.0.1:$UP_PORT" >"$work/upstream.log" 2>&1 &
pids+=($!)
RUST_LOG=warn "$target/release/passgate" serve --config "$work/passgate.toml" >"$work/passgate.log" 2>&1 &
pids+=($!)
gw_pid=$!

for _ in $(seq 1 100); do
  if curl -fsSk "$gw/.passgate/healthz" >/dev/null 2>&1 &&
     curl -fsS "http://127.0.0.1:$UP_PORT/" >/dev/null 2>&1; then break; fi
  sleep 0.1
done

token=$("$target/release/examples/mint_session" "$work/passgate.toml" loadtest)
code=$(curl -sk -o /dev/null -w '%{http_code}' -H "Cookie: passgate_session=$token" \
  "$gw/private/page")
[ "$code" = 200 ] || { echo "the minted session was not accepted ($code)"; exit 1; }

last_rps=0
last_cpu=0
ticks=$(getconf CLK_TCK)
# passgate's user + system CPU time so far, in clock ticks.
gw_cpu() { awk '{print $14 + $15}' "/proc/$gw_pid/stat"; }
run() {
  local name=$1 url=$2
  shift 2
  local out
  # One second of the same load first, not counted: the run before left other connections.
  wrk -t"$THREADS" -c"$CONNECTIONS" -d1s "$@" "$url" >/dev/null
  local c0 c1
  c0=$(gw_cpu)
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" "$url")
  c1=$(gw_cpu)
  local rps p99 non2xx n
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  n=$(awk '/requests in/ {print $1}' <<<"$out")
  last_cpu=$(awk -v d=$((c1 - c0)) -v t="$ticks" -v n="$n" 'BEGIN {printf "%.1f", d / t * 1e6 / n}')
  printf '%-40s %10s req/s   p99 %8s   passgate CPU %6s µs/req   non-2xx %s\n' \
    "$name" "$rps" "$p99" "$last_cpu" "${non2xx:-0}"
  last_rps=$rps
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

echo "== wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, passgate over $scheme (upstream and gateway share this machine's $(nproc) cores)"
run "upstream direct" "http://127.0.0.1:$UP_PORT/public/page"
run "passgate protected, no session" "$gw/private/page"
public=()
authed=()
asserted=()
cpu_public=()
cpu_authed=()
cpu_asserted=()
cookie="Cookie: passgate_session=$token"
measure() {
  case $1 in
    public) run "[$r/$ROUNDS] passgate public route" "$gw/public/page"
      public+=("$last_rps") cpu_public+=("$last_cpu") ;;
    authed) run "[$r/$ROUNDS] passgate protected, valid cookie" \
      "$gw/private/page" -H "$cookie"
      authed+=("$last_rps") cpu_authed+=("$last_cpu") ;;
    asserted) run "[$r/$ROUNDS] ... with assertion = true" \
      "$gw/asserted/page" -H "$cookie"
      asserted+=("$last_rps") cpu_asserted+=("$last_cpu") ;;
  esac
}
# The order rotates each round, so no scenario always runs right after the same other.
order=(public authed asserted)
for r in $(seq 1 "$ROUNDS"); do
  for k in 0 1 2; do measure "${order[$(((r - 1 + k) % 3))]}"; done
done
mp=$(median "${public[@]}")
ma=$(median "${authed[@]}")
mx=$(median "${asserted[@]}")
pct() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", 100 * a / b}'; }
ratio=$(pct "$ma" "$mp")
verdict=$(awk -v r="$ratio" 'BEGIN {print (r >= 90) ? "met" : "NOT met"}')
echo "== medians of $ROUNDS rounds"
echo "public route                      $mp req/s   passgate CPU $(median "${cpu_public[@]}") µs/req"
echo "authenticated, valid cookie       $ma req/s   passgate CPU $(median "${cpu_authed[@]}") µs/req"
echo "authenticated, assertion = true   $mx req/s   passgate CPU $(median "${cpu_asserted[@]}") µs/req"
echo "authenticated / public: $ratio % of the requests/s (target >= 90 %: $verdict)"
echo "with assertion / without: $(pct "$mx" "$ma") % of the requests/s"
