#!/usr/bin/env bash
# passgate beside what a user would run instead, on loopback, in one go (issue 15):
#
#   upstream   nginx `return 200` (one worker): the app, measured alone too
#   nginx      nginx `proxy_pass` (one worker, upstream keep-alive)
#   bare       examples/bare_proxy.rs: the smallest Pingora proxy, default settings
#   bare_nb    the same with unbuffered writes to clients, as passgate's listeners write
#   public     passgate, public route
#   authed     passgate, authenticated route, valid session cookie (cached)
#   asserted   passgate, authenticated route with `assertion = true`
#   fwdauth    nginx `auth_request` -> passgate `/.passgate/verify`, then `proxy_pass`
#
# Every round runs each scenario once (wrk, keep-alive, one second of unmeasured warm-up),
# in an order that rotates from round to round; the summary gives medians and the spread
# (min-max) over the rounds, and ratios taken within each round (both sides measured under
# the same machine load) before their median. CPU per request is read from /proc for each
# server process (user + system): the figure that moves least with a shared machine.
# Servers are pinned to core 0 and the load generators to core 1 (PIN=0 to not pin).
#
# Then, unless SHORT=1: latency at 25/50/75 % of the authenticated route's saturating rate
# (constant rate, examples/paced_load.rs, latency from the time each request was due),
# HTTP/2 over TLS with h2load, RSS with 100,000 cached sessions, and RSS with 20,000 idle
# keep-alive connections (and after they close).
#
# Everything printed is also appended, as a dated Markdown block, to $RESULTS
# (default target/compare-results.md), ready to paste into docs/performance.md.
#
#   benches/compare.sh                 # full: ~15 minutes
#   SHORT=1 benches/compare.sh         # CI smoke: 1 round of 1 s runs, ~30 s after the build
#   ROUNDS=7 DURATION=10 benches/compare.sh
#   LATENCY=0 H2=0 SCALE=0 benches/compare.sh   # the throughput rounds only
#   BUILD=0 benches/compare.sh         # use the release binaries already built
#   BASE_BIN=/path/to/old/release benches/compare.sh
#                                      # a second passgate (the `passgate` binary and
#                                      # `examples/mint_session` under that directory, e.g.
#                                      # an earlier commit's target/release) as one more
#                                      # scenario, `base_authed`, in the same rounds: the
#                                      # before/after ratio is then taken within each round
set -euo pipefail

SHORT=${SHORT:-0}
if [ "$SHORT" = 1 ]; then
  : "${DURATION:=1}" "${ROUNDS:=1}" "${WARMUP:=0}" "${LATENCY:=0}" "${H2:=0}" "${SCALE:=0}"
fi
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-5}
WARMUP=${WARMUP:-1}
THREADS=${THREADS:-1}
CONNECTIONS=${CONNECTIONS:-64}
LATENCY=${LATENCY:-1}
LAT_SECS=${LAT_SECS:-5}
LAT_CONNS=${LAT_CONNS:-16}
H2=${H2:-1}
SCALE=${SCALE:-1}
SESSIONS=${SESSIONS:-100000}
IDLE=${IDLE:-20000}
PIN=${PIN:-1}
RESULTS=${RESULTS:-target/compare-results.md}
UP_PORT=${UP_PORT:-9100}
GW_PORT=${GW_PORT:-9180}
BASE_BIN=${BASE_BIN:-}
BASE_PORT=${BASE_PORT:-9183}
NGX_PORT=${NGX_PORT:-9181}
FWD_PORT=${FWD_PORT:-9182}
BARE_PORT=${BARE_PORT:-9190}
BARE_NB_PORT=${BARE_NB_PORT:-9191}
GW_TLS_PORT=${GW_TLS_PORT:-9443}
NGX_TLS_PORT=${NGX_TLS_PORT:-9444}
FWD_TLS_PORT=${FWD_TLS_PORT:-9445}

cd "$(dirname "$0")/.."
for tool in wrk nginx curl; do
  command -v "$tool" >/dev/null || { echo "$tool is required"; exit 1; }
done
if [ "$H2" = 1 ]; then
  command -v h2load >/dev/null || { echo "H2=1 needs h2load (nghttp2-client)"; exit 1; }
  command -v openssl >/dev/null || { echo "H2=1 needs openssl"; exit 1; }
fi

if [ "${BUILD:-1}" = 1 ]; then
  echo "== building release binaries" >&2
  cargo build --release --quiet --bin passgate --example mint_session --example bare_proxy \
    --example paced_load
fi
target=${CARGO_TARGET_DIR:-target}
bin=$target/release

server_cpu=() client_cpu=()
if [ "$PIN" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  server_cpu=(taskset -c 0) client_cpu=(taskset -c 1)
fi
ulimit -n 1048576 2>/dev/null || ulimit -n 65536 2>/dev/null || true

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 1
  # Pingora waits out its grace period on SIGTERM; nothing here needs one.
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

out=$work/report.md
say() { printf '%s\n' "$*" | tee -a "$out"; }

# ---------------------------------------------------------------- servers
if [ "$H2" = 1 ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
fi

page='<!doctype html><html><head><title>static</title></head><body><h1>Hello from the upstream</h1><p>A fixed page of about two hundred bytes, served for load tests.</p></body></html>'
cat >"$work/upstream.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/upstream.pid;
error_log $work/upstream-error.log warn;
events { worker_connections 65536; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$UP_PORT reuseport backlog=4096;
    location / { default_type text/html; return 200 '$page'; }
  }
}
NGINX

tls_servers=""
if [ "$H2" = 1 ]; then
  tls_servers="
  server {
    listen 127.0.0.1:$NGX_TLS_PORT ssl http2;
    ssl_certificate $work/tls.crt;
    ssl_certificate_key $work/tls.key;
    location / { proxy_pass http://app; }
  }
  server {
    listen 127.0.0.1:$FWD_TLS_PORT ssl http2;
    ssl_certificate $work/tls.crt;
    ssl_certificate_key $work/tls.key;
    include $work/fwdauth.inc;
  }"
fi
# nginx auth_request as docs/forward-auth.md configures it (identity headers passed on).
cat >"$work/fwdauth.inc" <<'NGINX'
    location = /_passgate_verify {
      internal;
      proxy_pass http://passgate/.passgate/verify;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header Connection "";
      proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
      proxy_set_header X-Original-Method $request_method;
    }
    location / {
      auth_request /_passgate_verify;
      auth_request_set $pg_user $upstream_http_x_passgate_user;
      auth_request_set $pg_email $upstream_http_x_passgate_email;
      auth_request_set $pg_groups $upstream_http_x_passgate_groups;
      auth_request_set $pg_identity $upstream_http_x_passgate_identity;
      proxy_set_header X-Passgate-User $pg_user;
      proxy_set_header X-Passgate-Email $pg_email;
      proxy_set_header X-Passgate-Groups $pg_groups;
      proxy_set_header X-Passgate-Identity $pg_identity;
      proxy_set_header Connection "";
      proxy_pass http://app;
    }
NGINX
cat >"$work/front.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/front.pid;
error_log $work/front-error.log warn;
events { worker_connections 65536; }
http {
  access_log off;
  keepalive_requests 1000000;
  proxy_http_version 1.1;
  upstream app { server 127.0.0.1:$UP_PORT; keepalive 64; keepalive_requests 1000000; }
  upstream passgate { server 127.0.0.1:$GW_PORT; keepalive 64; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:$NGX_PORT backlog=4096;
    location / { proxy_set_header Connection ""; proxy_pass http://app; }
  }
  server {
    listen 127.0.0.1:$FWD_PORT backlog=4096;
    include $work/fwdauth.inc;
  }$tls_servers
}
NGINX

tls_listener=""
if [ "$H2" = 1 ]; then
  tls_listener="
[[listeners]]
address = \"127.0.0.1:$GW_TLS_PORT\"
certificates = [{ cert = \"$work/tls.crt\", key = \"$work/tls.key\" }]"
fi
cat >"$work/passgate.toml" <<TOML
public_url = "http://localhost:$GW_PORT"
[server]
threads = 1
access_log = false
grace_period = "0s"
[[listeners]]
address = "127.0.0.1:$GW_PORT"$tls_listener
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

"${server_cpu[@]}" nginx -p "$work" -c "$work/upstream.conf" 2>>"$work/upstream-error.log" &
pids+=($!)
"${server_cpu[@]}" nginx -p "$work" -c "$work/front.conf" 2>>"$work/front-error.log" &
pids+=($!)
"${server_cpu[@]}" "$bin/examples/bare_proxy" "127.0.0.1:$BARE_PORT" "127.0.0.1:$UP_PORT" \
  >"$work/bare.log" 2>&1 &
pids+=($!)
bare_pid=$!
BARE_UNBUFFERED_WRITES=1 "${server_cpu[@]}" "$bin/examples/bare_proxy" "127.0.0.1:$BARE_NB_PORT" \
  "127.0.0.1:$UP_PORT" >"$work/bare_nb.log" 2>&1 &
pids+=($!)
bare_nb_pid=$!
# Waits until the passgate on port $1 answers its health check; its log is $2.
wait_healthy() {
  for _ in $(seq 1 200); do
    curl -fsS "http://127.0.0.1:$1/.passgate/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "passgate did not start:"; cat "$2"; exit 1
}
start_gateway() {
  RUST_LOG=warn "${server_cpu[@]}" "$bin/passgate" serve --config "$work/passgate.toml" \
    >>"$work/passgate.log" 2>&1 &
  pids+=($!)
  gw_pid=$!
  wait_healthy "$GW_PORT" "$work/passgate.log"
}
start_gateway
if [ -n "$BASE_BIN" ]; then
  # The same configuration (without the TLS listener) on its own port and database,
  # served by the other binary.
  base_toml=$(<"$work/passgate.toml")
  [ -z "$tls_listener" ] || base_toml=${base_toml/"$tls_listener"/}
  sed -e "s/127.0.0.1:$GW_PORT/127.0.0.1:$BASE_PORT/; s/localhost:$GW_PORT/localhost:$BASE_PORT/" \
    -e "s#$work/passgate.db#$work/passgate-base.db#" <<<"$base_toml" >"$work/passgate-base.toml"
  RUST_LOG=warn "${server_cpu[@]}" "$BASE_BIN/passgate" serve --config "$work/passgate-base.toml" \
    >>"$work/passgate-base.log" 2>&1 &
  pids+=($!)
  base_pid=$!
  wait_healthy "$BASE_PORT" "$work/passgate-base.log"
  base_token=$("$BASE_BIN/examples/mint_session" "$work/passgate-base.toml" loadtest)
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: passgate_session=$base_token" \
    "http://127.0.0.1:$BASE_PORT/private/page")
  [ "$code" = 200 ] || { echo "BASE_BIN passgate with its minted session: $code"; cat "$work/passgate-base.log"; exit 1; }
fi

# The nginx worker of a master started above (the process doing the work).
worker_of() {
  local master
  for _ in $(seq 1 100); do
    master=$(cat "$work/$1.pid" 2>/dev/null || true)
    if [ -n "$master" ] && pgrep -P "$master" >/dev/null; then pgrep -P "$master" | head -1; return; fi
    sleep 0.1
  done
  echo "nginx ($1) did not start:" >&2; cat "$work/$1-error.log" >&2; exit 1
}
up_pid=$(worker_of upstream)
front_pid=$(worker_of front)
for port in $UP_PORT $NGX_PORT $BARE_PORT $BARE_NB_PORT; do
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.1; done
done

if [ "$SCALE" = 1 ]; then
  "$bin/examples/mint_session" "$work/passgate.toml" loadtest "$SESSIONS" >"$work/tokens"
  token=$(head -1 "$work/tokens")
else
  token=$("$bin/examples/mint_session" "$work/passgate.toml" loadtest)
fi
cookie="passgate_session=$token"
for check in "http://127.0.0.1:$GW_PORT/private/page" "http://127.0.0.1:$GW_PORT/asserted/page" \
  "http://127.0.0.1:$FWD_PORT/private/page"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$check")
  [ "$code" = 200 ] || { echo "$check with the minted session: $code"; cat "$work/passgate.log"; exit 1; }
done
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$FWD_PORT/private/page")
[ "$code" = 401 ] || { echo "nginx auth_request without a session: $code (expected 401)"; exit 1; }

# ---------------------------------------------------------------- measuring
ticks=$(getconf CLK_TCK)
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }
busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
children_cpu() { times | awk 'NR == 2 {
  split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%.3f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }'; }
to_us() { awk -v v="$1" 'BEGIN {
  n = v + 0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000;
  else if (v ~ /s$/) print n * 1e6; else print n }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {
  if (NR == 0) print "-"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
spread() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {
  if (NR > 1) printf "%s–%s", a[1], a[NR] }'; }
fmt() { awk -v v="$1" -v d="${2:-1}" 'BEGIN {printf "%.*f", d, v}'; }

declare -A URL HDR PROCS LABEL
LABEL[upstream]="upstream alone (nginx return 200)"
LABEL[nginx]="nginx proxy_pass"
LABEL[bare]="bare Pingora (examples/bare_proxy.rs)"
LABEL[bare_nb]="bare Pingora, unbuffered writes (as passgate)"
LABEL[public]="passgate, public route"
LABEL[authed]="passgate, authenticated (cached cookie)"
LABEL[asserted]="passgate, authenticated + assertion"
LABEL[fwdauth]="nginx auth_request -> passgate /verify"
URL[upstream]="http://127.0.0.1:$UP_PORT/public/page";   PROCS[upstream]=""
URL[nginx]="http://127.0.0.1:$NGX_PORT/public/page";     PROCS[nginx]="$front_pid"
URL[bare]="http://127.0.0.1:$BARE_PORT/public/page";     PROCS[bare]="$bare_pid"
URL[bare_nb]="http://127.0.0.1:$BARE_NB_PORT/public/page"; PROCS[bare_nb]="$bare_nb_pid"
URL[public]="http://127.0.0.1:$GW_PORT/public/page";     PROCS[public]="gw"
URL[authed]="http://127.0.0.1:$GW_PORT/private/page";    PROCS[authed]="gw";   HDR[authed]=1
URL[asserted]="http://127.0.0.1:$GW_PORT/asserted/page"; PROCS[asserted]="gw"; HDR[asserted]=1
URL[fwdauth]="http://127.0.0.1:$FWD_PORT/private/page";  PROCS[fwdauth]="$front_pid gw"; HDR[fwdauth]=1
scenarios=(upstream nginx bare bare_nb public authed asserted fwdauth)
declare -A COOKIE
if [ -n "$BASE_BIN" ]; then
  LABEL[base_authed]="passgate from BASE_BIN, authenticated"
  URL[base_authed]="http://127.0.0.1:$BASE_PORT/private/page"; PROCS[base_authed]="$base_pid"
  HDR[base_authed]=1; COOKIE[base_authed]="passgate_session=$base_token"
  scenarios+=(base_authed)
fi
declare -A RPS P50 P99 CPU UPCPU OTHERS

# One measured run of scenario $1 in round $2: appends to the per-scenario lists.
run() {
  local s=$1 r=$2 args=() procs p
  [ -n "${HDR[$s]:-}" ] && args=(-H "Cookie: ${COOKIE[$s]:-$cookie}")
  procs=${PROCS[$s]//gw/$gw_pid}
  if [ "$WARMUP" != 0 ]; then
    "${client_cpu[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "${args[@]}" "${URL[$s]}" >/dev/null
  fi
  declare -A c0
  for p in $procs $up_pid; do c0[$p]=$(cpu_of "$p"); done
  local b0 w0 t0 res b1 w1 t1
  b0=$(busy) w0=$(children_cpu) t0=$(date +%s.%N)
  res=$("${client_cpu[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "${args[@]}" "${URL[$s]}")
  b1=$(busy) w1=$(children_cpu) t1=$(date +%s.%N)
  local n rps p50 p99 non2xx cpu=0 up others
  n=$(awk '/requests in/ {print $1}' <<<"$res")
  rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$res")
  p50=$(to_us "$(awk '$1 == "50%" {print $2}' <<<"$res")")
  p99=$(to_us "$(awk '$1 == "99%" {print $2}' <<<"$res")")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$res")
  [ "${non2xx:-0}" = 0 ] || { echo "$s: $non2xx non-2xx answers"; exit 1; }
  local total_procs=0
  for p in $procs; do
    total_procs=$(awk -v a="$total_procs" -v d=$(($(cpu_of "$p") - ${c0[$p]})) 'BEGIN {print a + d}')
  done
  cpu=$(awk -v d="$total_procs" -v t="$ticks" -v n="$n" 'BEGIN {printf "%.2f", d / t * 1e6 / n}')
  up=$(awk -v d=$(($(cpu_of "$up_pid") - ${c0[$up_pid]})) -v t="$ticks" -v n="$n" \
    'BEGIN {printf "%.2f", d / t * 1e6 / n}')
  # Busy time of the machine not spent by the servers or the load generator, in % of one core.
  others=$(awk -v b=$((b1 - b0)) -v t="$ticks" -v w0="$w0" -v w1="$w1" -v s="$total_procs" \
    -v u=$(($(cpu_of "$up_pid") - ${c0[$up_pid]})) -v d="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" \
    'BEGIN {o = (b - s - u) / t - (w1 - w0); if (o < 0) o = 0; printf "%.0f", 100 * o / d}')
  RPS[$s]+="$rps " P50[$s]+="$p50 " P99[$s]+="$p99 " CPU[$s]+="$cpu " UPCPU[$s]+="$up " OTHERS[$s]+="$others "
  eval "R_${s}_$r=$rps C_${s}_$r=$cpu"
  printf '[%s/%s] %-42s %8s req/s  p50 %7s µs  p99 %7s µs  CPU/req %6s µs  (upstream %s µs, others %s %%)\n' \
    "$r" "$ROUNDS" "${LABEL[$s]}" "$rps" "$p50" "$p99" "$cpu" "$up" "$others" >&2
}

commit=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
dirty=$(git status --porcelain 2>/dev/null | grep -qv '^??' && echo " (+ uncommitted changes)" || true)
say ""
say "### compare.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit$dirty"
say ""
say "Machine: $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), load average at start $(cut -d' ' -f1-3 /proc/loadavg), $(pgrep -c -x rustc || true) rustc processes running."
say "Servers pinned: ${server_cpu[*]:-no}; load generator: ${client_cpu[*]:-no}. wrk -t$THREADS -c$CONNECTIONS, ${DURATION} s runs after ${WARMUP} s of warm-up, $ROUNDS rounds in rotating order. passgate: threads = 1, access log off."
say ""

echo "== throughput rounds" >&2
for r in $(seq 1 "$ROUNDS"); do
  n=${#scenarios[@]}
  for k in $(seq 0 $((n - 1))); do run "${scenarios[$(((r - 1 + k) % n))]}" "$r"; done
done

say "| scenario | req/s median (min–max) | p50 µs | p99 µs | server CPU per request, µs median (min–max) | upstream CPU/req µs | others busy % |"
say "|---|---|---|---|---|---|---|"
for s in "${scenarios[@]}"; do
  say "| ${LABEL[$s]} | $(median ${RPS[$s]}) ($(spread ${RPS[$s]})) | $(median ${P50[$s]}) | $(median ${P99[$s]}) | $( [ -n "${PROCS[$s]}" ] && echo "$(median ${CPU[$s]}) ($(spread ${CPU[$s]}))" || echo "—") | $(median ${UPCPU[$s]}) | $(median ${OTHERS[$s]}) |"
done
say ""
say "For nginx auth_request the CPU is nginx's worker plus passgate's (the two legs)."
say ""

# Ratios within each round, then their median and spread.
ratio_rows=(
  "authed req/s ÷ bare req/s|R_authed|R_bare|>=|1.0"
  "authed CPU/req ÷ bare CPU/req|C_authed|C_bare|<=|1.0"
  "authed CPU/req ÷ auth_request total CPU/req|C_authed|C_fwdauth|<=|0.6"
  "public req/s ÷ bare req/s|R_public|R_bare||"
  "public CPU/req ÷ bare CPU/req|C_public|C_bare||"
  "authed CPU/req ÷ bare with unbuffered writes CPU/req|C_authed|C_bare_nb||"
  "bare with unbuffered writes CPU/req ÷ bare CPU/req|C_bare_nb|C_bare||"
  "asserted req/s ÷ authed req/s|R_asserted|R_authed||"
  "authed req/s ÷ auth_request req/s|R_authed|R_fwdauth||"
  "bare req/s ÷ nginx proxy_pass req/s|R_bare|R_nginx||"
  "bare CPU/req ÷ nginx proxy_pass CPU/req|C_bare|C_nginx||"
)
if [ -n "$BASE_BIN" ]; then
  ratio_rows+=(
    "authed CPU/req ÷ BASE_BIN authed CPU/req|C_authed|C_base_authed||"
    "authed req/s ÷ BASE_BIN authed req/s|R_authed|R_base_authed||"
    "BASE_BIN authed CPU/req ÷ bare CPU/req|C_base_authed|C_bare||"
  )
fi
say "| ratio (per round, then median) | median | min–max | target |"
say "|---|---|---|---|"
for row in "${ratio_rows[@]}"; do
  IFS='|' read -r name a b op goal <<<"$row"
  vals=()
  for r in $(seq 1 "$ROUNDS"); do
    x=$(eval echo "\${${a}_$r}") y=$(eval echo "\${${b}_$r}")
    vals+=("$(awk -v x="$x" -v y="$y" 'BEGIN {printf "%.3f", (y > 0) ? x / y : 0}')")
  done
  m=$(median "${vals[@]}")
  verdict="—"
  if [ -n "$op" ]; then
    verdict=$(awk -v m="$m" -v g="$goal" -v op="$op" 'BEGIN {
      ok = (op == ">=") ? (m >= g) : (m <= g); printf "%s %s: %s", op, g, ok ? "met" : "NOT met" }')
  fi
  say "| $name | $(fmt "$m" 3) | $(spread "${vals[@]}") | $verdict |"
done
say ""

# ---------------------------------------------------------------- latency at fixed rates
if [ "$LATENCY" = 1 ]; then
  echo "== latency at fixed rates" >&2
  sat=$(median ${RPS[authed]})
  lat_scn=(upstream nginx bare public authed fwdauth)
  say "Latency at a constant rate (examples/paced_load.rs, $LAT_CONNS keep-alive connections, ${LAT_SECS} s per run, latency counted from when each request was due), at 25/50/75 % of the authenticated route's saturating rate above ($sat req/s). Added = p50/p99 minus the upstream alone at the same rate."
  say ""
  say "| load | scenario | achieved req/s | p50 µs | p99 µs | added p50 / p99 µs |"
  say "|---|---|---|---|---|---|"
  for pct in 25 50 75; do
    rate=$(awk -v s="$sat" -v p="$pct" 'BEGIN {printf "%.0f", s * p / 100}')
    declare -A L50=() L99=() LR=()
    n=${#lat_scn[@]}
    for k in $(seq 0 $((n - 1))); do
      s=${lat_scn[$(((pct / 25 - 1 + k) % n))]}
      hostport=${URL[$s]#http://}; hostport=${hostport%%/*}; path=/${URL[$s]#http://*/}
      args=()
      [ -n "${HDR[$s]:-}" ] && args=(--header "Cookie: $cookie")
      res=$("${client_cpu[@]}" "$bin/examples/paced_load" rate "$hostport" "$path" --rate "$rate" \
        --conns "$LAT_CONNS" --secs "$LAT_SECS" "${args[@]}")
      LR[$s]=$(sed -E 's/.* rate=([0-9]+).*/\1/' <<<"$res")
      L50[$s]=$(sed -E 's/.*p50_us=([0-9]+).*/\1/' <<<"$res")
      L99[$s]=$(sed -E 's/.*p99_us=([0-9]+).*/\1/' <<<"$res")
      echo "  $pct % ($rate req/s) ${LABEL[$s]}: $res" >&2
    done
    for s in "${lat_scn[@]}"; do
      added="—"
      [ "$s" != upstream ] && added="$((L50[$s] - L50[upstream])) / $((L99[$s] - L99[upstream]))"
      say "| $pct % ($rate req/s) | ${LABEL[$s]} | ${LR[$s]} | ${L50[$s]} | ${L99[$s]} | $added |"
    done
  done
  say ""
fi

# ---------------------------------------------------------------- HTTP/2 over TLS
if [ "$H2" = 1 ]; then
  echo "== HTTP/2 over TLS (h2load)" >&2
  say "HTTP/2 over TLS (h2load -t1 -c16 -m10, ${DURATION} s after ${WARMUP} s warm-up; upstream legs plain HTTP/1.1):"
  say ""
  say "| scenario | req/s | server CPU per request µs |"
  say "|---|---|---|"
  for s in nginx public authed fwdauth; do
    case $s in
      nginx) url="https://127.0.0.1:$NGX_TLS_PORT/public/page" procs=$front_pid ;;
      public) url="https://127.0.0.1:$GW_TLS_PORT/public/page" procs=$gw_pid ;;
      authed) url="https://127.0.0.1:$GW_TLS_PORT/private/page" procs=$gw_pid ;;
      fwdauth) url="https://127.0.0.1:$FWD_TLS_PORT/private/page" procs="$front_pid $gw_pid" ;;
    esac
    declare -A h0=()
    for p in $procs; do h0[$p]=$(cpu_of "$p"); done
    res=$("${client_cpu[@]}" h2load -t1 -c16 -m10 -D "$DURATION" --warm-up-time="${WARMUP}" \
      -H "cookie: $cookie" "$url" 2>&1)
    done_n=$(awk '/^requests:/ {print $8}' <<<"$res")
    ok=$(awk '/^status codes:/ {print $3}' <<<"$res")
    rps=$(awk '/^finished in/ {gsub(",", "", $4); printf "%.0f", $4}' <<<"$res")
    d=0
    for p in $procs; do d=$((d + $(cpu_of "$p") - h0[$p])); done
    # h2load counts warm-up requests too; CPU covers the same span.
    cpu=$(awk -v d="$d" -v t="$ticks" -v n="$done_n" 'BEGIN {printf "%.2f", (n > 0) ? d / t * 1e6 / n : 0}')
    [ "$ok" = "$done_n" ] || { echo "h2load $s: only $ok of $done_n were 2xx"; echo "$res"; exit 1; }
    say "| ${LABEL[$s]} | $rps | $cpu |"
  done
  say ""
fi

# ---------------------------------------------------------------- memory
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
if [ "$SCALE" = 1 ]; then
  echo "== memory" >&2
  # A fresh gateway, so the figures are not those of the process the load ran against.
  kill "$gw_pid"; wait "$gw_pid" 2>/dev/null || true
  start_gateway
  sleep 1
  base=$(rss_kib "$gw_pid")
  "${client_cpu[@]}" "$bin/examples/paced_load" rate "127.0.0.1:$GW_PORT" /private/page --rate 0 \
    --conns 8 --secs 600 --cookies <(sed 's/^/passgate_session=/' "$work/tokens") >"$work/prime.out"
  sleep 1
  full=$(rss_kib "$gw_pid")
  say "RSS of a fresh passgate process: $(mib "$base") MiB idle; after one request with each of $SESSIONS distinct sessions (all cached): $(mib "$full") MiB, $(awk -v a="$base" -v b="$full" -v n="$SESSIONS" 'BEGIN {printf "%.0f", (b - a) * 1024 / n}') bytes per cached session (target: ≤ 64 MiB in all). Load: $(cat "$work/prime.out")."
  for who in passgate bare; do
    if [ $who = passgate ]; then pid=$gw_pid port=$GW_PORT path=/public/page; else pid=$bare_pid port=$BARE_PORT path=/; fi
    before=$(rss_kib "$pid")
    coproc IDLE_LOAD { "${client_cpu[@]}" "$bin/examples/paced_load" idle "127.0.0.1:$port" "$path" --conns "$IDLE"; }
    read -r opened <&"${IDLE_LOAD[0]}"
    sleep 2
    held=$(rss_kib "$pid")
    echo >&"${IDLE_LOAD[1]}"
    read -r _ <&"${IDLE_LOAD[0]}" || true
    wait "$IDLE_LOAD_PID" 2>/dev/null || true
    sleep 3
    after=$(rss_kib "$pid")
    say "RSS of $who with idle keep-alive connections: $(mib "$before") MiB before, $(mib "$held") MiB with ${opened#open=} open ($(awk -v a="$before" -v b="$held" -v n="${opened#open=}" 'BEGIN {printf "%.1f", (b - a) / n}') KiB each), $(mib "$after") MiB 3 s after they closed (target for passgate: ≤ 200 MiB with 20,000)."
  done
  say ""
fi

say "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg). Reproduce: \`ROUNDS=$ROUNDS DURATION=$DURATION LATENCY=$LATENCY H2=$H2 SCALE=$SCALE${BASE_BIN:+ BASE_BIN=<the other release directory>} benches/compare.sh\`."
mkdir -p "$(dirname "$RESULTS")"
cat "$out" >>"$RESULTS"
echo "== appended to $RESULTS" >&2
