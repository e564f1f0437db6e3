#!/usr/bin/env bash
# The property-based API fuzzer: schemathesis (PyPI, pinned below, in a venv under
# target/api-fuzz) against a live passgate on SQLite with an admin API token, driven by
# the committed docs/openapi.json. Checks: no 5xx, every status code and response body as
# documented, JSON content types, requests that violate the schema refused with a 4xx, and
# methods a path does not document answered 405 with `Allow` (CHECKS overrides the list);
# then the directory is still consistent (store_check.py) and the gateway still ready.
#
#   tests/api-fuzz/run.sh            bounded (CI): ~2 minutes of generated requests
#   tests/api-fuzz/run.sh long       manual: 20 minutes
#   MAX_TIME=600 tests/api-fuzz/run.sh
#
# PASSGATE_BIN picks the binary (default: target/release/passgate, else target/debug).
set -euo pipefail

cd "$(dirname "$0")/../.."
root=$(pwd)

SCHEMATHESIS_VERSION=4.32.5
mode=${1:-bounded}
case "$mode" in
    bounded) max_time=${MAX_TIME:-120} ;;
    long) max_time=${MAX_TIME:-1200} ;;
    *) echo "usage: $0 [bounded|long]" >&2; exit 2 ;;
esac

venv=$root/target/api-fuzz/venv
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi

bin=${PASSGATE_BIN:-}
if [ -z "$bin" ]; then
    if [ -x target/release/passgate ]; then bin=target/release/passgate; else bin=target/debug/passgate; fi
fi
[ -x "$bin" ] || { echo "no passgate binary at $bin (cargo build first)" >&2; exit 1; }
# The binary must serve the committed document (the drift test checks the same).
"$bin" openapi | cmp -s - docs/openapi.json || {
    echo "$bin serves a different OpenAPI document than docs/openapi.json" >&2
    echo "regenerate: cargo run -q -- openapi > docs/openapi.json" >&2
    exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/passgate-api-fuzz.XXXXXX")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/passgate.toml" <<TOML
public_url = "http://localhost:$port"

[server]
threads = 2
grace_period = "0s"
graceful_shutdown_timeout = "5s"

[[listeners]]
address = "127.0.0.1:$port"

[store]
url = "sqlite://$work/passgate.db"
TOML

token=$("$bin" token create --config "$work/passgate.toml" --name api-fuzz --scope admin)
"$bin" serve --config "$work/passgate.toml" > "$work/passgate.log" 2>&1 &
pid=$!
cleanup() {
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 100); do
    curl -fs "http://localhost:$port/.passgate/readyz" >/dev/null && break
    sleep 0.1
done

# Something to find: identities, a group with members, jobs.
api() { curl -fsS -X "$1" -H "authorization: Bearer $token" -H 'content-type: application/json' \
    "http://localhost:$port/.passgate/v1/tenants/default/realms/default$2" ${3:+-d "$3"}; }
ids=()
for u in alice bob carol; do
    ids+=("$(api POST /identities "{\"identity\":{\"traits\":{\"username\":\"$u\",\"primary_email_address\":\"$u@example.com\"}}}" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')")
done
group=$(api POST /groups "{\"group\":{\"display_name\":\"staff\"},\"identity_ids\":[\"${ids[0]}\",\"${ids[1]}\"]}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
api POST "/identities/${ids[0]}/credential-binding-jobs" '{"job":{"delivery_method":"RETURN"}}' >/dev/null
# Path parameters that name what exists (random ones only ever find 404s): the tenant, the
# realm, an identity with a job and a group with members. The fuzzer may delete them
# along the way; later requests then meet the 404s.
cat > "$work/schemathesis.toml" <<TOML
[parameters]
"path.tenant" = "default"
"path.realm" = "default"
"path.identity" = "${ids[0]}"
"path.group" = "$group"
TOML

echo "api-fuzz: schemathesis $SCHEMATHESIS_VERSION, $mode ($max_time s) against $bin on :$port"
status=0
"$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run docs/openapi.json \
    --url "http://localhost:$port" \
    --header "Authorization: Bearer $token" \
    --checks ${CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection,unsupported_method} \
    --phases examples,coverage,fuzzing \
    --max-time "$max_time" \
    --workers 2 \
    --request-timeout 10 \
    --suppress-health-check all \
    --no-color \
    --report junit --report-dir "$work/report" \
    > "$work/schemathesis.log" 2>&1 || status=$?
tail -n 60 "$work/schemathesis.log"

ready=$(curl -s -o /dev/null -w '%{http_code}' "http://localhost:$port/.passgate/readyz" || true)
echo "readyz after the run: $ready"
[ "$ready" = 200 ] || status=1
if grep -q -i 'panicked' "$work/passgate.log"; then
    echo "passgate panicked:"; grep -i -A3 'panicked' "$work/passgate.log" | head -20
    status=1
fi
cleanup
trap - EXIT
python3 tests/api-fuzz/store_check.py "$work/passgate.db" || status=1
if [ "$status" -eq 0 ]; then
    rm -rf "$work"
    echo "api-fuzz: clean"
else
    echo "api-fuzz: FAILED (kept $work: passgate.log, schemathesis.log, report/)"
fi
exit "$status"
