#!/usr/bin/env bash
# SCIM load script (not a timed test): one passgate on loopback over SQLite or PostgreSQL,
#  (1) creates CREATE users over SCIM (POST /Users, CONCURRENCY keep-alive connections) and
#      reports the rate per second;
#  (2) fills the realm up to USERS identities (bulk SQL insert, same columns as the store
#      writes) and measures with wrk, on one connection (latency) for DURATION seconds each:
#      GET /Users?filter=userName eq "user<random>"   (the indexed username key)
#      GET /Users?filter=emails.value co "<random>@"  (LIKE '%…%': a trigram index on
#                                                      PostgreSQL with pg_trgm, a scan on SQLite)
#      GET /ServiceProviderConfig                     (MODES=auth: token check + realm
#                                                      check + a fixed document, no search)
# Everything started here is stopped on exit; the PostgreSQL database made for the run is
# dropped.
#
#   benches/scim.sh                                     # SQLite, release build
#   BACKEND=postgres PG_URL=postgres://postgres@127.0.0.1:5432 benches/scim.sh
#   PROFILE=debug BUILD=0 benches/scim.sh               # the test build as it is
#   BIN=/tmp/passgate-old BUILD=0 benches/scim.sh       # another binary (a before/after)
#   MODES="auth eq co" CREATE=1000 USERS=10000 …        # what to measure, smaller realms
set -euo pipefail

BACKEND=${BACKEND:-sqlite}
USERS=${USERS:-100000}
CREATE=${CREATE:-10000}
CONCURRENCY=${CONCURRENCY:-4}
DURATION=${DURATION:-10}
PROFILE=${PROFILE:-release}
BUILD=${BUILD:-1}
PORT=${PORT:-9480}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}

cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is required"; exit 1; }
target=${CARGO_TARGET_DIR:-target}
if [ "$BUILD" = 1 ]; then
  if [ "$PROFILE" = release ]; then cargo build --release --quiet --bin passgate
  else cargo build --quiet --bin passgate; fi
fi
bin=${BIN:-$target/$PROFILE/passgate}
MODES=${MODES:-eq co}

work=$(mktemp -d)
pid=""
db=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ -n "$db" ] && psql "$PG_URL/postgres" -q -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ "$BACKEND" = postgres ]; then
  db="scim_bench_$$"
  psql "$PG_URL/postgres" -q -c "CREATE DATABASE $db" >/dev/null
  url="$PG_URL/$db"
else
  url="sqlite://$work/passgate.db"
fi
cat >"$work/passgate.toml" <<TOML
public_url = "http://localhost:$PORT"

[server]
grace_period = "0s"
graceful_shutdown_timeout = "2s"

[[listeners]]
address = "127.0.0.1:$PORT"

[store]
url = "$url"
max_connections = 8
TOML

RUST_LOG=warn "$bin" serve --config "$work/passgate.toml" >"$work/passgate.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  curl -sf "http://localhost:$PORT/.passgate/readyz" >/dev/null && break
  sleep 0.1
done
token=$("$bin" token create --config "$work/passgate.toml" --name bench --scope scim)
base="http://localhost:$PORT/.passgate/v1/tenants/default/realms/default/scim/v2"
echo "== passgate ($bin, $PROFILE build) on $BACKEND, $(nproc) cores, $(uptime | sed 's/.*load/load/')"

echo "== creating $CREATE users over SCIM ($CONCURRENCY connections)"
python3 - "$PORT" "$token" "$CREATE" "$CONCURRENCY" <<'PY'
import http.client, json, sys, threading, time
port, token, n, conc = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
path = "/.passgate/v1/tenants/default/realms/default/scim/v2/Users"
fails = []
def work(k):
    c = http.client.HTTPConnection("localhost", port)
    for i in range(k, n, conc):
        body = json.dumps({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": f"user{i}", "name": {"givenName": "U", "familyName": f"N{i}"},
            "emails": [{"value": f"user{i}@example.com", "primary": True}], "active": True})
        c.request("POST", path, body, {"Authorization": f"Bearer {token}",
                                       "Content-Type": "application/scim+json"})
        r = c.getresponse(); r.read()
        if r.status != 201: fails.append(r.status)
start = time.monotonic()
ts = [threading.Thread(target=work, args=(k,)) for k in range(conc)]
[t.start() for t in ts]; [t.join() for t in ts]
secs = time.monotonic() - start
print(f"created {n - len(fails)} users in {secs:.1f} s: {n / secs:.0f} users/s (failures: {len(fails)})")
PY

echo "== filling the realm to $USERS identities (bulk SQL)"
if [ "$BACKEND" = postgres ]; then
  psql "$url" -q <<SQL
INSERT INTO identities (id, tenant_id, realm_id, display_name, status, enrollment_status,
  username, username_key, primary_email_address, email_key, external_id, given_name,
  family_name, extra_traits, version, create_us, update_us)
SELECT md5('bench' || g), 'default', 'default', 'user' || g, 'active', 'UNENROLLED',
  'user' || g, 'user' || g, 'user' || g || '@example.com', 'user' || g || '@example.com',
  NULL, 'U', 'N' || g, '{}', 1, 0, 0
FROM generate_series($CREATE, $USERS - 1) AS g;
ANALYZE identities;
SQL
  echo "plan of the userName eq query:"
  psql "$url" -At -c "EXPLAIN SELECT i.id FROM identities i WHERE i.tenant_id = 'default' AND i.realm_id = 'default' AND i.username_key = 'user4242' ORDER BY i.seq LIMIT 100 OFFSET 0" | sed 's/^/  /'
  echo "plan of the emails.value co query:"
  psql "$url" -At -c "EXPLAIN SELECT i.id FROM identities i WHERE i.tenant_id = 'default' AND i.realm_id = 'default' AND ((i.email_key IS NOT NULL AND i.email_key <> '') AND i.email_key LIKE '%user4242@%' ESCAPE '\\') ORDER BY i.seq LIMIT 100 OFFSET 0" | sed 's/^/  /'
  echo "the same as passgate sends it (bound values), generic plan:"
  psql "$url" -At <<'SQL' | sed 's/^/  /'
SET plan_cache_mode = force_generic_plan;
PREPARE co(text, text, text) AS SELECT i.id FROM identities i WHERE i.tenant_id = $1 AND i.realm_id = $2 AND ((i.email_key IS NOT NULL AND i.email_key <> '') AND i.email_key LIKE $3 ESCAPE '\') ORDER BY i.seq LIMIT 100 OFFSET 0;
EXPLAIN EXECUTE co('default', 'default', '%user4242@%');
SQL
else
  sqlite3 "$work/passgate.db" >/dev/null <<SQL
PRAGMA busy_timeout = 10000;
WITH RECURSIVE g(n) AS (SELECT $CREATE UNION ALL SELECT n + 1 FROM g WHERE n < $USERS - 1)
INSERT INTO identities (id, tenant_id, realm_id, display_name, status, enrollment_status,
  username, username_key, primary_email_address, email_key, external_id, given_name,
  family_name, extra_traits, version, create_us, update_us)
SELECT lower(hex(randomblob(16))), 'default', 'default', 'user' || n, 'active', 'UNENROLLED',
  'user' || n, 'user' || n, 'user' || n || '@example.com', 'user' || n || '@example.com',
  NULL, 'U', 'N' || n, '{}', 1, 0, 0 FROM g;
ANALYZE;
SQL
  echo "plan of the userName eq query:"
  sqlite3 "$work/passgate.db" "EXPLAIN QUERY PLAN SELECT i.id FROM identities i WHERE i.tenant_id = 'default' AND i.realm_id = 'default' AND i.username_key = 'user4242' ORDER BY i.seq LIMIT 100 OFFSET 0" | sed 's/^/  /'
  echo "plan of the emails.value co query:"
  sqlite3 "$work/passgate.db" "EXPLAIN QUERY PLAN SELECT i.id FROM identities i WHERE i.tenant_id = 'default' AND i.realm_id = 'default' AND ((i.email_key IS NOT NULL AND i.email_key <> '') AND i.email_key GLOB '*user4242@*') ORDER BY i.seq LIMIT 100 OFFSET 0" | sed 's/^/  /'
fi
total=$(curl -sf -H "Authorization: Bearer $token" "$base/Users?count=0" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totalResults"])')
echo "realm holds $total users"

cat >"$work/filter.lua" <<LUA
local users = $USERS
local mode = os.getenv("MODE")
math.randomseed(os.time())
request = function()
  local n = math.random(0, users - 1)
  local f
  if mode == "auth" then
    return wrk.format("GET", "/.passgate/v1/tenants/default/realms/default/scim/v2/ServiceProviderConfig",
      {["Authorization"] = "Bearer $token"})
  elseif mode == "co" then
    f = 'emails.value%20co%20%22user' .. n .. '%40%22'
  else
    f = 'userName%20eq%20%22user' .. n .. '%22'
  end
  return wrk.format("GET", "/.passgate/v1/tenants/default/realms/default/scim/v2/Users?filter=" .. f,
    {["Authorization"] = "Bearer $token"})
end
LUA
for mode in $MODES; do
  echo "== $mode: wrk, 1 connection, ${DURATION}s ($(uptime | sed 's/.*load/load/'))"
  MODE=$mode wrk -t1 -c1 -d"${DURATION}s" --latency -s "$work/filter.lua" "http://localhost:$PORT" \
    | grep -E "Latency|50%|90%|99%|Requests/sec|requests in|Non-2xx"
done
