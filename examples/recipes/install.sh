#!/usr/bin/env bash
# Installs the real apps the recipe tests (tests/it/recipes) run behind passgate, at the
# versions pinned here, outside the source tree:
#
#   $PASSGATE_RECIPES_DIR/venv          Python venv: Datasette (+ datasette-auth-headers),
#                                       Django, Flask-AppBuilder (requirements.txt)
#   $PASSGATE_RECIPES_DIR/node          Node-RED and jose (node-red/package-lock.json)
#
# PASSGATE_RECIPES_DIR defaults to target/recipes in the repository; the tests look there
# too. Run again after changing a pin: each part is rebuilt when its lock file changed,
# and left alone otherwise. Needs python3 (3.10+, with venv) and node 20+ with npm.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dest="${PASSGATE_RECIPES_DIR:-$root/target/recipes}"
python="${PYTHON:-python3}"
mkdir -p "$dest"

digest() { sha256sum "$@" | sha256sum | cut -d' ' -f1; }

# Python apps: a venv holding exactly requirements.txt (--no-deps: the file pins every
# package, dependencies included), then `pip check` proves the set is consistent.
want="$(digest "$here/requirements.txt")"
stamp="$dest/venv/.passgate-requirements"
if [ -x "$dest/venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    echo "recipes: Python apps up to date in $dest/venv"
else
    echo "recipes: installing the Python apps into $dest/venv"
    rm -rf "$dest/venv"
    "$python" -m venv "$dest/venv"
    "$dest/venv/bin/python" -m pip install --quiet --no-deps --no-input \
        -r "$here/requirements.txt"
    "$dest/venv/bin/python" -m pip check
    echo "$want" >"$stamp"
fi

# Node-RED: `npm ci` from the committed lock file, in a copy of its package.json.
want="$(digest "$here/node-red/package.json" "$here/node-red/package-lock.json")"
stamp="$dest/node/.passgate-lock"
if [ -d "$dest/node/node_modules/node-red" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    echo "recipes: Node-RED up to date in $dest/node"
else
    echo "recipes: installing Node-RED into $dest/node"
    rm -rf "$dest/node"
    mkdir -p "$dest/node"
    cp "$here/node-red/package.json" "$here/node-red/package-lock.json" "$dest/node/"
    (cd "$dest/node" && npm ci --no-audit --no-fund --omit=dev)
    echo "$want" >"$stamp"
fi
